/**
 * Local days in a home's time zone, in the browser, with Intl only (the web bundle does not import
 * the server's rule code). A day runs from one local midnight to the next: 23 hours on the spring
 * daylight-saving night, 25 on the autumn one. Pure: every instant is passed in.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: number, timeZone: string) {
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
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return p as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

const offsetAt = (instant: number, timeZone: string): number => {
  const p = wallClock(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
};

/** The instant of local midnight starting the calendar day `y-m-d` (month 1-12; overflow rolls on). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const naive = Date.UTC(year, month - 1, day);
  // the offsets half a day either side differ only on a change night; midnight itself is never skipped in Europe
  for (const offset of [offsetAt(naive - 43_200_000, timeZone), offsetAt(naive + 43_200_000, timeZone)]) {
    const instant = naive - offset;
    if (offsetAt(instant, timeZone) === offset) return instant;
  }
  return naive - offsetAt(naive, timeZone);
}

export interface LocalDay {
  /** YYYY-MM-DD in the home's time zone */
  date: string;
  /** local midnight starting the day */
  start: number;
  /** local midnight ending it (the next day's start) */
  end: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local days that the period [from, to) touches, oldest first. */
export function localDays(from: number, to: number, timeZone: string): LocalDay[] {
  const days: LocalDay[] = [];
  const first = wallClock(from, timeZone);
  let { year, month, day } = first;
  let start = localMidnight(year, month, day, timeZone);
  // bounded: a year of days at most, whatever a server says
  while (start < to && days.length < 400) {
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    const end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
    days.push({ date: `${year}-${pad(month)}-${pad(day)}`, start, end });
    ({ year, month, day } = {
      year: next.getUTCFullYear(),
      month: next.getUTCMonth() + 1,
      day: next.getUTCDate(),
    });
    start = end;
  }
  return days;
}

/** Minutes past local midnight on the wall clock (0-1439): where a mark sits on its day's row. */
export function minuteOfDay(instant: number, timeZone: string): number {
  const p = wallClock(instant, timeZone);
  return p.hour * 60 + p.minute + p.second / 60;
}

export interface Span {
  /** instants, within the day */
  start: number;
  end: number;
}

export interface DayOfEvents extends LocalDay {
  /** "on" reports: a motion, a door opening, getting into bed (for ticks) */
  events: number[];
  /** on-periods cut at the day's edges: a door open from 23:50 to 00:10 shows on both days */
  spans: Span[];
  /** how long it was on that day, in ms */
  onMs: number;
}

/**
 * An on/off kind's readings split into the local days of [from, to): each day's "on" reports and
 * its on-periods (from an "on" to the next "off", or to `to` while still on), cut at local midnight.
 */
export function splitIntoDays(
  points: ReadonlyArray<{ ts: number; value: number }>,
  from: number,
  to: number,
  timeZone: string,
): DayOfEvents[] {
  const spans: Span[] = [];
  let openedAt: number | null = null;
  for (const p of points) {
    if (p.value >= 1 && openedAt === null) openedAt = p.ts;
    else if (p.value < 1 && openedAt !== null) {
      spans.push({ start: openedAt, end: p.ts });
      openedAt = null;
    }
  }
  if (openedAt !== null) spans.push({ start: openedAt, end: Math.max(openedAt, to) });
  return localDays(from, to, timeZone).map((day) => {
    const daySpans = spans
      .filter((s) => s.end > day.start && s.start < day.end)
      .map((s) => ({ start: Math.max(s.start, day.start), end: Math.min(s.end, day.end) }));
    return {
      ...day,
      events: points.filter((p) => p.value >= 1 && p.ts >= day.start && p.ts < day.end).map((p) => p.ts),
      spans: daySpans,
      onMs: daySpans.reduce((sum, s) => sum + (s.end - s.start), 0),
    };
  });
}
