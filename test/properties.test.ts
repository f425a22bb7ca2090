import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SENSOR_KINDS } from '../services/domain/index.ts';
import { ResendFilter } from '../services/ingest/index.ts';
import { parseWireReading, payloadItems } from '../services/ingest/payload.ts';
import { inLocalWindow, type LocalDate, zonedInstant } from '../services/rules/zoned-time.ts';
import { MinHeap } from '../services/runtime/index.ts';

/**
 * Property-based tests: fast-check draws many cases (and shrinks a failing one to the smallest
 * it can find, printing its seed so it can be replayed). Each property is checked against an
 * independent model, not against the code's own helpers.
 */

describe('the min-heap (rule timers, escalation deadlines)', () => {
  const op = fc.oneof(
    fc.record({ push: fc.integer({ min: -1_000, max: 1_000 }) }),
    fc.constant({ pop: true as const }),
  );

  it('pops come out in key order, each pushed entry exactly once, and the size is always right', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new MinHeap<number>();
        const model: Array<{ key: number; value: number }> = [];
        let id = 0;
        for (const o of ops) {
          if ('push' in o) {
            heap.push(o.push, id);
            model.push({ key: o.push, value: id++ });
          } else {
            const got = heap.pop();
            if (model.length === 0) {
              expect(got).toBeUndefined();
              continue;
            }
            const least = Math.min(...model.map((e) => e.key));
            expect(got?.key).toBe(least);
            // the value popped is one pushed with that key, and it leaves the model
            const at = model.findIndex((e) => e.key === got?.key && e.value === got?.value);
            expect(at).toBeGreaterThanOrEqual(0);
            model.splice(at, 1);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peekKey()).toBe(model.length ? Math.min(...model.map((e) => e.key)) : undefined);
        }
        // draining pops everything left in non-decreasing order
        const rest: number[] = [];
        for (let e = heap.pop(); e; e = heap.pop()) rest.push(e.key);
        expect(rest).toEqual(model.map((e) => e.key).sort((a, b) => a - b));
        expect(heap.size).toBe(0);
      }),
    );
  });
});

