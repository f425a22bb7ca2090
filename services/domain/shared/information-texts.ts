import type { ConsentCategory, Purpose, SensorKind } from './sensor-kinds.ts';

/**
 * The plain-language information a citizen (or their relative) reads before saying yes or no,
 * in Danish first and English second. Each text carries a version; a consent change records the
 * version that was shown, so it can always be told what someone agreed to. Change a text's words
 * and you must give it a new version: an old event then still points at the old wording, which
 * stays in the git history of this file.
 */
export interface LocalisedText {
  da: string;
  en: string;
}

export interface InformationText {
  /** recorded on every consent change made with this text in view (at most 40 characters) */
  version: string;
  /** the day this version was first shown (YYYY-MM-DD): with the title, what people are shown instead of the version id */
  issued: string;
  title: LocalisedText;
  body: LocalisedText;
}

export interface CategoryText {
  title: LocalisedText;
  /** what is measured and why, in one or two short sentences */
  body: LocalisedText;
}

export const CATEGORY_TEXTS: Record<ConsentCategory, CategoryText> = {
  emergency: {
    title: { da: 'Nødsituationer', en: 'Emergencies' },
    body: {
      da: 'Alarmknap og faldsensor. De er der, så du hurtigt kan få hjælp, hvis du falder eller trykker på knappen.',
      en: 'Alarm button and fall sensor. They are there so you get help quickly if you fall or press the button.',
    },
  },
  environment: {
    title: { da: 'Røg, kulilte, vand og temperatur', en: 'Smoke, carbon monoxide, water and temperature' },
    body: {
      da: 'Sensorer for røg, kulilte (CO), vand på gulvet og temperatur. De er der for at opdage brand, forgiftning, vandskade og kulde.',
      en: 'Sensors for smoke, carbon monoxide (CO), water on the floor and temperature. They are there to notice fire, poisoning, water damage and cold.',
    },
  },
  activity: {
    title: { da: 'Bevægelse i hjemmet', en: 'Movement in the home' },
    body: {
      da: 'En bevægelsessensor. Den mærker kun, om nogen bevæger sig. Den tager ikke billeder og optager ikke lyd.',
      en: 'A motion sensor. It only notices whether someone moves. It takes no pictures and records no sound.',
    },
  },
  door: {
    title: { da: 'Hoveddøren', en: 'The front door' },
    body: {
      da: 'En sensor på hoveddøren. Den mærker kun, om døren er åben eller lukket.',
      en: 'A sensor on the front door. It only notices whether the door is open or closed.',
    },
  },
  sleep: {
    title: { da: 'Søvn og seng', en: 'Sleep and bed' },
    body: {
      da: 'En sensor i sengen. Den mærker kun, om du ligger i sengen eller ej.',
      en: 'A sensor in the bed. It only notices whether you are in bed or not.',
    },
  },
};

/** the day the 2026 texts were first shown (git history of the texts) */
const FIRST_ISSUE = '2026-11-23';

const alerts = (version: string, da: string, en: string, issued = FIRST_ISSUE): InformationText => ({
  version,
  issued,
  title: { da: 'Alarm til hjemmeplejen', en: 'Alert to home care' },
  body: { da, en },
});
const history = (version: string, da: string, en: string, issued = FIRST_ISSUE): InformationText => ({
  version,
  issued,
  title: { da: 'Gem målingerne', en: 'Keep the readings' },
  body: { da, en },
});
/** the day the care-record texts were first shown */
const CARE_RECORD_ISSUE = '2026-11-28';

/**
 * "Deling med journal": one text per category, naming its alerts. What is sent, why, what is not,
 * and what a "no" does (and does not: what was sent stays in the care record, which the
 * municipality must keep).
 */
const careRecord = (version: string, whatDa: string, whatEn: string): InformationText => ({
  version,
  issued: CARE_RECORD_ISSUE,
  title: { da: 'Deling med journal', en: 'Sharing with the care record' },
  body: {
    da: `Når hjemmeplejen har afsluttet en alarm ${whatDa}, sendes en kort beskrivelse til kommunens omsorgsjournal: hvad der skete, hvornår, hvem der kom, og deres notat. Så skal personalet ikke skrive det to gange. Målingerne sendes ikke. Siger du nej, sendes intet fremover; det, der allerede er sendt, bliver i journalen.`,
    en: `When home care has closed an alert ${whatEn}, a short description goes to the municipality's care record: what happened, when, who came, and their note. Then staff need not write it twice. The readings are not sent. If you say no, nothing more is sent; what was already sent stays in the record.`,
  },
});

/** the day the night-round texts were first shown */
const NIGHT_ROUND_ISSUE = '2026-11-28';

/**
 * The night round (issue 13 point 4): at the times agreed for the home, night staff of the citizen's
 * own team see a short summary of this category instead of going in or calling. Said plainly: what
 * is shown, to whom, when, and what is never made.
 */
