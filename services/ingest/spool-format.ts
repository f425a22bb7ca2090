import { categoryOf, type Reading, SensorKind } from '../domain/index.ts';

/** How the spool writes its files: segment names, one line per reading, the erasure record. */
export const SEGMENT = /^(\d{12})\.spool$/;
/** homes erased while their readings were spooled: `{"homeId":…,"at":…}` per line */
export const ERASURES = 'erasures.log';
export const segmentName = (n: number) => `${String(n).padStart(12, '0')}.spool`;

/** one line per reading: a JSON array, so a torn last line never parses */
export function encode(r: Reading): string {
  return `${JSON.stringify([r.homeId, r.deviceId, r.kind, r.value, r.ts, r.seq, r.receivedAt, r.test ? 1 : 0, r.deviceTs ?? null])}\n`;
}

export function decode(line: string): Reading | null {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(a) || a.length !== 9) return null;
  const [homeId, deviceId, kind, value, ts, seq, receivedAt, test, deviceTs] = a as unknown[];
  const k = SensorKind.safeParse(kind);
  if (
    typeof homeId !== 'string' ||
    typeof deviceId !== 'string' ||
    !k.success ||
    typeof value !== 'number' ||
    typeof ts !== 'number' ||
    typeof seq !== 'number' ||
    typeof receivedAt !== 'number'
  )
    return null;
  const reading: Reading = {
    homeId,
    deviceId,
    kind: k.data,
    category: categoryOf(k.data),
    value,
    ts,
    seq,
    receivedAt,
  };
  if (test === 1) reading.test = true;
  if (typeof deviceTs === 'number') reading.deviceTs = deviceTs;
  return reading;
}
