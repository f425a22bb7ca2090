import { render } from 'preact';
import type { Alert } from './api.ts';
import { tb } from './board-strings.ts';
import { el } from './dom.ts';
import { t } from './i18n.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** the count line's words: "3 åbne: 3 kritiske · 1 høj (2 ikke kvitteret) – viser 1 af 4" */
export function summaryText(open: readonly Alert[], shown: number): string {
  if (open.length === 0) return tb('summaryNone');
  const counts = SEVERITIES.map((s) => [s, open.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => tb.of('count_', s, { n }));
  let text = `${tb('summaryOpen', { n: open.length })}: ${counts.join(' · ')}`;
  // how many nobody has taken on yet, once someone has taken one on
  const waiting = open.filter((a) => a.state === 'open').length;
  if (waiting < open.length) text += ` (${tb('summaryWaiting', { n: waiting })})`;
  if (shown !== open.length) text += ` – ${tb('summaryShown', { shown, total: open.length })}`;
  return text;
}

/**
 * The board's count line: open alerts per severity, in words, and how many the filter shows. A
 * polite live region whose text Preact writes only when its words change, so a repeat or an
 * escalation elsewhere does not make a screen reader say it again.
 */
export class BoardSummary {
  readonly element = el('p', { id: 'alerts-summary', className: 'alerts-summary', 'aria-live': 'polite' });

  update(open: readonly Alert[], shown: number): void {
    render(summaryText(open, shown), this.element);
  }
}

type Options = ReadonlyArray<readonly [value: string, text: string]>;

/** A labelled select whose options are a keyed list: a live update adds and removes options in place. */
function Filter(props: {
  id: string;
  name: string;
  label: string;
  value: string;
  options: Options;
  onChoose(value: string): void;
}) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChoose(e.currentTarget.value)}
      >
        <option key="" value="">
          {tb('filterAll')}
        </option>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * Filters by home and by kind of alert, as two labelled selects (Preact components). Their options
 * follow the open alerts, sorted by name, but the select itself is never rebuilt, and the chosen
 * option stays while it is chosen (even with no alert left), so focus and choice survive.
 */
export class BoardFilters {
  readonly element = el('div', {
    className: 'board-filters',
    role: 'group',
    'aria-label': tb('filtersLabel'),
  });
  private home = '';
  private kind = '';
  private homes: Options = [];
  private kinds: Options = [];

  constructor(private readonly onChange: () => void) {
    this.draw();
  }

  matches(a: Alert): boolean {
    return (!this.home || a.homeId === this.home) && (!this.kind || a.rule === this.kind);
  }

  /** options from the open alerts: homes by label, kinds by their name */
  update(open: readonly Alert[]): void {
    this.homes = options(new Map(open.map((a) => [a.homeId, a.homeLabel])), this.home, this.homes);
    this.kinds = options(new Map(open.map((a) => [a.rule, t.of('rule_', a.rule)])), this.kind, this.kinds);
    this.draw();
  }

  private draw(): void {
    const choose = (set: (value: string) => void) => (value: string) => {
      set(value);
      this.draw();
      this.onChange();
    };
    render(
      <>
        <Filter
          id="filter-home"
          name="home"
          label={tb('filterHome')}
          value={this.home}
          options={this.homes}
          onChoose={choose((v) => {
            this.home = v;
          })}
        />
        <Filter
          id="filter-kind"
          name="kind"
          label={tb('filterKind')}
          value={this.kind}
          options={this.kinds}
          onChoose={choose((v) => {
            this.kind = v;
          })}
        />
      </>,
      this.element,
    );
  }
}

/** sorted by name; the chosen one stays (with the name it had) while it is chosen */
function options(wanted: Map<string, string>, chosen: string, before: Options): Options {
  if (chosen && !wanted.has(chosen)) {
    const known = before.find(([v]) => v === chosen);
    if (known) wanted.set(chosen, known[1]);
  }
  return [...wanted].sort((a, b) => a[1].localeCompare(b[1], 'da'));
}
