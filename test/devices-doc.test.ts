import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeviceStatusMessage } from '../services/availability/index.ts';
import {
  CONSENT_CATEGORIES,
  SENSOR_KINDS,
  topics,
  VALUE_RANGES,
  valueInRange,
  WirePayload,
  type WireReading,
} from '../services/domain/index.ts';

/** the readings of one message, in any of its three shapes */
const wireReadings = (payload: WirePayload): WireReading[] =>
  Array.isArray(payload) ? payload : 'readings' in payload ? payload.readings : [payload];

/**
 * docs/devices.md is what a third party builds a device from: its examples are parsed with the
 * platform's own schemas here, so the document cannot drift from what the platform accepts.
 */
const doc = readFileSync(new URL('../docs/devices.md', import.meta.url), 'utf8');
const blocks = (tag: string) =>
  [...doc.matchAll(/```json( [a-z]+)?\n([\s\S]*?)```/g)]
    .filter((m) => (m[1]?.trim() ?? '') === tag)
    .map((m) => JSON.parse(m[2]!) as unknown);

describe('docs/devices.md', () => {
  it('every reading example is accepted by the platform, and every kind has one', () => {
    const examples = blocks('reading');
    const kinds = new Set<string>();
    for (const example of examples) {
      const parsed = WirePayload.safeParse(example);
      expect(parsed.success, JSON.stringify(example)).toBe(true);
      for (const r of wireReadings(parsed.data!)) {
        expect(valueInRange(r.kind, r.value), JSON.stringify(r)).toBe(true);
        kinds.add(r.kind);
      }
    }
    expect([...kinds].sort()).toEqual([...SENSOR_KINDS].sort());
  });

  it('every example shown as refused is refused (schema or range)', () => {
    const refused = blocks('refused');
    expect(refused.length).toBeGreaterThan(0);
    for (const example of refused) {
      const parsed = WirePayload.safeParse(example);
      const ok = parsed.success && wireReadings(parsed.data).every((r) => valueInRange(r.kind, r.value));
      expect(ok, JSON.stringify(example)).toBe(false);
    }
  });

  it('the status example is a status the platform reads; the config example has every category', () => {
    for (const s of blocks('status')) expect(DeviceStatusMessage.safeParse(s).success).toBe(true);
    const config = blocks('').find((b) => typeof b === 'object' && b !== null && 'consent' in b) as {
      consent: Record<string, unknown>;
    };
    expect(Object.keys(config.consent).sort()).toEqual([...CONSENT_CATEGORIES].sort());
  });

  it('the range table says what the platform checks, and the topics are the platform’s', () => {
    for (const kind of SENSOR_KINDS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${kind}\` |`));
      expect(row, kind).toBeDefined();
      const range = VALUE_RANGES[kind];
      const cells = row!.split('|').map((c) => c.trim());
      const said = cells[3]!;
      if (!range) expect(said).toBe('any number');
      else if (range.integer) expect(said).toBe(`${range.min} or ${range.max}`);
      else expect(said.replace(/,/g, '').replace('−', '-')).toBe(`${range.min}–${range.max}`);
    }
    expect(doc).toContain(topics.readings('{homeId}', '{deviceId}'));
    expect(doc).toContain(topics.status('{homeId}', '{deviceId}'));
    expect(doc).toContain(topics.config('{homeId}'));
  });
});