const nightRound = (
  version: string,
  da: string,
  en: string,
  issued = NIGHT_ROUND_ISSUE,
): InformationText => ({
  version,
  issued,
  title: { da: 'Natlig tilsynsrunde', en: 'Night round' },
  body: {
    da: `Om natten, på de tidspunkter I aftaler (fx kl. 23, 2 og 5), ser nattevagten fra dit hjemmeplejeteam en kort oversigt over dit hjem på skærmen: ${da} Der er intet kamera: der tages ingen billeder, optages ingen lyd, og der laves ingen score eller vurdering af dig. Hver gang nogen kigger, kan du se hvem og hvornår under »Hvem har set dine oplysninger«. Kigger ingen inden for kort tid, får hjemmeplejen besked.`,
    en: `At night, at the times you agree (for example 23:00, 02:00 and 05:00), the night staff of your home-care team see a short summary of your home on screen: ${en} There is no camera: no pictures are taken, no sound is recorded, and no score or judgement of you is made. Every time someone looks, you can see who and when under "Who has seen your data". If nobody looks within a short time, home care is told.`,
  },
});

export const PURPOSE_TEXTS: Record<ConsentCategory, Record<Purpose, InformationText>> = {
  emergency: {
    alerts: alerts(
      'emergency-alerts-2026-2',
      'Trykker du på alarmknappen, eller mærker sensoren et fald, får hjemmeplejen besked med det samme. De ringer eller kommer. Det gælder også, mens en tekniker tester dine apparater.',
      'If you press the alarm button, or the sensor notices a fall, home care is told at once. They call or come. This also holds while a technician is testing your devices.',
      '2026-11-28',
    ),
    history: history(
      'emergency-history-2026-1',
      'Vi gemmer, hvornår knappen blev trykket, og hvornår et fald blev mærket. Så kan personalet se, hvor tit det sker, og planlægge din hjælp.',
      'We keep when the button was pressed and when a fall was noticed. Then staff can see how often it happens and plan your help.',
    ),
    care_record: careRecord(
      'emergency-care-record-2026-1',
      'fra alarmknappen eller faldsensoren',
      'from the alarm button or the fall sensor',
    ),
    night_round: nightRound(
      'emergency-night-round-2026-1',
      'om alarmknappen eller faldsensoren har meldt noget i nat.',
      'whether the alarm button or the fall sensor has reported anything tonight.',
    ),
  },
  environment: {
    alerts: alerts(
      'environment-alerts-2026-1',
      'Er der røg, kulilte eller vand på gulvet, eller er der for koldt eller for varmt i for lang tid, får hjemmeplejen besked.',
      'If there is smoke, carbon monoxide or water on the floor, or it is too cold or too hot for too long, home care is told.',
    ),
    history: history(
      'environment-history-2026-1',
      'Vi gemmer temperaturen og målingerne fra røg-, kulilte- og vandsensorerne. Så kan personalet fx se, om der tit er for koldt.',
      'We keep the temperature and the readings of the smoke, carbon monoxide and water sensors. Then staff can see, for example, if it is often too cold.',
    ),
    care_record: careRecord(
      'environment-care-record-2026-1',
      'om røg, kulilte, vand eller temperatur',
      'about smoke, carbon monoxide, water or temperature',
    ),
    night_round: nightRound(
      'environment-night-round-2026-1',
      'temperaturen i hjemmet.',
      'the temperature in the home.',
    ),
  },
  activity: {
    alerts: alerts(
      'activity-alerts-2026-1',
      'Er der ingen bevægelse i dit hjem i lang tid om dagen, får hjemmeplejen besked. Hvor lang tid, aftaler du med dem.',
      'If there is no movement in your home for a long time during the day, home care is told. You agree with them how long.',
    ),
    history: history(
      'activity-history-2026-1',
      'Vi gemmer, hvornår der er bevægelse i hjemmet. Kun at der er bevægelse, ikke hvem eller hvad.',
      'We keep when there is movement in the home. Only that there is movement, not who or what.',
    ),
    care_record: careRecord('activity-care-record-2026-1', 'om manglende bevægelse', 'about no movement'),
    night_round: nightRound(
      'activity-night-round-2026-1',
      'hvornår der sidst var bevægelse.',
      'when there was last movement.',
    ),
  },
  door: {
    alerts: alerts(
      'door-alerts-2026-1',
      'Bliver hoveddøren åbnet om natten, og kommer du ikke tilbage inden for den tid, I har aftalt, får hjemmeplejen besked.',
      'If the front door is opened at night and you do not come back within the time you agreed, home care is told.',
    ),
    history: history(
      'door-history-2026-1',
      'Vi gemmer, hvornår hoveddøren bliver åbnet og lukket.',
      'We keep when the front door is opened and closed.',
    ),
    care_record: careRecord(
      'door-care-record-2026-1',
      'om hoveddøren om natten',
      'about the front door at night',
    ),
    night_round: nightRound(
      'door-night-round-2026-1',
      'om hoveddøren er lukket eller åben, og siden hvornår.',
      'whether the front door is closed or open, and since when.',
    ),
  },
  sleep: {
    alerts: alerts(
      'sleep-alerts-2026-1',
      'Står du op om natten og kommer ikke i seng igen inden for den tid, I har aftalt, får hjemmeplejen besked. Du kan være faldet.',
      'If you get up at night and are not back in bed within the time you agreed, home care is told. You may have fallen.',
    ),
    history: history(
      'sleep-history-2026-1',
      'Vi gemmer, hvornår du går i seng og står op.',
      'We keep when you go to bed and get up.',
    ),
    care_record: careRecord(
      'sleep-care-record-2026-1',
      'om, at du ikke kom i seng igen om natten',
      'about not getting back to bed at night',
    ),
    night_round: nightRound(
      'sleep-night-round-2026-1',
      'om du ligger i sengen, og siden hvornår.',
      'whether you are in bed, and since when.',
    ),
  },
};

