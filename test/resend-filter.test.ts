import { describe, expect, it } from 'vitest';
import { DeviceSlots } from '../services/ingest/device-slots.ts';
import { RESEND_SLOT_BYTES, ResendFilter } from '../services/ingest/index.ts';
import { ResendKeeper } from '../services/ingest/resend-keeper.ts';
import { ManualClock, silentLogger } from '../services/runtime/index.ts';

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
    expect(slots).toBe(20_480); // whole pages of 1,024 slots: at most one stands partly empty
    // per device: the 84-byte window, 8 for the reference to its id, 5–6.25 for the slot table
    // (a quarter to a fifth of it empty), a changed bit; plus the last page's empty slots
    expect(RESEND_SLOT_BYTES).toBe(84);
    expect(bytes).toBeLessThanOrEqual(
      devices * (84 + 8 + 6.25 + 1 / 8) + (slots - devices) * (84 + 8 + 1 / 8),
    );
    expect(bytes / devices).toBeLessThan(101);
    // the same devices again: nothing new is held
    for (let d = 0; d < 20_000; d++) filter.seen(`d${d}`, 4, T0 + 4);
    expect(filter.stats()).toEqual({ devices, slots, bytes });
  });

  it('forgets devices silent for longer than the window, and reuses their room', () => {
    let now = T0;
    const filter = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (let d = 0; d < 10_000; d++) filter.seen(`old${d}`, 1, T0);
    now += HOUR - 5000;
    // still inside the window: remembered, a resend is caught
    for (let d = 0; d < 1000; d++) filter.seen(`new${d}`, 1, now);
    const before = filter.stats();
    expect(before.devices).toBe(11_000);
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

  it("a device never reads another one's window, among thousands sending the same seqs and times", () => {
    const filter = new ResendFilter({ windowMs: HOUR, now: () => T0 });
    const ids = Array.from({ length: 5000 }, (_, d) => `d${d}`);
    for (const id of ids) expect(filter.seen(id, 1, T0), id).toBe(false);
    for (const id of ids) expect(filter.seen(id, 1, T0), id).toBe(true);
    // every other one forgotten: those start over, the rest (sharing the table with them) do not
    for (let d = 0; d < ids.length; d += 2) filter.forget(ids[d]!);
    expect(filter.stats().devices).toBe(2500);
    for (let d = 0; d < ids.length; d++) expect(filter.seen(ids[d]!, 1, T0), ids[d]).toBe(d % 2 === 1);
    expect(filter.stats().devices).toBe(5000);
  });

  it('a slot freed by eviction carries nothing over to the device that takes it next', () => {
    let now = T0;
    const filter = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (let seq = 1; seq <= 5; seq++) filter.seen('old', seq, T0 + seq);
    filter.seen('busy', 1, T0);
    expect(filter.takeChanged().map((w) => w.deviceId)).toEqual(['old', 'busy']);
    filter.seen('old', 6, T0 + 6); // changed, not saved yet when it is evicted
    now += HOUR + HOUR / 4 + 1000;
    for (let seq = 2; seq < 1000 && filter.stats().devices > 1; seq++) filter.seen('busy', seq, now + seq);
    expect(filter.stats().devices).toBe(1);
    const { slots } = filter.stats();
    // the next device gets the freed slot, and the same seqs at the same times are new to it
    for (let seq = 1; seq <= 6; seq++) expect(filter.seen('new', seq, T0 + seq)).toBe(false);
    expect(filter.stats()).toMatchObject({ devices: 2, slots });
    const kept = filter.takeChanged();
    expect(kept.map((w) => w.deviceId).sort()).toEqual(['busy', 'new']);
    expect(filter.seen('old', 6, T0 + 6)).toBe(false);
  });

  it('takeChanged reports each changed window once, on every page; markChanged brings one back', () => {
    const filter = new ResendFilter({ windowMs: HOUR, now: () => T0 });
    for (let d = 0; d < 3000; d++) filter.seen(`d${d}`, 1, T0);
    const first = filter.takeChanged();
    expect(first).toHaveLength(3000);
    expect(new Set(first.map((w) => w.deviceId)).size).toBe(3000);
    expect(filter.takeChanged()).toEqual([]);
    filter.seen('d2999', 2, T0 + 1);
    filter.unsee('d1500', 1, T0);
    filter.seen('d7', 1, T0); // a resend: the device was heard, so its window is kept again
    filter.seen('d8', 2, T0 + 1);
    filter.forget('d8');
    // (in slot order, not the order they were heard in: the store takes them together)
    expect(
      filter
        .takeChanged()
        .map((w) => w.deviceId)
        .sort(),
    ).toEqual(['d1500', 'd2999', 'd7']);
    filter.markChanged(['d1024', 'unknown']);
    expect(filter.takeChanged().map((w) => w.deviceId)).toEqual(['d1024']);
  });

  it('windows kept before a restart and restored after it still catch resends, on every page', () => {
    let now = T0;
    const before = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (let d = 0; d < 3000; d++) for (let seq = 1; seq <= 10; seq++) before.seen(`d${d}`, seq, T0 + seq);
    const kept = before.takeChanged();
    now += 60_000;
    const after = new ResendFilter({ windowMs: HOUR, now: () => now });
    for (const w of kept) expect(after.restore(w.deviceId, w.state, w.heardAt)).toBe(true);
    expect(after.restore('d0', kept[0]!.state, kept[0]!.heardAt)).toBe(false);
    expect(after.stats().devices).toBe(3000);
    for (let d = 0; d < 3000; d++) {
      expect(after.seen(`d${d}`, 10, T0 + 10)).toBe(true);
      expect(after.seen(`d${d}`, 4, T0 + 4)).toBe(true);
      expect(after.seen(`d${d}`, 11, T0 + 11)).toBe(false);
    }
  });

  it('one device cannot grow what is held, whatever seqs and times it sends', () => {
    const random = rng(7);
    const filter = new ResendFilter({ windowMs: HOUR, now: () => T0 });
    filter.seen('hostile', 0, T0);
    const held = filter.stats();
    for (let i = 0; i < 20_000; i++)
      filter.seen('hostile', Math.floor(random() * Number.MAX_SAFE_INTEGER * (i % 2)), random() * 1e13);
    expect(filter.stats()).toEqual(held);
  });

  it('the keeper restores the windows of devices still provisioned only', async () => {
    const clock = new ManualClock(T0);
    const source = new ResendFilter({ windowMs: HOUR, now: () => clock.now() });
    source.seen('a', 1, T0);
    source.seen('gone', 1, T0);
    const rows = source.takeChanged();
    const filter = new ResendFilter({ windowMs: HOUR, now: () => clock.now() });
    const registry = new Map([['a', 'a']]);
    const keeper = new ResendKeeper({
      filter,
      store: { heardSince: async () => rows, save: async () => {} },
      clock,
      logger: silentLogger(),
      windowMs: HOUR,
      everyMs: 1000,
      deviceId: (id) => registry.get(id),
    });
    expect(await keeper.restore()).toBe(1);
    expect(filter.seen('a', 1, T0)).toBe(true);
    expect(filter.seen('gone', 1, T0)).toBe(false);
  });
});

