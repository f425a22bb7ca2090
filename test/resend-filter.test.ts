import { describe, expect, it } from 'vitest';
import { RESEND_SLOT_BYTES, ResendFilter } from '../services/ingest/index.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0);
const HOUR = 3_600_000;

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

describe('the resend filter', () => {
  it('holds at most ~100 bytes per device heard, counted from its own structures', () => {
    let now = T0;
    const filter = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (let d = 0; d < 20_000; d++) {
      for (let seq = 1; seq <= 3; seq++) expect(filter.seen(`d${d}`, seq, T0 + seq)).toBe(false);
      now += 1;
    }
    const { devices, slots, bytes } = filter.stats();
    expect(devices).toBe(20_000);
    expect(RESEND_SLOT_BYTES).toBeLessThanOrEqual(100);
    expect(bytes).toBe(slots * RESEND_SLOT_BYTES);
    expect(bytes / devices).toBeLessThanOrEqual(1.25 * RESEND_SLOT_BYTES);
    // the same devices again: nothing new is held
    for (let d = 0; d < 20_000; d++) filter.seen(`d${d}`, 4, T0 + 4);
    expect(filter.stats()).toEqual({ devices, slots, bytes });
  });

  it('forgets devices silent for longer than the window, and reuses their room', () => {
    let now = T0;
    const filter = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (let d = 0; d < 10_000; d++) filter.seen(`old${d}`, 1, T0);
    const before = filter.stats();
    now += HOUR - 5000;
    // still inside the window: remembered, a resend is caught
    for (let d = 0; d < 1000; d++) filter.seen(`new${d}`, 1, now);
    expect(filter.stats().devices).toBe(11_000);
    expect(filter.seen('old1', 1, T0)).toBe(true);
    // an hour of silence: the old devices are forgotten a few at a time as readings come in
    now += HOUR / 4 + 10_000; // a sweep starts at most a quarter window after the last one
    for (let round = 0; round < 200; round++)
      for (let d = 0; d < 1000; d++) filter.seen(`new${d}`, round + 2, now + round);
    const after = filter.stats();
    expect(after.devices).toBe(1001); // old1 stays: its resend was heard later than the others
    expect(after.slots).toBe(before.slots); // the room was reused, not grown
    // new devices take the freed slots
    for (let d = 0; d < 5000; d++) filter.seen(`newer${d}`, 1, now);
    expect(filter.stats().slots).toBe(before.slots);
  });

  it('catches every resent message and lets every new reading through (random traffic)', {
    timeout: 60_000,
  }, () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = rng(seed);
      let now = T0;
      const filter = new ResendFilter({ windowMs: HOUR, now: () => now });
      const devices = Array.from({ length: 20 }, (_, i) => ({
        id: `d${i}`,
        seq: Math.floor(random() * 1000),
        ts: T0 - Math.floor(random() * HOUR),
        last: [] as Array<[number, number]>,
      }));
      let resends = 0;
      // 2,000 steps a seed: hundreds of resends and restarts each, in a few seconds on a busy machine
      for (let step = 0; step < 2000; step++) {
        now += Math.floor(random() * 50);
        const d = devices[Math.floor(random() * devices.length)]!;
        const roll = random();
        if (roll < 0.15 && d.last.length > 0) {
          // the PUBACK was lost: the whole last message comes again, in its order
          for (const [seq, ts] of d.last)
            expect(filter.seen(d.id, seq, ts), `seed ${seed} resend`).toBe(true);
          resends++;
          continue;
        }
        if (roll < 0.18) {
          // the device restarted: it counts from 0 again, its clock goes on
          d.seq = 0;
          d.last = [];
        }
        // a message of 1–50 readings, sometimes out of order inside it
        const n = 1 + Math.floor(random() * 50);
        const batch: Array<[number, number]> = [];
        const first = d.seq + 1;
        for (let i = 0; i < n; i++) {
          // now and then a gap (a reading the gateway dropped), keeping the message inside 64 seqs
          const gap = random() < 0.05 && d.seq + 1 - first + (n - i) < 60 ? Math.floor(random() * 5) : 0;
          d.seq += 1 + gap;
          d.ts += 1 + Math.floor(random() * 1000);
          batch.push([d.seq, d.ts]);
        }
        if (random() < 0.2) batch.reverse();
        for (const [seq, ts] of batch) expect(filter.seen(d.id, seq, ts), `seed ${seed} new`).toBe(false);
        d.last = batch;
      }
      expect(resends).toBeGreaterThan(40);
    }
  });

  it('a device that restarted is not taken for a resend, even inside the window', () => {
    const filter = new ResendFilter({ windowMs: HOUR, now: () => T0 });
    for (let seq = 0; seq < 10; seq++) filter.seen('d', seq, T0 + seq * 1000);
    // counts from 0 again with a later clock
    expect(filter.seen('d', 0, T0 + 60_000)).toBe(false);
    expect(filter.seen('d', 1, T0 + 61_000)).toBe(false);
    expect(filter.seen('d', 1, T0 + 61_000)).toBe(true);
    // and the same seq at another time, inside the window, is another reading
    expect(filter.seen('d', 0, T0 + 70_000)).toBe(false);
  });
});