/** Technical data needs no consent; it is stated openly all the same. */
export const TECHNICAL_TEXT: CategoryText = {
  title: { da: 'Teknik', en: 'Technical' },
  body: {
    da: 'Apparaterne sender deres batteriniveau og et tegn på, at de virker. Det bruger kun teknikerne, til at holde apparaterne i gang. Det kræver ikke dit samtykke.',
    en: 'The devices send their battery level and a sign that they work. Only technicians use it, to keep the devices running. It does not need your consent.',
  },
};

export const SENSOR_NAMES: Record<SensorKind, LocalisedText> = {
  alarm_button: { da: 'Alarmknap', en: 'Alarm button' },
  fall: { da: 'Faldsensor', en: 'Fall sensor' },
  smoke: { da: 'Røgalarm', en: 'Smoke alarm' },
  co: { da: 'Kuliltemåler', en: 'Carbon monoxide sensor' },
  water_leak: { da: 'Vandsensor', en: 'Water sensor' },
  temperature: { da: 'Termometer', en: 'Thermometer' },
  motion: { da: 'Bevægelsessensor', en: 'Motion sensor' },
  door: { da: 'Dørsensor', en: 'Door sensor' },
  bed: { da: 'Sengesensor', en: 'Bed sensor' },
  heartbeat: { da: 'Driftssignal', en: 'Heartbeat' },
  battery: { da: 'Batteri', en: 'Battery' },
};

export function informationText(category: ConsentCategory, purpose: Purpose): InformationText {
  return PURPOSE_TEXTS[category][purpose];
}

/**
 * Versions the platform once showed and has since replaced, per category and purpose. A change made
 * with one of them in view is told the text has changed (and given the current one); a version that
 * was never shown is refused outright. Add the old version here whenever a text gets a new one.
 */
const RETIRED_TEXT_VERSIONS: ReadonlyArray<readonly [ConsentCategory, Purpose, string, string]> = [
  // 2026-2 adds that an alarm reaches home care also while a technician tests the devices
  ['emergency', 'alerts', 'emergency-alerts-2026-1', FIRST_ISSUE],
];

/**
 * A text version as people are shown it: the category's and the text's title and the day it was
 * first shown ("Nødsituationer – Alarm til hjemmeplejen, 23.11.2026"), never the version id. Null
 * for a version that was never shown.
 */
export function textVersionLabel(version: string): { title: LocalisedText; issued: string } | null {
  for (const [category, texts] of Object.entries(PURPOSE_TEXTS) as Array<
    [ConsentCategory, Record<Purpose, InformationText>]
  >)
    for (const text of Object.values(texts))
      if (text.version === version)
        return { title: joined(CATEGORY_TEXTS[category].title, text.title), issued: text.issued };
  for (const [category, purpose, old, issued] of RETIRED_TEXT_VERSIONS)
    if (old === version)
      return {
        title: joined(CATEGORY_TEXTS[category].title, PURPOSE_TEXTS[category][purpose].title),
        issued,
      };
  return null;
}

const joined = (a: LocalisedText, b: LocalisedText): LocalisedText => ({
  da: `${a.da} – ${b.da}`,
  en: `${a.en} – ${b.en}`,
});

/** Whether a text version is the one shown now, one shown before, or one never shown at all. */
export function textVersionStatus(
  category: ConsentCategory,
  purpose: Purpose,
  version: string,
): 'current' | 'outdated' | 'unknown' {
  if (PURPOSE_TEXTS[category][purpose].version === version) return 'current';
  return RETIRED_TEXT_VERSIONS.some(([c, p, v]) => c === category && p === purpose && v === version)
    ? 'outdated'
    : 'unknown';
}
