import { type ApiResponse, api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { currentLang } from '../i18n.ts';
import type { AlertsState } from './alerts-consent.ts';
import { routineIntro } from './alerts-consent.ts';
import { el } from './dom.ts';

interface Window {
  start: string;
  end: string;
}
/** the home's rule settings in force, defaults filled in (services/rules HomeRuleSettings) */
type RuleSettings = ApiResponse<'/api/homes/{homeId}/rule-settings', 'get'>['settings'];

const TEXTS = {
  da: {
    title: 'Borgerens rutine',
    minutes: 'Alarm efter så mange minutter uden bevægelse',
    window: 'Dagperiode',
    from: 'Fra',
    to: 'Til',
    add: 'Tilføj dagperiode',
    remove: 'Fjern dagperiode',
    night: 'Nat',
    save: 'Gem rutine',
    saved: 'Rutinen er gemt og gælder fra nu.',
    failed: 'Rutinen blev ikke gemt',
  },
  en: {
    title: "The citizen's routine",
    minutes: 'Alert after this many minutes without movement',
    window: 'Daytime period',
    from: 'From',
    to: 'To',
    add: 'Add a daytime period',
    remove: 'Remove daytime period',
    night: 'Night',
    save: 'Save routine',
    saved: 'The routine is saved and applies from now.',
    failed: 'The routine was not saved',
  },
};
const tt = (key: keyof (typeof TEXTS)['da']) => TEXTS[currentLang()][key];

const timeInput = (id: string, value: string) =>
  el('input', { id, type: 'time', value, required: true, step: '60' });

/**
 * The home's routine as care staff know it: minutes without movement, the daytime periods (up to
 * six) and the night. The server validates it with the rules' own schema and answers by field.
 */
export async function routineSection(
  homeId: string,
  alerts: AlertsState[] | null = null,
): Promise<HTMLElement | null> {
  let settings: RuleSettings;
  try {
    settings = (await api('get', '/api/homes/{homeId}/rule-settings', { path: { homeId } })).settings;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
  const windows: Window[] = settings.inactivity.windows.map((w) => ({ ...w }));
  const status = el('p', { role: 'status' });
  const minutes = el('input', {
    id: 'routine-minutes',
    type: 'number',
    min: '5',
    max: '1440',
    required: true,
    value: String(settings.inactivity.minutes),
  });
  const list = el('div', { className: 'routine-windows' });
  const addButton = el('button', { type: 'button', className: 'secondary' }, tt('add'));
  const draw = () => {
    list.replaceChildren(
      ...windows.map((w, i) => {
        const from = timeInput(`window-${i}-start`, w.start);
        const to = timeInput(`window-${i}-end`, w.end);
        from.onchange = () => {
          w.start = from.value;
        };
        to.onchange = () => {
          w.end = to.value;
        };
        return el(
          'fieldset',
          {},
          el('legend', {}, `${tt('window')} ${i + 1}`),
          el('label', { htmlFor: from.id }, tt('from')),
          from,
          el('label', { htmlFor: to.id }, tt('to')),
          to,
          windows.length > 1
            ? el(
                'button',
                {
                  type: 'button',
                  className: 'secondary',
                  'aria-label': `${tt('remove')} ${i + 1}`,
                  onclick: () => {
                    windows.splice(i, 1);
                    draw();
                  },
                },
                tt('remove'),
              )
            : null,
        );
      }),
    );
    addButton.hidden = windows.length >= 6;
  };
  addButton.onclick = () => {
    windows.push({ start: '12:00', end: '13:00' });
    draw();
    document.getElementById(`window-${windows.length - 1}-start`)?.focus();
  };
  const nightFrom = timeInput('night-start', settings.night.start);
  const nightTo = timeInput('night-end', settings.night.end);
  const form = el(
    'form',
    { className: 'routine-form', 'aria-labelledby': 'routine-title' },
    el('label', { htmlFor: minutes.id }, tt('minutes')),
    minutes,
    list,
    addButton,
    el(
      'fieldset',
      {},
      el('legend', {}, tt('night')),
      el('label', { htmlFor: nightFrom.id }, tt('from')),
      nightFrom,
      el('label', { htmlFor: nightTo.id }, tt('to')),
      nightTo,
    ),
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, tt('save'))),
    status,
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    // keep every other setting (thresholds) as it is; only the routine changes here
    const next = {
      ...settings,
      inactivity: { ...settings.inactivity, minutes: Number(minutes.value), windows },
      night: { start: nightFrom.value, end: nightTo.value },
    };
    try {
      settings = (await api('put', '/api/homes/{homeId}/rule-settings', { path: { homeId }, body: next }))
        .settings;
      status.textContent = tt('saved');
    } catch (err) {
      status.textContent = `${tt('failed')}: ${err instanceof Error ? err.message : ''}`;
    }
  };
  draw();
  return el(
    'section',
    { 'aria-labelledby': 'routine-title', className: 'panel-section' },
    el('h3', { id: 'routine-title' }, tt('title')),
    // the text follows consent: an alert that is off is not described as if it would come
    el('p', { className: 'routine-intro' }, routineIntro(alerts)),
    form,
  );
}
