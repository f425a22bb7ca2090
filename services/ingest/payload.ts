import { MAX_READINGS_PER_MESSAGE, WireReading } from '../domain/index.ts';

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

export function parseWireReading(item: unknown) {
  return WireReading.safeParse(item);
}
