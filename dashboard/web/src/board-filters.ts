import type { Alert } from './api.ts';
import { tb } from './board-strings.ts';
import { el } from './dom.ts';
import { t } from './i18n.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/**
 * The board's count line: open alerts per severity, in words ("3 kritiske · 1 høj – 4 åbne"), and
 * how many the filter shows. A polite live region, written only when its words change, so a
 * repeat or an escalation elsewhere does not make a screen reader say it again.
 */
export class BoardSummary {
  readonly element = el('p', { id: 'alerts-summary', className: 'alerts-summary', 'aria-live': 'polite' });

  update(open: readonly Alert[], shown: number): void {
    let text = tb('summaryNone');
    if (open.length > 0) {
      const counts = SEVERITIES.map((s) => [s, open.filter((a) => a.severity === s).length] as const)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => tb.of('count_', s, { n }));
      text = `${tb('summaryOpen', { n: open.length })}: ${counts.join(' · ')}`;
      // how many nobody has taken on yet, once someone has taken one on
      const waiting = open.filter((a) => a.state === 'open').length;
      if (waiting < open.length) text += ` (${tb('summaryWaiting', { n: waiting })})`;
      if (shown !== open.length) text += ` – ${tb('summaryShown', { shown, total: open.length })}`;
    }
    if (this.element.textContent !== text) this.element.textContent = text;
  }
}

/**
 * Filters by home and by kind of alert, as two labelled selects. Their options follow the open
 * alerts, but a live update never rebuilds a select: options are added and removed in place, and
 * the chosen one stays while it is chosen (even with no alert left), so focus and choice survive.
 */
export class BoardFilters {
  private readonly home = el('select', { id: 'filter-home', name: 'home' });
  private readonly kind = el('select', { id: 'filter-kind', name: 'kind' });
  readonly element = el(
    'div',
    { className: 'board-filters', role: 'group', 'aria-label': tb('filtersLabel') },
    el('div', {}, el('label', { htmlFor: 'filter-home' }, tb('filterHome')), this.home),
    el('div', {}, el('label', { htmlFor: 'filter-kind' }, tb('filterKind')), this.kind),
  );

  constructor(onChange: () => void) {
    for (const select of [this.home, this.kind]) {
      select.append(el('option', { value: '' }, tb('filterAll')));
      select.onchange = onChange;
    }
  }

  matches(a: Alert): boolean {
    return (
      (!this.home.value || a.homeId === this.home.value) && (!this.kind.value || a.rule === this.kind.value)
    );
  }

  /** options from the open alerts: homes by label, kinds by their name */
  update(open: readonly Alert[]): void {
    const homes = new Map(open.map((a) => [a.homeId, a.homeLabel]));
    const kinds = new Map(open.map((a) => [a.rule, t.of('rule_', a.rule)]));
    sync(this.home, homes);
    sync(this.kind, kinds);
  }
}

function sync(select: HTMLSelectElement, wanted: Map<string, string>): void {
  const chosen = select.value;
  const entries = [...wanted].sort((a, b) => a[1].localeCompare(b[1], 'da'));
  if (chosen && !wanted.has(chosen)) {
    const current = [...select.options].find((o) => o.value === chosen);
    if (current) entries.push([chosen, current.text]);
  }
  const want = ['', ...entries.map(([v]) => v)];
  const have = [...select.options].map((o) => o.value);
  if (want.join('\u0000') === have.join('\u0000')) return;
  // in place: remove what went, insert what came at its sorted position; the chosen option stays
  for (const option of [...select.options]) if (!want.includes(option.value)) option.remove();
  entries.forEach(([value, text], i) => {
    const at = select.options[i + 1];
    if (at?.value === value) return;
    const existing = [...select.options].find((o) => o.value === value);
    select.insertBefore(existing ?? el('option', { value }, text), at ?? null);
  });
  select.value = chosen;
}
