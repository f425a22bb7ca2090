import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiResponse, api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { errorText } from '../errors.ts';
import { section } from '../messages/index.ts';
import { type AlertsState, routineIntro } from './alerts-consent.tsx';
import { TimeField } from './time-field.tsx';

interface Window {
  /** the row's own key: a period removed above another leaves the other's fields as they are */
  key: number;
  /** as loaded or added; what is typed stays in the field (not controlled) and is read on save */
  start: string;
  end: string;
}
/** the home's rule settings in force, defaults filled in (services/rules HomeRuleSettings) */
export type RuleSettings = ApiResponse<'/api/homes/{homeId}/rule-settings', 'get'>['settings'];

/** Words of this part (the catalog's `routine` section). */
const tt = section('routine');

const MAX_WINDOWS = 6;

/** the home's rule settings, or null for a role that may not read them */
export async function ruleSettings(homeId: string): Promise<RuleSettings | null> {
  try {
    return (await api('get', '/api/homes/{homeId}/rule-settings', { path: { homeId } })).settings;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

let nextKey = 0;

/**
 * The home's routine as care staff know it: minutes without movement, the daytime periods (up to
 * six, keyed rows) and the night. The server validates it with the rules' own schema and answers by
 * field. The introduction follows consent: an alert that is off is not described as if it would come.
 */
export function Routine({
  homeId,
  initial,
  alerts,
}: {
  homeId: string;
  initial: RuleSettings;
  alerts: AlertsState[] | null;
}) {
  const settings = useRef(initial);
  const [windows, setWindows] = useState<Window[]>(() =>
    initial.inactivity.windows.map((w) => ({ key: nextKey++, start: w.start, end: w.end })),
  );
  const [status, setStatus] = useState('');
  const form = useRef<HTMLFormElement>(null);
  /** the next period to appear takes focus (it was just added) */
  const focusNew = useRef(false);
  useEffect(() => {
    focusNew.current = false;
  });
  const value = (id: string) => form.current?.querySelector<HTMLInputElement>(`#${id}`)?.value ?? '';
  const submit = async (e: Event) => {
    e.preventDefault();
    // keep every other setting (thresholds) as it is; only the routine changes here
    const next = {
      ...settings.current,
      inactivity: {
        ...settings.current.inactivity,
        minutes: Number(value('routine-minutes')),
        // read from the fields as they are now (tidied when they were left)
        windows: windows.map((_, i) => ({
          start: value(`window-${i}-start`),
          end: value(`window-${i}-end`),
        })),
      },
      night: { start: value('night-start'), end: value('night-end') },
    };
    try {
      settings.current = (
        await api('put', '/api/homes/{homeId}/rule-settings', { path: { homeId }, body: next })
      ).settings;
      setStatus(tt('saved'));
    } catch (err) {
      setStatus(`${tt('failed')}: ${errorText(err)}`);
    }
  };
  return (
    <section aria-labelledby="routine-title" class="panel-section">
      <h3 id="routine-title">{tt('title')}</h3>
      <p class="routine-intro">{routineIntro(alerts)}</p>
      <form ref={form} class="routine-form" aria-labelledby="routine-title" onSubmit={(e) => void submit(e)}>
        <label for="routine-minutes">{tt('minutes')}</label>
        <input
          id="routine-minutes"
          type="number"
          min="5"
          max="1440"
          required
          defaultValue={String(initial.inactivity.minutes)}
        />
        <div class="routine-windows">
          {windows.map((w, i) => (
            <fieldset key={w.key}>
              <legend>{`${tt('window')} ${i + 1}`}</legend>
              <TimeField
                id={`window-${i}-start`}
                label={tt('from')}
                value={w.start}
                focus={focusNew.current && i === windows.length - 1}
              />
              <TimeField id={`window-${i}-end`} label={tt('to')} value={w.end} />
              {windows.length > 1 ? (
                <button
                  type="button"
                  class="secondary"
                  aria-label={`${tt('remove')} ${i + 1}`}
                  onClick={() => setWindows((all) => all.filter((x) => x.key !== w.key))}
                >
                  {tt('remove')}
                </button>
              ) : null}
            </fieldset>
          ))}
        </div>
        <button
          type="button"
          class="secondary"
          hidden={windows.length >= MAX_WINDOWS}
          onClick={() => {
            focusNew.current = true;
            setWindows((all) => [...all, { key: nextKey++, start: '12:00', end: '13:00' }]);
          }}
        >
          {tt('add')}
        </button>
        <fieldset>
          <legend>{tt('night')}</legend>
          <TimeField id="night-start" label={tt('from')} value={initial.night.start} />
          <TimeField id="night-end" label={tt('to')} value={initial.night.end} />
        </fieldset>
        <div class="actions">
          <button type="submit">{tt('save')}</button>
        </div>
        <p role="status">{status}</p>
      </form>
    </section>
  );
}
