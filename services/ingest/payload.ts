import { MAX_READINGS_PER_MESSAGE, SensorKind, WireReading } from '../domain/index.ts';

export type PayloadItems = { ok: true; items: unknown[] } | { ok: false; reason: 'not_json' | 'schema' };

/**
 * Splits a payload into its readings without judging them, so one bad reading in a batch does
 * not cost the good ones: one reading, an array, or `{ readings: [...] }`.
 */
export function payloadItems(payload: Buffer): PayloadItems {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  let items: unknown[];
  if (Array.isArray(json)) items = json;
  else if (json !== null && typeof json === 'object' && 'readings' in json) {
    const readings = (json as { readings: unknown }).readings;
    if (!Array.isArray(readings) || Object.keys(json).length !== 1) return { ok: false, reason: 'schema' };
    items = readings;
  } else items = [json];
  if (items.length === 0 || items.length > MAX_READINGS_PER_MESSAGE) return { ok: false, reason: 'schema' };
  return { ok: true, items };
}

const KINDS: ReadonlySet<unknown> = new Set(SensorKind.options);

/**
 * The usual reading, `{ kind, value, ts, seq }` with a known kind, a finite number or boolean
 * value, and whole non-negative numbers for ts and seq, is checked by hand: a strict subset of what
 * `WireReading` accepts, so the answer is the same, without zod's cost per reading. Anything else
 * (ISO times, extra keys, wrong types) goes to zod, which gives the verdict and its reasons.
 */
function plainWireReading(item: unknown): WireReading | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
  const r = item as Record<string, unknown>;
  let keys = 0;
  for (const key in r) {
    if (key !== 'kind' && key !== 'value' && key !== 'ts' && key !== 'seq') return null;
    keys++;
  }
  if (keys !== 4 || !KINDS.has(r.kind)) return null;
  const { value, ts, seq } = r;
  if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) return null;
  if (!Number.isSafeInteger(ts) || (ts as number) < 0) return null;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return null;
  return r as unknown as WireReading;
}

export function parseWireReading(item: unknown): { success: true; data: WireReading } | { success: false } {
  const plain = plainWireReading(item);
  if (plain) return { success: true, data: plain };
  return WireReading.safeParse(item);
}
