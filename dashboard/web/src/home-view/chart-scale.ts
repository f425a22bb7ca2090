import { clock, dayMonth, labelWidth } from './chart-format.ts';
import { localDays, minuteOfDay } from './local-days.ts';

/**
 * A value axis from round numbers: at least `minSpan` tall around the data (0.1 °C of noise is not
 * stretched to the full height), three to six ticks on steps of 1, 2 or 5 times a power of ten.
 */
export function valueScale(
  min: number,
  max: number,
  minSpan: number,
): { lo: number; hi: number; ticks: number[] } {
  let lo = min;
  let hi = max;
  if (hi - lo < minSpan) {
    const mid = (lo + hi) / 2;
    lo = mid - minSpan / 2;
    hi = mid + minSpan / 2;
  }
  const raw = (hi - lo) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  return { lo, hi, ticks };
}

/**
 * Time-axis ticks in the home's local time for a plot `plotWidth` px wide: whole hours for a day
 * or so, local midnights for longer, spaced so their labels never touch.
 */
export function timeTicks(
  from: number,
  to: number,
  timeZone: string,
  plotWidth: number,
): Array<{ at: number; text: string }> {
  const span = to - from;
  const pxPerMs = plotWidth / span;
  const gap = 12;
  const inside = (at: number, text: string) => {
    // the label stays inside the plot's ends (half a label may hang over each end)
    const half = labelWidth(text) / 2;
    const px = (at - from) * pxPerMs;
    return px - half >= -20 && px + half <= plotWidth + 20;
  };
  if (span <= 2 * 86_400_000) {
    const stepH =
      [1, 2, 3, 6, 12, 24].find((h) => h * 3_600_000 * pxPerMs >= labelWidth('00:00') + gap) ?? 24;
    const out: Array<{ at: number; text: string }> = [];
    // whole local hours: start at the first whole hour after `from`
    let at = from + (60 - (minuteOfDay(from, timeZone) % 60)) * 60_000;
    at -= at % 60_000;
    for (; at <= to; at += 3_600_000) {
      const hour = Math.floor(minuteOfDay(at, timeZone) / 60);
      if (hour % stepH !== 0) continue;
      const text = clock(at, timeZone);
      if (inside(at, text)) out.push({ at, text });
    }
    return out;
  }
  const days = localDays(from, to, timeZone).filter((d) => d.start >= from);
  const widest = labelWidth(dayMonth(days[0]?.start ?? from, timeZone)) + gap;
  const every = [1, 2, 3, 7, 14, 30].find((n) => n * 86_400_000 * pxPerMs >= widest) ?? 30;
  return days
    .filter((_, i) => i % every === 0)
    .map((d) => ({ at: d.start, text: dayMonth(d.start, timeZone) }))
    .filter((t) => inside(t.at, t.text));
}
