import type { Translation } from './translation.ts';

/** Test mode as care staff see it. */
export const da = {
  home: 'Testtilstand: en tekniker tester {home} indtil kl. {time}.',
  devices: 'Testtilstand: en tekniker tester enheder i {home} ({devices}) indtil kl. {time}.',
  rule: 'Alarmer fra fald, alarmknap, røg og kulilte kommer stadig til jer, mærket "under test". Andre alarmer fra de testede enheder er testalarmer indtil da.',
  card: 'Under test: alarmen kom, mens en tekniker testede hjemmet (testtilstand til kl. {time}). Det kan være testen – eller borgeren. Vurder selv.',
  thisHome: 'hjemmet',
};

export const en: Translation<typeof da> = {
  home: 'Test mode: a technician is testing {home} until {time}.',
  devices: 'Test mode: a technician is testing devices in {home} ({devices}) until {time}.',
  rule: 'Alarms from falls, the alarm button, smoke and carbon monoxide still reach you, marked "during test". Other alerts from the tested devices are test alerts until then.',
  card: 'During test: the alarm came while a technician was testing the home (test mode until {time}). It may be the test – or the citizen. Judge for yourself.',
  thisHome: 'the home',
};
