import { formatTime } from '../i18n.ts';
import type { ReadingsAnswer, Series } from './api.ts';
import { el, svg } from './dom.ts';
import { formatValue, isBinaryKind, tx } from './strings.ts';

const H = 220;
const PAD = { left: 70, right: 12, top: 12, bottom: 34 };
/** Line colours with at least 4.5:1 against white, so lines read as well as text. */
const COLOURS = ['#0b5cad', '#9a4a00', '#1e6b32', '#6b2c91', '#a0153e'];

/**
 * One kind's readings as an inline SVG chart, with its text alternative: the chart's accessible
 * name sums each line up, and a table beside it gives count, lowest, highest and latest per device.
 */
export function readingsChart(r: ReadingsAnswer, id: string, width: number): HTMLElement {
  // drawn at the width it is shown at, so its labels keep their size on a phone
  const W = Math.round(Math.max(260, Math.min(1000, width)));
  const kindName = tx(`kind_${r.kind}`);
  const rangeName = tx(`range_${r.range}`).toLowerCase();
  const binary = isBinaryKind(r.kind);
  let lo = binary ? 0 : Math.min(...r.series.map((s) => s.summary.min));
  let hi = binary ? 1 : Math.max(...r.series.map((s) => s.summary.max));
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const x = (ts: number) => PAD.left + ((ts - r.from) / (r.to - r.from)) * (W - PAD.left - PAD.right);
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
  // axes and the two value labels (lowest and highest of the scale)
  chart.append(
    svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, class: 'axis' }),
    svg('line', { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: 'axis' }),
    svg(
      'text',
      { x: PAD.left - 6, y: y(hi) + 5, 'text-anchor': 'end', class: 'tick' },
      formatValue(r.kind, hi),
    ),
    svg('text', { x: PAD.left - 6, y: y(lo), 'text-anchor': 'end', class: 'tick' }, formatValue(r.kind, lo)),
    svg('text', { x: PAD.left, y: H - 10, class: 'tick' }, formatTime(r.from)),
    svg('text', { x: W - PAD.right, y: H - 10, 'text-anchor': 'end', class: 'tick' }, formatTime(r.to)),
  );
  let anyTest = false;
  r.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    chart.append(svg('path', { d: pathOf(s, x, y, binary), stroke: colour, class: 'line' }));
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
        ...['device', 'count', 'min', 'max', 'last'].map((k) => el('th', { scope: 'col' }, tx(k))),
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

/** A line through the points; a step line for on/off kinds, which hold their value until the next. */
function pathOf(s: Series, x: (ts: number) => number, y: (v: number) => number, step: boolean): string {
  const parts: string[] = [];
  s.points.forEach((p, i) => {
    const px = x(p.ts).toFixed(1);
    const py = y(p.value).toFixed(1);
    if (i === 0) parts.push(`M${px} ${py}`);
    else if (step) parts.push(`H${px} V${py}`);
    else parts.push(`L${px} ${py}`);
  });
  // a single reading is still visible: a short tick
  if (s.points.length === 1) parts.push('h4');
  return parts.join(' ');
}
