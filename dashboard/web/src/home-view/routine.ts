import { type ApiResponse, api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { errorText } from '../errors.ts';
import { currentLang } from '../i18n.ts';
import { section } from '../messages/index.ts';
import type { AlertsState } from './alerts-consent.tsx';
import { routineIntro } from './alerts-consent.tsx';
import { el } from './dom.ts';
import { timeField } from './time-field.ts';

interface Window {
  start: string;
  end: string;
}
/** the home's rule settings in force, defaults filled in (services/rules HomeRuleSettings) */
type RuleSettings = ApiResponse<'/api/homes/{homeId}/rule-settings', 'get'>['settings'];

/** Words of this part (the catalog's `routine` section). */
const tt = section('routine');

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
        const from = timeField(`window-${i}-start`, w.start);
        const to = timeField(`window-${i}-end`, w.end);
        from.input.addEventListener('change', () => {
          w.start = from.input.value;
        });
        to.input.addEventListener('change', () => {
          w.end = to.input.value;
        });
        return el(
          'fieldset',
          {},
          el('legend', {}, `${tt('window')} ${i + 1}`),
          el('label', { htmlFor: from.input.id }, tt('from')),
          from.input,
          from.hint,
          el('label', { htmlFor: to.input.id }, tt('to')),
          to.input,
          to.hint,
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
  const nightFrom = timeField('night-start', settings.night.start);
  const nightTo = timeField('night-end', settings.night.end);
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
      el('label', { htmlFor: nightFrom.input.id }, tt('from')),
      nightFrom.input,
      nightFrom.hint,
      el('label', { htmlFor: nightTo.input.id }, tt('to')),
      nightTo.input,
      nightTo.hint,
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
      night: { start: nightFrom.input.value, end: nightTo.input.value },
    };
    try {
      settings = (await api('put', '/api/homes/{homeId}/rule-settings', { path: { homeId }, body: next }))
        .settings;
      status.textContent = tt('saved');
    } catch (err) {
      status.textContent = `${tt('failed')}: ${errorText(err)}`;
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
