import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { tb } from '../board-strings.ts';
import { formatTime, t } from '../i18n.ts';

/** One alert of the home as its record (`GET /api/homes/:homeId/alerts`). */
interface HistoryAlert {
  id: string;
  rule: string;
  severity: string;
  state: string;
  openedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  outcome: string | null;
  note: string | null;
  handledBy: string | null;
  /** a test alert (administrators only): marked "Test" */
  test?: boolean;
}

const PAGE = 10;

type Loaded =
  | { state: 'loading' }
  | { state: 'refused' }
  | { state: 'shown'; alerts: HistoryAlert[]; next: string | null; failedMore: boolean };

/**
 * The home's alert history (issue 11 point 2): every care alert, newest first, with when it was
 * raised, acknowledged and resolved, the outcome, the note and who handled it, so whoever comes
 * next knows what happened last time. Ten at a time from the server; each read is audited there.
 * Keyed by alert id: older pages are appended without redrawing what is read already. Nothing is
 * shown where the server refuses the history (a technician).
 */
export function AlertHistory({ homeId }: { homeId: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  /** after "more": focus goes to the first of the older ones, so a keyboard user reads on there */
  const focusAt = useRef<number | null>(null);
  const list = useRef<HTMLUListElement>(null);

  const page = (before: string | null) =>
    api('get', '/api/homes/{homeId}/alerts', {
      path: { homeId },
      query: { limit: PAGE, ...(before ? { before } : {}) },
    }) as Promise<{ alerts: HistoryAlert[]; next: string | null }>;

  useEffect(() => {
    let stopped = false;
    page(null)
      .then(
        (p) => !stopped && setLoaded({ state: 'shown', alerts: p.alerts, next: p.next, failedMore: false }),
      )
      .catch(() => !stopped && setLoaded({ state: 'refused' }));
    return () => {
      stopped = true;
    };
  }, [homeId]);

  useEffect(() => {
    if (focusAt.current === null || !list.current) return;
    list.current.children[focusAt.current]?.querySelector('h4')?.focus();
    focusAt.current = null;
  });

  if (loaded.state !== 'shown') return null;
  const { alerts, next, failedMore } = loaded;
  const more = async () => {
    try {
      const p = await page(next);
      focusAt.current = alerts.length;
      setLoaded({ state: 'shown', alerts: [...alerts, ...p.alerts], next: p.next, failedMore: false });
    } catch {
      setLoaded({ ...loaded, failedMore: true });
    }
  };
  const status = failedMore ? tb('loadFailed') : alerts.length === 0 ? tb('historyNone') : '';
  return (
    <section aria-labelledby="alert-history-title" class="panel-section alert-history">
      <h3 id="alert-history-title">{tb('historyTitle')}</h3>
      <p class="empty" role="status">
        {status}
      </p>
      <ul ref={list} class="alert-history-list" aria-labelledby="alert-history-title">
        {alerts.map((a) => (
          <HistoryItem key={a.id} alert={a} />
        ))}
      </ul>
      <button type="button" class="secondary" hidden={!next} onClick={() => void more()}>
        {tb('historyMore')}
      </button>
    </section>
  );
}

function HistoryItem({ alert: a }: { alert: HistoryAlert }) {
  const times = [
    `${tb('raisedAt')} ${formatTime(a.openedAt)}`,
    a.acknowledgedAt ? `${tb('acknowledgedAt')} ${formatTime(a.acknowledgedAt)}` : '',
    a.resolvedAt ? `${tb('resolvedAt')} ${formatTime(a.resolvedAt)}` : t.of('state_', a.state),
  ].filter(Boolean);
  return (
    <li class="alert-history-item" data-alert-id={a.id}>
      <h4 tabIndex={-1}>
        {a.test ? (
          <>
            <span class="badge test" data-test-mark="">
              {t('testMark')}
            </span>{' '}
          </>
        ) : null}
        {`${t.of('rule_', a.rule)} · ${t.of('severity_', a.severity)}`}
      </h4>
      <p class="meta">{times.join(' · ')}</p>
      {a.state === 'resolved' ? (
        <p class="meta">{`${tb('outcomeLabel')}: ${a.outcome ? t.of('outcome_', a.outcome) : '–'}`}</p>
      ) : null}
      <p class="meta note">{a.note ? `${tb('noteLabel')}: ${a.note}` : tb('noNote')}</p>
      {a.handledBy ? <p class="meta">{`${tb('handledBy')}: ${a.handledBy}`}</p> : null}
    </li>
  );
}
