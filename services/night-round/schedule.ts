import { addDays, localDate, zonedInstant } from '../rules/index.ts';

/**
 * When a home's round is. Round times are wall-clock times in the home's zone ("02:00"), so across
 * the daylight-saving nights they move in UTC; a time the spring change skips maps to the instant
 * the clock jumped past it (services/rules/zoned-time.ts).
 */

/** A round stays on the list at most this long after its time (or until the home's next round). */
export const ROUND_OPEN_MAX_MS = 4 * 3_600_000;

/** One round of one home: the instant of its scheduled time, and until when it is on the list. */
export interface Occurrence {
  /** the instant of the scheduled time (epoch ms): the round's identity for its looks */
  roundAt: number;
  /** the round's time as set ("02:00") */
  time: string;
  /** the round leaves the list at this instant (the next round, or ROUND_OPEN_MAX_MS after) */
  closesAt: number;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Every round instant of these times on the local days around `now`, in time order. */
function instantsAround(times: readonly string[], now: number, timeZone: string) {
  const today = localDate(now, timeZone);
  const out: Array<{ at: number; time: string }> = [];
  for (const offset of [-1, 0, 1]) {
    const day = addDays(today, offset);
    for (const time of times) out.push({ at: zonedInstant(day, minutesOf(time), timeZone), time });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** The round of a home that is open at `now`, or null when none is (between rounds, no times). */
export function openOccurrence(times: readonly string[], now: number, timeZone: string): Occurrence | null {
  if (times.length === 0) return null;
  const all = instantsAround(times, now, timeZone);
  let current: { at: number; time: string } | undefined;
  let next: number | undefined;
  for (const i of all) {
    if (i.at <= now) current = i;
    else if (next === undefined) next = i.at;
  }
  if (!current) return null;
  const closesAt = Math.min(next ?? Number.POSITIVE_INFINITY, current.at + ROUND_OPEN_MAX_MS);
  return now < closesAt ? { roundAt: current.at, time: current.time, closesAt } : null;
}

/** The next round instant after `now`, or null without times. */
export function nextRound(
  times: readonly string[],
  now: number,
  timeZone: string,
): { at: number; time: string } | null {
  if (times.length === 0) return null;
  return instantsAround(times, now, timeZone).find((i) => i.at > now) ?? null;
}

/** Minutes past local midnight at an instant. */
export function localMinute(instant: number, timeZone: string): number {
  const p = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(p.find((x) => x.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}
