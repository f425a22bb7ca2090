import { describe, expect, it } from 'vitest';
import {
  ID_PATTERN,
  parseDeviceTopic,
  SENSOR_KINDS,
  TOPIC_ROOT,
  WireReading,
} from '../services/domain/index.ts';
import { parseWireReading } from '../services/ingest/payload.ts';

/** a small seeded RNG (mulberry32), so a failing case can be replayed */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** the topic parser as it was (one split), the reference the faster one must agree with */
function splitParse(topic: string) {
  if (!topic.startsWith(`${TOPIC_ROOT}/homes/`)) return null;
  const parts = topic.slice(TOPIC_ROOT.length + 1).split('/');
  if (parts.length !== 5 || parts[2] !== 'devices') return null;
  const [, homeId, , deviceId, type] = parts as [string, string, string, string, string];
  if (!ID_PATTERN.test(homeId) || !ID_PATTERN.test(deviceId)) return null;
  if (type !== 'readings' && type !== 'status') return null;
  return { type, homeId, deviceId };
}

describe('the hot path judges as the careful path does', () => {
  it('a reading checked by hand gets the verdict and data zod gives it (random items)', () => {
    const random = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const values: unknown[] = [
      0,
      1,
      -2.5,
      1e300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      true,
      false,
      '1',
      null,
      undefined,
      [],
      {},
      2 ** 53,
      2 ** 53 + 2,
      -1,
      0.5,
      '2026-01-05T09:00:00Z',
      '2026-01-05',
      1_767_600_000_000,
    ];
    const keys = ['kind', 'value', 'ts', 'seq', 'extra', '__proto__'];
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      let item: unknown;
      const roll = random();
      if (roll < 0.05) item = pick([null, 1, 'x', [], [{ kind: 'motion' }]]);
      else {
        const o: Record<string, unknown> = {
          kind: random() < 0.8 ? pick(SENSOR_KINDS) : pick(['MOTION', 'x', 1, null]),
          value: random() < 0.7 ? 20.5 : pick(values),
          ts: random() < 0.7 ? 1_767_600_000_000 + i : pick(values),
          seq: random() < 0.7 ? i : pick(values),
        };
        if (random() < 0.1) delete o[pick(keys)];
        if (random() < 0.1) o[pick(keys)] = pick(values);
        // as a device's JSON arrives: parsed from text (a `__proto__` key is then an own key)
        item = JSON.parse(JSON.stringify(o) ?? 'null');
      }
      const ours = parseWireReading(item);
      const zods = WireReading.safeParse(item);
      expect(ours.success, JSON.stringify(item)).toBe(zods.success);
      if (ours.success && zods.success) {
        expect(ours.data).toEqual(zods.data);
        fast++;
      }
    }
    // enough of them were good readings to say something
    expect(fast).toBeGreaterThan(1000);
  });

  it('a topic parsed without split gets the answer the split gave (random topics)', () => {
    const random = rng(11);
    const pieces = [
      'homes',
      'devices',
      'h1',
      'd-1',
      'readings',
      'status',
      '',
      '+',
      '#',
      'x/y',
      '-h',
      'h_1',
      'a'.repeat(65),
    ];
    const pick = () => pieces[Math.floor(random() * pieces.length)]!;
    for (let i = 0; i < 50_000; i++) {
      const levels = [TOPIC_ROOT, 'homes', pick(), 'devices', pick(), pick()];
      if (random() < 0.2) levels[1 + Math.floor(random() * 3)] = pick();
      if (random() < 0.1) levels.push(pick());
      if (random() < 0.1) levels.splice(Math.floor(random() * levels.length), 1);
      const topic = levels.join('/');
      expect(parseDeviceTopic(topic), topic).toEqual(splitParse(topic));
    }
    expect(parseDeviceTopic(`${TOPIC_ROOT}/homes/h1/devices/d-1/readings`)).toEqual({
      type: 'readings',
      homeId: 'h1',
      deviceId: 'd-1',
    });
  });
});