describe('local-time windows across daylight saving (services/rules/zoned-time.ts)', () => {
  const HOUR = 3_600_000;
  // The 2026 changes, in UTC: Copenhagen, New York, Sydney (southern: backwards in April),
  // Chatham (a 45-minute offset); Kolkata has none.
  const CHANGES = [
    '2026-03-29T01:00Z',
    '2026-10-25T01:00Z',
    '2026-03-08T07:00Z',
    '2026-11-01T06:00Z',
    '2026-04-04T16:00Z',
    '2026-10-03T16:00Z',
    '2026-04-04T14:00Z',
    '2026-09-26T14:00Z',
  ].map((s) => Date.parse(s));
  const ZONES = [
    'Europe/Copenhagen',
    'America/New_York',
    'Australia/Sydney',
    'Pacific/Chatham',
    'Asia/Kolkata',
  ];
  const zone = fc.constantFrom(...ZONES);
  // half the instants within a day and a half of a change, half anywhere in 2026
  const instant = fc.oneof(
    fc
      .tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -36 * HOUR, max: 36 * HOUR }))
      .map(([c, d]) => c + d),
    fc.integer({ min: Date.parse('2026-01-01T00:00Z'), max: Date.parse('2027-01-01T00:00Z') }),
  );

  /** Wall clock at an instant, read by a second, separate Intl path: "YYYY-MM-DD HH:MM". */
  const wall = (at: number, timeZone: string) => {
    const text = new Date(at).toLocaleString('sv-SE', { timeZone, hourCycle: 'h23' });
    return text.slice(0, 16); // sv-SE: "2026-03-29 03:30:00"
  };
  const minutes = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

  // window edges: anywhere, or on the instant's own minute or next to it (where off-by-one lives)
  const edge = fc.oneof(
    fc.record({ at: fc.integer({ min: 0, max: 1439 }) }),
    fc.record({ near: fc.integer({ min: -1, max: 1 }) }),
  );
  const hm = (m: number) => {
    const x = ((m % 1440) + 1440) % 1440;
    return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
  };

  it('"in the window" agrees with the wall clock read independently', () => {
    fc.assert(
      fc.property(instant, zone, edge, edge, (at, timeZone, startEdge, endEdge) => {
        const m = minutes(wall(at, timeZone).slice(11));
        const s = 'at' in startEdge ? startEdge.at : (m + startEdge.near + 1440) % 1440;
        const e = 'at' in endEdge ? endEdge.at : (m + endEdge.near + 1440) % 1440;
        fc.pre(s !== e);
        const expected = s < e ? m >= s && m < e : m >= s || m < e;
        expect(inLocalWindow(at, { start: hm(s), end: hm(e) }, timeZone)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('a local date and time maps to the first instant the wall clock shows it, or an hour on when it was skipped', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: 0, max: 1439 }), (around, timeZone, minuteOfDay) => {
        const [y, mo, d] = wall(around, timeZone).slice(0, 10).split('-').map(Number);
        const date: LocalDate = { year: y!, month: mo!, day: d! };
        const asked = `${wall(around, timeZone).slice(0, 10)} ${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
        const at = zonedInstant(date, minuteOfDay, timeZone);
        if (wall(at, timeZone) === asked) {
          // the first occurrence: an hour earlier the clock did not show it (it does on the fall-back night's repeat)
          expect(wall(at - HOUR, timeZone)).not.toBe(asked);
        } else {
          // skipped by the spring change: the instant an hour on, which the clock does show
          expect(wall(at - HOUR, timeZone).slice(11)).not.toBe(asked.slice(11));
          expect(minutes(wall(at, timeZone).slice(11))).toBe(minuteOfDay + 60);
        }
      }),
      // found by this property: Chatham (+13:45) changes more than 12 h from the naive instant
      { numRuns: 500, examples: [[Date.parse('2026-04-04T16:00Z'), 'Pacific/Chatham', 120]] },
    );
  });
});

describe('the resend filter (services/ingest/dedup.ts)', () => {
  const T0 = Date.UTC(2026, 0, 5, 9, 0);

  it('a reading sent again within the window is a duplicate; one never sent is not; devices never mix', () => {
    const device = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(device, fc.integer({ min: 1, max: 10 })), { minLength: 1, maxLength: 200 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (sends, coin) => {
          const filter = new ResendFilter({ windowMs: 24 * 3_600_000, now: () => T0 });
          const sent = new Map<string, number[]>();
          const next = new Map<string, number>();
          // first pass: every reading is new (seqs rise with random gaps, device time with them)
          for (const [id, gap] of sends) {
            const seq = (next.get(id) ?? 0) + gap;
            next.set(id, seq);
            expect(filter.seen(id, seq, T0 + seq * 1000)).toBe(false);
            sent.set(id, [...(sent.get(id) ?? []), seq]);
          }
          const draws = coin[Symbol.iterator]();
          for (const [id, seqs] of sent) {
            const max = seqs[seqs.length - 1]!;
            const recent = seqs.filter((s) => max - s < 64);
            // resent in a random order: each is a duplicate, and stays one when sent a third time
            const order = [...recent].sort(() => draws.next().value! - 0.5);
            for (const seq of order) expect(filter.seen(id, seq, T0 + seq * 1000)).toBe(true);
            for (const seq of order) expect(filter.seen(id, seq, T0 + seq * 1000)).toBe(true);
            // a seq skipped inside the window was never sent: new, and then a duplicate
            const skipped = Array.from({ length: 63 }, (_, i) => max - i).find(
              (s) => s > 0 && !seqs.includes(s),
            );
            if (skipped !== undefined) {
              expect(filter.seen(id, skipped, T0 + skipped * 1000)).toBe(false);
              expect(filter.seen(id, skipped, T0 + skipped * 1000)).toBe(true);
            }
            // the next seq is new
            expect(filter.seen(id, max + 1, T0 + (max + 1) * 1000)).toBe(false);
          }
          // a device that sent nothing has nothing to repeat
          expect(filter.seen('quiet', 1, T0 + 1000)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('payload parsing (services/ingest/payload.ts)', () => {
  /** parse as ingest does: split, then judge each reading */
  const parse = (bytes: Buffer) => {
    const split = payloadItems(bytes);
    return split.ok ? split.items.map((item) => parseWireReading(item).success) : split.reason;
  };

  it('never throws, whatever bytes arrive', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(() => parse(Buffer.from(bytes))).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on any JSON either, and refuses what is not a reading', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ readings: fc.jsonValue() })), (value) => {
        const result = parse(Buffer.from(JSON.stringify(value) ?? 'null'));
        // a value with none of the reading's fields is never taken for one
        if (Array.isArray(result) && (value === null || typeof value !== 'object')) {
          expect(result).toEqual([false]);
        }
      }),
      { numRuns: 500 },
    );
  });

  const reading = fc.record({
    kind: fc.constantFrom(...SENSOR_KINDS),
    value: fc.oneof(
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
    ),
    ts: fc.oneof(
      fc.maxSafeNat(),
      fc
        .date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
    ),
    seq: fc.maxSafeNat(),
  });

  it('round-trips valid readings in each of the three shapes', () => {
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 50 }), (readings) => {
        const shapes: unknown[] = [readings, { readings }];
        if (readings.length === 1) shapes.push(readings[0]);
        for (const shape of shapes) {
          const split = payloadItems(Buffer.from(JSON.stringify(shape)));
          expect(split.ok).toBe(true);
          if (!split.ok) return;
          const parsed = split.items.map((item) => parseWireReading(item));
          expect(parsed.every((p) => p.success)).toBe(true);
          expect(parsed.map((p) => (p.success ? p.data : null))).toEqual(readings);
        }
      }),
      { numRuns: 200 },
    );
  });
});
