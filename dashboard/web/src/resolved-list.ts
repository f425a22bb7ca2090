import { type Alert, call } from './api.ts';
import { tb } from './board-strings.ts';
import { el } from './dom.ts';
import { formatTime, t } from './i18n.ts';

interface Page {
  alerts: Alert[];
  next: string | null;
}

/**
 * Recently resolved alerts, under the open ones: what the team handled, with outcome and note, for
 * the handover (24 hours) or the week. Closed until asked for (a disclosure), read from the server
 * a page at a time, and read again when the worker resolves an alert while it is open. Nothing here
 * counts or ranks people: it lists alerts.
 */
export class ResolvedList {
  private readonly period = el('select', { id: 'resolved-period', name: 'period' });
  private readonly list = el('ul', { className: 'resolved-list', 'aria-labelledby': 'resolved-title' });
  private readonly status = el('p', { className: 'empty', role: 'status' });
  private readonly more = el(
    'button',
    { type: 'button', className: 'secondary', hidden: true },
    tb('resolvedMore'),
  );
  private next: string | null = null;
  private loading = false;
  private readonly details: HTMLDetailsElement;
  readonly element: HTMLElement;

  constructor() {
    for (const p of ['24h', '7d'] as const)
      this.period.append(el('option', { value: p }, tb.of('period_', p)));
    this.details = el(
      'details',
      {},
      el('summary', {}, tb('resolvedShow')),
      el('label', { htmlFor: this.period.id }, tb('resolvedPeriod')),
      this.period,
      this.status,
      this.list,
      this.more,
    );
    this.element = el(
      'section',
      { className: 'resolved', 'aria-labelledby': 'resolved-title' },
      el('h2', { id: 'resolved-title' }, tb('resolvedTitle')),
      this.details,
    );
    this.details.ontoggle = () => {
      if (this.details.open) void this.load(true);
    };
    this.period.onchange = () => void this.load(true);
    this.more.onclick = () => void this.load(false);
  }

  /** an alert was resolved here: an open list shows it */
  changed(): void {
    if (this.details.open) void this.load(true);
  }

  private async load(fresh: boolean): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      const params = new URLSearchParams({ period: this.period.value, limit: '20' });
      if (!fresh && this.next) params.set('before', this.next);
      const page = await call<Page>('GET', `/api/resolved-alerts?${params}`);
      if (fresh) this.list.replaceChildren();
      this.list.append(...page.alerts.map(resolvedItem));
      this.next = page.next;
      this.more.hidden = !page.next;
      this.status.textContent = this.list.children.length === 0 ? tb('resolvedNone') : '';
    } catch {
      this.status.textContent = tb('loadFailed');
    } finally {
      this.loading = false;
    }
  }
}

function resolvedItem(a: Alert): HTMLLIElement {
  return el(
    'li',
    { className: `resolved-item ${a.severity}`, 'data-alert-id': a.id },
    el(
      'h3',
      {},
      a.test ? el('span', { className: 'badge test', 'data-test-mark': '' }, t('testMark')) : '',
      a.test ? ' ' : '',
      `${t.of('rule_', a.rule)} – ${a.homeLabel}`,
    ),
    el(
      'p',
      { className: 'meta' },
      `${t.of('severity_', a.severity)} · ${tb('raisedAt')} ${formatTime(a.openedAt)}`,
      a.acknowledgedAt ? ` · ${tb('acknowledgedAt')} ${formatTime(a.acknowledgedAt)}` : '',
      a.resolvedAt ? ` · ${tb('resolvedAt')} ${formatTime(a.resolvedAt)}` : '',
    ),
    el('p', { className: 'meta' }, `${tb('outcomeLabel')}: ${a.outcome ? t.of('outcome_', a.outcome) : '–'}`),
    el('p', { className: 'meta note' }, a.note ? `${tb('noteLabel')}: ${a.note}` : tb('noNote')),
  );
}
