import type { Reading } from '../domain/index.ts';
import { MEASUREMENT, pointTimeNs } from './types.ts';

/** points built per turn of the event loop: a 5,000-point batch never holds the loop in one go */
export const LINES_PER_SLICE = 500;

const NEEDS_ESCAPE = /[,= \\\n]/;
/** a tag key or value in InfluxDB's line protocol (ids and enum words never need it; checked anyway) */
const escapeTag = (s: string): string =>
  NEEDS_ESCAPE.test(s) ? s.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : s;

/**
 * One reading as one line: the same series and fields the `influx` package wrote (tags home,
 * device, kind, category, test only on test readings; float fields sorted by name: device_ts only
 * when the device's time was not believed, seq, value), so existing series and field types stay.
 */
export function readingLine(r: Reading): string {
  let line = `${MEASUREMENT},home=${escapeTag(r.homeId)},device=${escapeTag(r.deviceId)},kind=${escapeTag(r.kind)},category=${escapeTag(r.category)}`;
  if (r.test) line += ',test=true';
  line += r.deviceTs !== undefined ? ` device_ts=${r.deviceTs},seq=${r.seq}` : ` seq=${r.seq}`;
  return `${line},value=${r.value} ${pointTimeNs(r.ts, r.seq)}`;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The request body for `readings`, built `LINES_PER_SLICE` points at a time with a turn of the
 * event loop between slices, so an alarm arriving meanwhile is handled within one slice's time.
 */
export async function linesInSlices(readings: readonly Reading[]): Promise<string> {
  const lines = new Array<string>(readings.length);
  for (let i = 0; i < readings.length; i++) {
    if (i > 0 && i % LINES_PER_SLICE === 0) await nextTurn();
    lines[i] = readingLine(readings[i]!);
  }
  return lines.join('\n');
}
