import { api } from '../api/client.ts';
import { tb } from '../board-strings.ts';
import { formatTime, t } from '../i18n.ts';
import { el } from './dom.ts';

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

/**
 * The home's alert history (issue 11 point 2): every care alert, newest first, with when it was
 * raised, acknowledged and resolved, the outcome, the note and who handled it, so whoever comes
 * next knows what happened last time. Ten at a time from the server; each read is audited there.
 */
export async function alertHistorySection(homeId: string): Promise<HTMLElement> {
  const list = el('ul', { className: 'alert-history-list', 'aria-labelledby': 'alert-history-title' });
  const more = el('button', { type: 'button', className: 'secondary', hidden: true }, tb('historyMore'));
  const status = el('p', { className: 'empty', role: 'status' });
  let next: string | null = null;
  const load = async () => {
    const page: { alerts: HistoryAlert[]; next: string | null } = await api(
      'get',
      '/api/homes/{homeId}/alerts',
      {
        path: { homeId },
        query: { limit: PAGE, ...(next ? { before: next } : {}) },
      },
    );
    const first = list.children.length;
    list.append(...page.alerts.map(historyItem));
    next = page.next;
    more.hidden = !next;
    status.textContent = list.children.length === 0 ? tb('historyNone') : '';
    return first;
  };
  more.onclick = () => {
    // focus goes to the first of the older ones, so a keyboard user reads on from there
    void load()
      .then((first) => list.children[first]?.querySelector('h4')?.focus())
      .catch(() => {
        status.textContent = tb('loadFailed');
      });
  };
  await load();
  return el(
    'section',
    { 'aria-labelledby': 'alert-history-title', className: 'panel-section alert-history' },
    el('h3', { id: 'alert-history-title' }, tb('historyTitle')),
    status,
    list,
    more,
  );
}

function historyItem(a: HistoryAlert): HTMLLIElement {
  const times = [
    `${tb('raisedAt')} ${formatTime(a.openedAt)}`,
    a.acknowledgedAt ? `${tb('acknowledgedAt')} ${formatTime(a.acknowledgedAt)}` : '',
    a.resolvedAt ? `${tb('resolvedAt')} ${formatTime(a.resolvedAt)}` : t.of('state_', a.state),
  ].filter(Boolean);
  return el(
    'li',
    { className: 'alert-history-item', 'data-alert-id': a.id },
    el(
      'h4',
      { tabIndex: -1 },
      a.test ? el('span', { className: 'badge test', 'data-test-mark': '' }, t('testMark')) : '',
      a.test ? ' ' : '',
      `${t.of('rule_', a.rule)} · ${t.of('severity_', a.severity)}`,
    ),
    el('p', { className: 'meta' }, times.join(' · ')),
    a.state === 'resolved'
      ? el(
          'p',
          { className: 'meta' },
          `${tb('outcomeLabel')}: ${a.outcome ? t.of('outcome_', a.outcome) : '–'}`,
        )
      : '',
    el('p', { className: 'meta note' }, a.note ? `${tb('noteLabel')}: ${a.note}` : tb('noNote')),
    a.handledBy ? el('p', { className: 'meta' }, `${tb('handledBy')}: ${a.handledBy}`) : '',
  );
}
