import { Fragment } from 'preact';
import { offBy, sinceText } from '../alerts-off.ts';
import { api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { tx } from './strings.ts';

/** One category's alerts: on or off, and the change that made it so (services/consent AlertsState). */
export interface AlertsState {
  category: string;
  on: boolean;
  since: number | null;
  actorRole: string | null;
  onBehalfOfCitizen: boolean;
}

/** the alerts state of a home, or null for a role that may not read it */
export async function alertsState(homeId: string): Promise<AlertsState[] | null> {
  try {
    const answer: { categories: AlertsState[] } = await api('get', '/api/homes/{homeId}/alerts-consent', {
      path: { homeId },
    });
    return answer.categories;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

function stateText(s: AlertsState): string {
  if (s.on) return s.since ? tx('alertsOnSince', { when: sinceText(s.since) }) : tx('alertsOn');
  if (s.since) return tx('alertsOffSince', { when: sinceText(s.since), who: offBy(s) });
  return tx('alertsNever');
}

/**
 * Which kinds of alert reach care staff from this home, and since when (issue 7 item 12): an alert
 * that is off is said to be off, in words and not by colour alone.
 */
export function AlertsConsent({ states }: { states: AlertsState[] }) {
  return (
    <section aria-labelledby="alerts-consent-title" class="panel-section alerts-consent">
      <h3 id="alerts-consent-title">{tx('alertsConsentTitle')}</h3>
      <p>{tx('alertsConsentIntro')}</p>
      <dl>
        {states.map((s) => (
          <Fragment key={s.category}>
            <dt>{tx.of('category_', s.category)}</dt>
            <dd class={s.on ? 'on' : 'off'} data-category={s.category}>
              {stateText(s)}
            </dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

/** The routine's explanation of what the night and the day are used for, as consent has it now. */
export function routineIntro(states: AlertsState[] | null): string {
  const on = (category: string) => states?.find((s) => s.category === category)?.on ?? true;
  const day = on('activity') ? tx('routineActivityOn') : tx('routineActivityOff');
  const door = on('door');
  const sleep = on('sleep');
  const night = door
    ? sleep
      ? tx('routineNightBoth')
      : tx('routineNightDoor')
    : sleep
      ? tx('routineNightSleep')
      : tx('routineNightNone');
  return `${day} ${night}`;
}
