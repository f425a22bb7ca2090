import { formatTime } from '../i18n.ts';
import type { ReadingsAnswer, Series } from './api.ts';
import { dayMonth, labelWidth } from './chart-format.ts';
import { timeTicks, valueScale } from './chart-scale.ts';
import { el, svg } from './dom.ts';
import { formatValue, isBinaryKind, tx } from './strings.ts';
import { eventTimeline } from './timeline.ts';

const H = 230;
const PAD = { right: 26, top: 14, bottom: 36 };
/** Line colours with at least 4.5:1 against white, so lines read as well as text. */
const COLOURS = ['#0b5cad', '#9a4a00', '#1e6b32', '#6b2c91', '#a0153e'];
/** The least span of the value axis, so 0.1 °C of noise is not stretched to the full height. */
const MIN_SPAN: Record<string, number> = { temperature: 2, battery: 10, co: 10 };

/** The period in words: "sidste 7 dage", or "1.11–20.11" for a chosen one. */
export function periodName(r: ReadingsAnswer): string {
  if (r.range !== 'custom') return tx.of('range_', r.range).toLowerCase();
  return `${dayMonth(r.from, r.timezone)}–${dayMonth(r.to - 1, r.timezone)}`;
}

/**
 * One kind's readings: an on/off kind as a timeline of days, a number kind as a line with its unit
 * on the axis. Either comes with its text alternative.
 */
export function readingsChart(r: ReadingsAnswer, id: string, width: number): HTMLElement {
  const rangeName = periodName(r);
  if (isBinaryKind(r.kind)) return eventTimeline(r, id, width, rangeName);
  return numberChart(r, id, width, rangeName);
}

/**
 * A number kind as an inline SVG chart, with its text alternative: the chart's accessible name
 * sums each line up, and a table beside it gives count, lowest, highest and latest per device.
 */
function numberChart(r: ReadingsAnswer, id: string, width: number, rangeName: string): HTMLElement {
  // drawn at the width it is shown at, so its labels keep their size on a phone
  const W = Math.round(Math.max(260, Math.min(1000, width)));
  const kindName = tx.of('kind_', r.kind);
  const scale = valueScale(
    Math.min(...r.series.map((s) => s.summary.min)),
    Math.max(...r.series.map((s) => s.summary.max)),
    MIN_SPAN[r.kind] ?? 1,
  );
  const lo = scale.lo;
  const hi = scale.hi;
  const valueLabels = scale.ticks.map((v) => formatValue(r.kind, v));
  const left = Math.max(...valueLabels.map(labelWidth)) + 12;
  const x = (ts: number) => left + ((ts - r.from) / (r.to - r.from)) * (W - left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);

  const label = r.series
    .map((s) =>
      tx('chartLabel', {
        kind: kindName,
        device: s.deviceId,
        range: rangeName,
        min: formatValue(r.kind, s.summary.min),
        max: formatValue(r.kind, s.summary.max),
        last: `${formatValue(r.kind, s.summary.last.value)} (${formatTime(s.summary.last.ts)})`,
      }),
    )
    .join(' ');
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': label,
    class: 'chart',
    focusable: 'false',
  });
  chart.append(
    svg('line', { x1: left, y1: PAD.top, x2: left, y2: H - PAD.bottom, class: 'axis' }),
    svg('line', { x1: left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: 'axis' }),
  );
  // the value axis: round values with their unit, a faint line across at each
  scale.ticks.forEach((v, i) => {
    chart.append(
      svg('line', { x1: left, y1: y(v), x2: W - PAD.right, y2: y(v), class: 'grid' }),
      svg('text', { x: left - 6, y: y(v) + 5, 'text-anchor': 'end', class: 'tick' }, valueLabels[i]!),
    );
  });
  // the time axis: local clock times or days, as many as fit without touching
  for (const t of timeTicks(r.from, r.to, r.timezone, W - left - PAD.right)) {
    chart.append(
      svg('line', { x1: x(t.at), y1: H - PAD.bottom, x2: x(t.at), y2: H - PAD.bottom + 5, class: 'axis' }),
      svg('text', { x: x(t.at), y: H - 12, 'text-anchor': 'middle', class: 'tick' }, t.text),
    );
  }
  let anyTest = false;
  r.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    chart.append(svg('path', { d: pathOf(s, x, y), stroke: colour, class: 'line' }));
    for (const p of s.points) {
      if (!p.test) continue;
      anyTest = true;
      chart.append(svg('circle', { cx: x(p.ts), cy: y(p.value), r: 5, stroke: colour, class: 'test-point' }));
    }
  });

  const legend =
    r.series.length > 1
      ? el(
          'ul',
          { className: 'legend' },
          ...r.series.map((s, i) => {
            const swatch = el('span', { className: 'swatch', 'aria-hidden': 'true' });
            // through the CSSOM: the page's CSP allows no inline style attributes
            swatch.style.background = COLOURS[i % COLOURS.length]!;
            return el('li', {}, swatch, s.deviceId);
          }),
        )
      : null;
  const table = el(
    'table',
    { className: 'summary' },
    el('caption', {}, tx('summaryCaption', { kind: kindName, range: rangeName })),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...(['device', 'count', 'min', 'max', 'last'] as const).map((k) => el('th', { scope: 'col' }, tx(k))),
      ),
    ),
    el(
      'tbody',
      {},
      ...r.series.map((s) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, s.deviceId),
          el('td', {}, String(s.summary.count)),
          el('td', {}, formatValue(r.kind, s.summary.min)),
          el('td', {}, formatValue(r.kind, s.summary.max)),
          el(
            'td',
            {},
            `${formatValue(r.kind, s.summary.last.value)} `,
            el('span', { className: 'muted' }, formatTime(s.summary.last.ts)),
          ),
        ),
      ),
    ),
  );
  return el(
    'figure',
    { className: 'reading-chart', id },
    chart,
    legend,
    anyTest ? el('p', { className: 'muted' }, tx('testPoint')) : null,
    r.truncated ? el('p', { className: 'muted' }, tx('truncated')) : null,
    // on a narrow screen the table may scroll sideways: focusable, so the keyboard can scroll it
    el(
      'div',
      {
        className: 'table-wrap',
        tabIndex: 0,
        role: 'region',
        'aria-label': tx('summaryCaption', { kind: kindName, range: rangeName }),
      },
      table,
    ),
  );
}

/** A line through the points. */
function pathOf(s: Series, x: (ts: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  s.points.forEach((p, i) => {
    const px = x(p.ts).toFixed(1);
    const py = y(p.value).toFixed(1);
    if (i === 0) parts.push(`M${px} ${py}`);
    else parts.push(`L${px} ${py}`);
  });
  // a single reading is still visible: a short tick
  if (s.points.length === 1) parts.push('h4');
  return parts.join(' ');
}
