import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ErasureNotice, followErasures, SETTLED_BEFORE_START_MS } from '../platform/erasure-follow.ts';
import { ErasureLog } from '../services/erasure/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { servicesFixture } from './harness/services.ts';

/**
 * The catch-up of erasures carried out elsewhere (platform/erasure-follow.ts), on a real SQLite
 * store and the injected clock. What a process forgets of an erasure read at its start depends on
 * how long before the start it was carried out: a rolling deploy within minutes of an erasure must
 * not wipe what the home's owner has derived since (a door open at night, a cold spell).
 */
describe('erasures read from the store at a catch-up', () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  beforeEach(async () => {
    f = await servicesFixture();
    for (const id of ['long-ago', 'just-before', 'after-start'])
      await f.registry.createHome({ id, label: id, teamId: 't' });
  });
  afterEach(async () => {
    await f.close();
  });

  const erased = (homeId: string, at: number) =>
    new ErasureLog(f.store).record({
      homeId,
      requestedBy: 'u-1',
      requesterRole: 'citizen',
      onBehalfOf: null,
      scope: 'readings',
      requestedAt: at,
      completedAt: at,
      result: 'erased',
      detail: null,
    });

  it('long before the start only what was held from before it; just before, or since, everything; each once', async () => {
    const start = f.clock.now();
    await erased('long-ago', start - SETTLED_BEFORE_START_MS - 1);
    await erased('just-before', start - SETTLED_BEFORE_START_MS + 1000);
    const told: ErasureNotice[] = [];
    const follower = followErasures({
      events: f.events,
      erasures: new ErasureLog(f.store),
      forget: async (e) => {
        told.push(e);
      },
      clock: f.clock,
      logger: silentLogger(),
    });
    f.clock.advance(5000);
    await erased('after-start', f.clock.now());
    await follower.catchUp();
    expect(told.map((e) => [e.homeId, e.beforeStart])).toEqual([
      ['long-ago', true],
      ['just-before', false],
      ['after-start', false],
    ]);
    // read again at the next catch-up, applied no second time
    await follower.catchUp();
    expect(told).toHaveLength(3);
    follower.close();
  });

  it('a catch-up that failed is made good on the next period, without waiting for the link', async () => {
    let storeAnswers = false;
    const log = new ErasureLog(f.store);
    const told: ErasureNotice[] = [];
    const follower = followErasures({
      events: f.events,
      erasures: {
        since: (from: number) =>
          storeAnswers ? log.since(from) : Promise.reject(new Error('connect ECONNREFUSED')),
      } as ErasureLog,
      forget: async (e) => {
        told.push(e);
      },
      everyMs: 60_000,
      clock: f.clock,
      logger: silentLogger(),
    });
    await erased('after-start', f.clock.now());
    // the link came back while the store did not answer
    await expect(follower.catchUp()).rejects.toThrow(/ECONNREFUSED/);
    storeAnswers = true;
    await f.clock.advanceAsync(59_999);
    expect(told).toEqual([]);
    await f.clock.advanceAsync(1);
    await vi.waitFor(() => expect(told.map((e) => e.homeId)).toEqual(['after-start']));
    follower.close();
    // closed: no more periods
    await erased('long-ago', f.clock.now());
    await f.clock.advanceAsync(120_000);
    expect(told).toHaveLength(1);
  });
});
