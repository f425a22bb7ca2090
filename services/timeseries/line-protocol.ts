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
 * The request body for `readings` as UTF-8 chunks of `LINES_PER_SLICE` points each, built with a
 * turn of the event loop between them, so an alarm arriving meanwhile is handled within one slice's
 * time. Every line ends in a newline (InfluxDB takes one after the last line too). Chunks, not one
 * string: a 5,000-point body is about 700 KB, and turning that into bytes in one go (as `fetch` did
 * with a string body) held the loop for milliseconds.
 */
export async function bodyInSlices(readings: readonly Reading[]): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for (let start = 0; start < readings.length; start += LINES_PER_SLICE) {
    if (start > 0) await nextTurn();
    const end = Math.min(readings.length, start + LINES_PER_SLICE);
    let text = '';
    for (let i = start; i < end; i++) text += `${readingLine(readings[i]!)}\n`;
    chunks.push(Buffer.from(text, 'utf8'));
  }
  return chunks;
}