describe("the resend filter's slot index (DeviceSlots)", () => {
  it('finds every device it holds and no other, through thousands of adds and removals', () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const slots = new DeviceSlots();
      const model = new Map<string, number>();
      const pool = Array.from({ length: 3000 }, (_, i) => `device-${i}`);
      for (let step = 0; step < 30_000; step++) {
        const id = pool[Math.floor(random() * pool.length)]!;
        const slot = model.get(id);
        expect(slots.find(id), `seed ${seed} step ${step}`).toBe(slot ?? -1);
        // more adds than removals while filling, then about even: the table grows and is rehashed
        if (slot === undefined) model.set(id, slots.add(id));
        else if (random() < (step < 5000 ? 0.1 : 0.5)) {
          slots.remove(slot);
          model.delete(id);
        }
      }
      expect(slots.size).toBe(model.size);
      const seen = new Set<number>();
      for (const id of pool) {
        const slot = slots.find(id);
        expect(slot, id).toBe(model.get(id) ?? -1);
        if (slot < 0) continue;
        expect(slots.owner(slot)).toBe(id);
        expect(seen.has(slot)).toBe(false);
        seen.add(slot);
      }
      // freed slots are handed out again before new ones
      expect(slots.highWater).toBeLessThanOrEqual(model.size + 1000);
    }
  });
});
