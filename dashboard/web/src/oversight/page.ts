import { el } from '../alert-card.ts';
import { api } from '../api/client.ts';
import { tx } from '../home-view/strings.ts';
import { t } from '../i18n.ts';
import { ot } from './texts.ts';

interface Review {
  homeId: string;
  homeLabel: string;
  category: string;
  purpose: string;
  reviewDue: string;
  reference: string | null;
  overdue: boolean;
}
interface Durations {
  count: number;
  median: number | null;
  p90: number | null;
}
interface Outcome {
  alerts: number;
  resolved: number;
  falseAlarmRate: number | null;
  acknowledge: Durations;
  enRoute: Durations;
  arrive: Durations;
  resolve: Durations;
  answeredInTime: number | null;
  reachedInTime: number | null;
}
interface Targets {
  answerWithinS: number;
  arriveWithinS: number;
}
interface Report {
  byRule: Record<string, Outcome>;
  byTeam: Record<string, Outcome>;
  /** the name of each team in byTeam: people see names, never ids */
  teamNames: Record<string, string>;
  targets: Targets;
}

const seconds = (s: number | null) => {
  if (s === null) return '–';
  if (s < 120) return `${Math.round(s)} s`;
  return `${Math.round(s / 60)} min`;
};
const percent = (r: number | null) => (r === null ? '–' : `${Math.round(r * 100)} %`);

const targetWords = (t: Targets) => ({
  s: String(t.answerWithinS),
  min: String(Math.round(t.arriveWithinS / 60)),
});

function outcomeTable(
  caption: string,
  firstColumn: string,
  rows: Array<[string, Outcome]>,
  targets: Targets,
): HTMLElement {
  if (rows.length === 0) return el('p', {}, ot('noStats'));
  const words = targetWords(targets);
  // the shares within the targets beside the medians: the whole chain from press to arrival
  const head = el(
    'tr',
    {},
    ...[
      firstColumn,
      ot('alerts'),
      ot('falseRate'),
      ot('answeredShare', words),
      ot('ackMedian'),
      ot('ackP90'),
      ot('enRouteMedian'),
      ot('reachedShare', words),
      ot('arriveMedian'),
      ot('resolveMedian'),
    ].map((h) => el('th', { scope: 'col' }, h)),
  );
  const body = rows.map(([name, o]) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, name),
      el('td', {}, String(o.alerts)),
      el('td', {}, percent(o.falseAlarmRate)),
      el('td', {}, percent(o.answeredInTime)),
      el('td', {}, seconds(o.acknowledge.median)),
      el('td', {}, seconds(o.acknowledge.p90)),
      el('td', {}, seconds(o.enRoute.median)),
      el('td', {}, percent(o.reachedInTime)),
      el('td', {}, seconds(o.arrive.median)),
      el('td', {}, seconds(o.resolve.median)),
    ),
  );
  return el(
    'div',
    { className: 'table-scroll', tabIndex: 0, 'aria-label': caption },
    el('table', {}, el('caption', {}, caption), el('thead', {}, head), el('tbody', {}, ...body)),
  );
}

/**
 * What staff and the municipality oversee: § 128 a decisions due for review (overdue said in
 * words), and outcome statistics per alert kind and per team — never per employee.
 */
export async function renderOversight(root: HTMLElement): Promise<void> {
  const asked: [Promise<{ reviews: Review[] }>, Promise<Report>] = [
    api('get', '/api/consent/reviews'),
    api('get', '/api/statistics'),
  ];
  const [{ reviews }, report] = await Promise.all(asked);
  const reviewSection = el(
    'section',
    { 'aria-labelledby': 'reviews-title' },
    el('h3', { id: 'reviews-title' }, ot('reviews')),
  );
  if (reviews.length === 0) reviewSection.append(el('p', {}, ot('noReviews')));
  else {
    const list = el('ul', { className: 'reviews' });
    for (const r of reviews) {
      list.append(
        el(
          'li',
          { className: r.overdue ? 'overdue' : '' },
          el('strong', {}, r.homeLabel),
          ` – ${tx.of('category_', r.category)}, ${ot.of('purpose_', r.purpose)}${r.reference ? ` (${r.reference})` : ''}. `,
          `${ot('reviewDue')}: ${r.reviewDue}. `,
          el(
            'span',
            { className: `badge ${r.overdue ? 'critical' : 'medium'}` },
            r.overdue ? ot('overdue') : ot('due'),
          ),
        ),
      );
    }
    reviewSection.append(list);
  }
  const statsSection = el(
    'section',
    { 'aria-labelledby': 'stats-title' },
    el('h3', { id: 'stats-title' }, ot('stats')),
    el('p', { className: 'meta' }, ot('statsNote')),
    el('p', { className: 'meta' }, ot('targetsNote', targetWords(report.targets))),
    outcomeTable(
      ot('byRule'),
      ot('rule'),
      Object.entries(report.byRule).map(([rule, o]) => [t.of('rule_', rule), o]),
      report.targets,
    ),
    outcomeTable(
      ot('byTeam'),
      ot('team'),
      Object.entries(report.byTeam).map(([team, o]) => [report.teamNames[team] ?? team, o]),
      report.targets,
    ),
  );
  root.replaceChildren(el('h2', {}, ot('title')), reviewSection, statsSection);
}
