import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../services/runtime/index.ts';

describe('ManualClock schedules', () => {
  it('fires timeouts in time order, each seeing its own due time, and only once', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 300);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    expect(clock.advance(150)).toBe(1150);
    expect(fired).toEqual(['a@1100']);
    clock.advance(1000);
    expect(fired).toEqual(['a@1100', 'b@1200', 'c@1300']);
    expect(clock.now()).toBe(2150);
    expect(clock.pending).toBe(0);
  });

  it('timers due at the same time fire in the order they were set', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 50);
    clock.advance(50);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
  });

  it('an interval fires once per period while time passes, until cancelled', () => {
    const clock = new ManualClock(0);
    const at: number[] = [];
    const timer = clock.setInterval(() => at.push(clock.now()), 100);
    clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    clock.advance(50);
    expect(at).toEqual([100, 200, 300, 400]);
    timer.cancel();
    clock.advance(1000);
    expect(at).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('a cancelled timeout never fires; cancelling twice or after firing is harmless', () => {
    const clock = new ManualClock(0);
    let fired = 0;
    const a = clock.setTimeout(() => fired++, 10);
    const b = clock.setTimeout(() => fired++, 20);
    a.cancel();
    a.cancel();
    clock.advance(30);
    b.cancel();
    expect(fired).toBe(1);
    // unref is a no-op here and chains
    expect(clock.setTimeout(() => {}, 1).unref()).toBeDefined();
  });

  it('timers set by timers fire within the same step when due in it', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push(`outer@${clock.now()}`);
      clock.setTimeout(() => fired.push(`inner@${clock.now()}`), 30);
      clock.setTimeout(() => fired.push(`late@${clock.now()}`), 500);
    }, 10);
    clock.advance(100);
    expect(fired).toEqual(['outer@10', 'inner@40']);
    clock.advance(500);
    expect(fired).toEqual(['outer@10', 'inner@40', 'late@510']);
  });

  it('an interval can cancel itself and another timer from inside a firing', () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    let other = 0;
    const victim = clock.setTimeout(() => other++, 250);
    const timer = clock.setInterval(() => {
      ticks++;
      if (ticks === 2) {
        timer.cancel();
        victim.cancel();
      }
    }, 100);
    clock.advance(1000);
    expect(ticks).toBe(2);
    expect(other).toBe(0);
  });

  it('a delay below 1 ms counts as 1 ms, so an interval of 0 cannot spin forever', () => {
    const clock = new ManualClock(0);
    let n = 0;
    clock.setInterval(() => n++, 0);
    clock.setTimeout(() => n++, -5);
    clock.advance(3);
    expect(n).toBe(4);
  });

  it('set() is a jump: each overdue timer fires once, at the new time, and an interval goes on from there', () => {
    const clock = new ManualClock(0);
    const at: number[] = [];
    const once: number[] = [];
    clock.setInterval(() => at.push(clock.now()), 100);
    clock.setTimeout(() => once.push(clock.now()), 50);
    clock.set(10_000);
    expect(at).toEqual([10_000]);
    expect(once).toEqual([10_000]);
    clock.advance(100);
    expect(at).toEqual([10_000, 10_100]);
    // moving back fires nothing
    clock.set(new Date(5000));
    expect(clock.now()).toBe(5000);
    expect(clock.monotonic()).toBe(5000);
    expect(at).toHaveLength(2);
  });

  it('advanceAsync lets the promise chain a timer starts settle before the next timer fires', async () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => log.push('write done'));
    }, 10);
    clock.setTimeout(() => log.push('next timer'), 20);
    await clock.advanceAsync(100);
    expect(log).toEqual(['write done', 'next timer']);
    // the synchronous advance, by contrast, runs both timers before any promise settles
    const sync = new ManualClock(0);
    const order: string[] = [];
    sync.setTimeout(() => void Promise.resolve().then(() => order.push('write done')), 10);
    sync.setTimeout(() => order.push('next timer'), 20);
    sync.advance(100);
    await Promise.resolve();
    expect(order).toEqual(['next timer', 'write done']);
    const jumped = new ManualClock(0);
    const seen: string[] = [];
    jumped.setTimeout(() => void Promise.resolve().then(() => seen.push('settled')), 10);
    await jumped.setAsync(50);
    expect(seen).toEqual(['settled']);
  });

  it('property: advancing in any steps fires exactly the timers due, in (time, order set) order, with the clock at each due time', () => {
    const plan = fc.array(
      fc.record({
        delay: fc.integer({ min: 0, max: 500 }),
        every: fc.option(fc.integer({ min: 1, max: 200 })),
      }),
      { maxLength: 12 },
    );
    const steps = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(plan, steps, (timers, moves) => {
        const clock = new ManualClock(0);
        const fired: Array<{ id: number; at: number }> = [];
        timers.forEach((t, id) => {
          const fn = () => fired.push({ id, at: clock.now() });
          if (t.every === null) clock.setTimeout(fn, t.delay);
          else clock.setInterval(fn, t.every);
        });
        for (const m of moves) clock.advance(m);
        const end = moves.reduce((a, b) => a + b, 0);
        expect(clock.now()).toBe(end);
        // what a model says should have fired: every occurrence up to `end`
        const expected: Array<{ id: number; at: number; k: number }> = [];
        timers.forEach((t, id) => {
          if (t.every === null) {
            const at = Math.max(1, t.delay);
            if (at <= end) expected.push({ id, at, k: 0 });
          } else {
            for (let at = t.every, k = 0; at <= end; at += t.every, k++) expected.push({ id, at, k });
          }
        });
        // times never go back, and each timer's own occurrences are in order
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.at).toBeGreaterThanOrEqual(fired[i - 1]!.at);
        const key = (x: { id: number; at: number }) => `${x.id}@${x.at}`;
        expect(fired.map(key).sort()).toEqual(expected.map(key).sort());
        // at the very first moment, timers due together fire in the order they were set
        const firstAt = fired[0]?.at;
        const together = fired.filter((f) => f.at === firstAt).map((f) => f.id);
        expect(together).toEqual([...together].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });
});

describe('systemClock schedules on Node timers', () => {
  it('a timeout fires, a cancelled one does not, an interval repeats until cancelled', async () => {
    const fired: string[] = [];
    const began = systemClock.monotonic();
    systemClock.setTimeout(() => fired.push('timeout'), 5).unref();
    systemClock.setTimeout(() => fired.push('cancelled'), 5).cancel();
    let n = 0;
    const every = systemClock.setInterval(() => {
      if (++n === 3) every.cancel();
    }, 2);
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toEqual(['timeout']);
    expect(n).toBe(3);
    expect(systemClock.monotonic() - began).toBeGreaterThanOrEqual(50);
  });
});
