/**
 * Wall-clock time in a named time zone, with Intl only. Windows such as "07:00–22:00" are the
 * home's local time, so across the daylight-saving nights they move in UTC.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function parts(instant: number, timeZone: string) {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** The zone's offset from UTC at an instant, in ms (Copenhagen: +1 h in winter, +2 h in summer). */
export function offsetMs(instant: number, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

export function localDate(instant: number, timeZone: string): LocalDate {
  const p = parts(instant, timeZone);
  return { year: p.year, month: p.month, day: p.day };
}

/** A local date plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The instant at which the wall clock in `timeZone` shows `minutes` past midnight on `date`.
 * A wall time skipped by the spring change (02:30 on the last Sunday of March) maps to the
 * instant an hour later; a repeated one (02:30 in October) to its first occurrence.
 */
export function zonedInstant(date: LocalDate, minutesOfDay: number, timeZone: string): number {
  // Pure, and asked for the same few (zone, day, window edge) over and over: every home's timer
  // at start-up, every recomputation after. Formatting dates with Intl is the costly part.
  const key = `${timeZone}|${date.year}-${date.month}-${date.day}|${minutesOfDay}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    if (instants.size >= MAX_CACHED_INSTANTS) instants.clear();
    instant = computeZonedInstant(date, minutesOfDay, timeZone);
    instants.set(key, instant);
  }
  return instant;
}

const MAX_CACHED_INSTANTS = 50_000;
const instants = new Map<string, number>();

function computeZonedInstant(date: LocalDate, minutesOfDay: number, timeZone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, 0, minutesOfDay);
  // The offsets in force a day before and after: they differ only on a change night. A day, not
  // half of one: offsets reach +14 h (Chatham +13:45 changes at 14:00 UTC), so the change can lie
  // more than 12 h from the naive instant (found by test/properties.test.ts).
  const before = offsetMs(naive - 24 * 3_600_000, timeZone);
  const after = offsetMs(naive + 24 * 3_600_000, timeZone);
  const shows = (instant: number) => offsetMs(instant, timeZone) === naive - instant;
  const valid = [naive - before, naive - after].filter(shows);
  if (valid.length > 0) return Math.min(...valid);
  return naive - before; // skipped by the spring change: the same moment the clock jumped past it
}

/** "07:30" → 450 */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Minutes past local midnight at an instant (0-1439); window edges are whole minutes. */
export function minuteOfDay(instant: number, timeZone: string): number {
  const p = parts(instant, timeZone);
  return p.hour * 60 + p.minute;
}

/**
 * Whether an instant falls inside a local-time window, start inclusive, end exclusive; a window
 * whose end is before its start crosses midnight (23:00-06:00). Judged on the wall clock at that
 * instant, so on the daylight-saving nights the window is one hour shorter or longer in real time.
 */
export function inLocalWindow(
  instant: number,
  window: { start: string; end: string },
  timeZone: string,
): boolean {
  const m = minuteOfDay(instant, timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start < end ? m >= start && m < end : m >= start || m < end;
}
