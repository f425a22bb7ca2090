import { hasMessage } from '../messages/index.ts';
import type { ReadingsAnswer, Series } from './api.ts';
import { clock, duration, labelWidth, longDay, shortDay } from './chart-format.ts';
import { el, svg } from './dom.ts';
import { type DayOfEvents, minuteOfDay, splitIntoDays } from './local-days.ts';
import { tx } from './strings.ts';

const ROW = 24;
const TOP = 26;
/** on/off kinds whose "on" lasts (a door open, someone in bed): drawn as bars; the others as ticks */
const LASTING = new Set(['door', 'bed']);

/**
 * An on/off kind as a timeline: one row per local day in the home's time zone, the hours of the day
 * across; a motion is a tick, a door open or a stay in bed a bar from start to end. Beside it a
 * table says the same day by day: how many, first and last, and how long for doors and beds.
 */
export function eventTimeline(r: ReadingsAnswer, id: string, width: number, rangeName: string): HTMLElement {
  const tz = r.timezone;
  const W = Math.round(Math.max(260, Math.min(1000, width)));
  const lasting = LASTING.has(r.kind);
  const kindName = tx.of('kind_', r.kind);
  const parts = r.series.map((s) => deviceTimeline(r, s, W, lasting, kindName, rangeName, tz));
  let anyTest = false;
  for (const s of r.series) if (s.points.some((p) => p.test)) anyTest = true;
  return el(
    'figure',
    { className: 'reading-chart timeline', id },
    ...parts,
    anyTest ? el('p', { className: 'muted' }, tx('testPoint')) : null,
    r.truncated ? el('p', { className: 'muted' }, tx('truncated')) : null,
  );
}

function deviceTimeline(
  r: ReadingsAnswer,
  s: Series,
  W: number,
  lasting: boolean,
  kindName: string,
  rangeName: string,
  tz: string,
): HTMLElement {
  const days = splitIntoDays(s.points, r.from, r.to, tz);
  // the day labels' column: as wide as the widest label
  const left = Math.max(...days.map((d) => labelWidth(shortDay(d.start + 43_200_000, tz)))) + 8;
  const right = 22;
  const plot = W - left - right;
  const H = TOP + days.length * ROW + 6;
  const x = (minute: number) => left + (minute / 1440) * plot;
  const total = days.reduce((n, d) => n + d.events.length, 0);
  const onMs = days.reduce((n, d) => n + d.onMs, 0);
  const label = tx(lasting ? 'timelineLabelLasting' : 'timelineLabel', {
    kind: kindName,
    device: s.deviceId,
    range: rangeName,
    count: total,
    noun: tx.of('events_', r.kind),
    days: days.length,
    duration: duration(onMs),
  });
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': label,
    class: 'chart timeline-chart',
    focusable: 'false',
  });
  // hours across the top: every 3, 6 or 12 hours, whichever keeps the labels apart
  const step = [3, 6, 12].find((h) => (plot / 24) * h >= labelWidth('00:00') + 10) ?? 24;
  for (let h = 0; h <= 24; h += step) {
    chart.append(
      svg('line', { x1: x(h * 60), y1: TOP - 6, x2: x(h * 60), y2: H - 6, class: 'grid' }),
      svg(
        'text',
        { x: x(h * 60), y: 14, 'text-anchor': 'middle', class: 'tick' },
        `${String(h).padStart(2, '0')}:00`,
      ),
    );
  }
  const testAt = new Set(s.points.filter((p) => p.test).map((p) => p.ts));
  days.forEach((d, i) => {
    const y = TOP + i * ROW;
    chart.append(
      svg('text', { x: 4, y: y + ROW / 2 + 5, class: 'tick day' }, shortDay(d.start + 43_200_000, tz)),
      svg('line', { x1: left, y1: y + ROW - 1, x2: W - right, y2: y + ROW - 1, class: 'row-line' }),
    );
    if (lasting) {
      for (const span of d.spans) {
        const x1 = x(minuteOfDay(span.start, tz));
        const x2 = span.end >= d.end ? x(1440) : x(minuteOfDay(span.end, tz));
        chart.append(
          svg('rect', { x: x1, y: y + 4, width: Math.max(2, x2 - x1), height: ROW - 9, class: 'bar' }),
        );
      }
    }
    for (const ts of d.events) {
      const cx = x(minuteOfDay(ts, tz));
      if (testAt.has(ts))
        chart.append(
          svg('circle', { cx, cy: y + ROW / 2 - 1, r: 5, stroke: '#0b5cad', class: 'test-point event-test' }),
        );
      else if (!lasting)
        chart.append(svg('rect', { x: cx - 1, y: y + 3, width: 2, height: ROW - 7, class: 'event' }));
    }
  });
  return el(
    'div',
    { className: 'device-timeline', 'data-device-id': s.deviceId },
    r.series.length > 1 ? el('p', { className: 'device-name' }, s.deviceId) : null,
    chart,
    dayTable(days, r.kind, lasting, kindName, s.deviceId, rangeName, tz),
  );
}

/** The text alternative: one row per day, "Mandag 23.11 | 14 | 06:42 | 22:10". */
function dayTable(
  days: DayOfEvents[],
  kind: string,
  lasting: boolean,
  kindName: string,
  deviceId: string,
  rangeName: string,
  tz: string,
): HTMLElement {
  const caption = tx('dayTableCaption', { kind: kindName, device: deviceId, range: rangeName });
  const heads = [
    tx('day'),
    hasMessage('home', `count_${kind}`) ? tx.of('count_', kind) : tx('count'),
    tx('first'),
    tx('lastEvent'),
    ...(lasting ? [hasMessage('home', `onTotal_${kind}`) ? tx.of('onTotal_', kind) : tx('count')] : []),
  ];
  const table = el(
    'table',
    { className: 'summary days' },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      ...days.map((d) => {
        const first = d.events[0];
        const last = d.events[d.events.length - 1];
        return el(
          'tr',
          {},
          el('th', { scope: 'row' }, longDay(d.start + 43_200_000, tz)),
          el('td', {}, String(d.events.length)),
          el('td', {}, first === undefined ? '–' : clock(first, tz)),
          el('td', {}, last === undefined ? '–' : clock(last, tz)),
          ...(lasting ? [el('td', {}, duration(d.onMs))] : []),
        );
      }),
    ),
  );
  return el('div', { className: 'table-wrap', tabIndex: 0, role: 'region', 'aria-label': caption }, table);
}
