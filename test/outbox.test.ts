import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelJob, ChannelResult } from '../services/outbox/index.ts';
import { ManualClock, Metrics } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { tempDir } from './harness/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

const ok: ChannelResult = { delivered: true, attempts: 1, detail: 'HTTP 200' };
const failed = (detail = 'HTTP 503'): ChannelResult => ({ delivered: false, attempts: 1, detail });
const retry = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 };

describe.each(ENGINES)('the notice outbox (%s)', (engine) => {
  let dir: ReturnType<typeof tempDir>;
  let drop: () => Promise<void>;
  let location: Parameters<typeof openStore>[0];
  let store: Store;
  let clock: ManualClock;
  let metrics: Metrics;
  const opened: Array<{ stop(): Promise<void> } | Store> = [];

  const outboxOn = (s: Store, options: { owner?: string; random?: () => number; lateMs?: number } = {}) => {
    const o = testOutbox({ store: s, clock, metrics }, retry, options);
    opened.push(o);
    return o;
  };

  beforeEach(async () => {
    dir = tempDir();
    ({ location, drop } = await storeLocation(engine, dir.path, 'outbox'));
    store = await openStore(location);
    clock = new ManualClock();
    metrics = new Metrics();
  });

  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) {
      if ('stop' in o) await o.stop();
      else await o.close();
    }
    await store.close();
    await drop();
    dir.remove();
  });

  it('keeps one row per idempotency key: a second enqueue (another process) is a no-op', async () => {
    const a = outboxOn(store);
    const other = await openStore(location);
    opened.push(other);
    const b = outboxOn(other);
    const notice = { idempotencyKey: 'alert-1:level2:sms:vagt', channel: 'sms:vagt', payload: { n: 1 } };
    expect(await a.enqueue({ ...notice, alertId: 'alert-1', homeId: 'h' })).toBe(true);
    expect(await b.enqueue({ ...notice, payload: { n: 2 } })).toBe(false);
    expect(await a.enqueue(notice)).toBe(false);
    const row = await a.byKey(notice.idempotencyKey);
    expect(row).toMatchObject({ state: 'pending', attempts: 0, alertId: 'alert-1', homeId: 'h' });
    expect(JSON.parse(row!.payload)).toEqual({ n: 1 });
    expect(await metrics.value('tryghed_notices_queued_total', { channel: 'sms:vagt' })).toBe(1);
  });

  it('tries again with exponential backoff and jitter on the injected clock, then gives up, visibly', async () => {
    const tries: ChannelJob[] = [];
    // random() = 1: the full step (1 s, 2 s, 4 s); 0 would be half of it
    const outbox = outboxOn(store, { random: () => 1 });
    outbox.registerChannel('webhook:fallback', async (job) => {
      tries.push(job);
      return failed();
    });
    await outbox.start();
    await outbox.enqueue({
      idempotencyKey: 'k',
      channel: 'webhook:fallback',
      payload: { x: 1 },
      homeId: 'h',
    });
    await outbox.idle();
    expect(tries.map((t) => t.attempt)).toEqual([1]);
    for (const [wait, n] of [
      [1000, 2],
      [2000, 3],
      [4000, 4],
    ] as const) {
      await clock.advanceAsync(wait - 1);
      await outbox.idle();
      expect(tries).toHaveLength(n - 1);
      await clock.advanceAsync(1);
      await outbox.idle();
      expect(tries).toHaveLength(n);
    }
    expect(tries.every((t) => t.idempotencyKey === 'k' && (t.payload as { x: number }).x === 1)).toBe(true);
    const row = await outbox.byKey('k');
    expect(row).toMatchObject({ state: 'given_up', attempts: 4, lastError: 'HTTP 503' });
    await clock.advanceAsync(60_000);
    await outbox.idle();
    expect(tries).toHaveLength(4);
    expect(await metrics.value('tryghed_notices_retried_total', { channel: 'webhook:fallback' })).toBe(3);
    expect(await metrics.value('tryghed_notices_given_up_total', { channel: 'webhook:fallback' })).toBe(1);
    // given up is "ikke leveret" at once, whatever its age
    const late = await outbox.undelivered({ since: 0, homeIds: null, limit: 10 });
    expect(late.map((r) => [r.idempotencyKey, r.state])).toEqual([['k', 'given_up']]);
  });

  it('gives up a notice too old to matter (NOTICE_GIVE_UP_H), however few tries it had, visibly', async () => {
    const HOUR = 3_600_000;
    const outbox = testOutbox(
      { store, clock, metrics },
      { maxAttempts: 1000, baseDelayMs: 1000, maxDelayMs: 20 * 60_000, giveUpAfterMs: 2 * HOUR },
    );
    opened.push(outbox);
    let n = 0;
    outbox.registerChannel('sms:vagt', async () => {
      n++;
      return failed();
    });
    await outbox.start();
    const made = clock.now();
    await outbox.enqueue({ idempotencyKey: 'k', channel: 'sms:vagt', payload: {}, homeId: 'h' });
    await outbox.idle();
    // tried again and again on the injected clock, until the notice is two hours old
    for (let t = 0; t < 2 * HOUR - 60_000; t += 60_000) {
      await clock.advanceAsync(60_000);
      await outbox.idle();
    }
    expect(await outbox.byKey('k')).toMatchObject({ state: 'pending' });
    const triedBefore = n;
    expect(triedBefore).toBeGreaterThan(5);
    expect(triedBefore).toBeLessThan(1000);
    await clock.advanceAsync(60_000);
    await outbox.idle();
    const row = await outbox.byKey('k');
    expect(row).toMatchObject({ state: 'given_up', lastError: 'expired', settledAt: made + 2 * HOUR });
    expect(await metrics.value('tryghed_notices_given_up_total', { channel: 'sms:vagt' })).toBe(1);
    await clock.advanceAsync(HOUR);
    await outbox.idle();
    expect(n).toBe(triedBefore);
    // given up within the last hour, though made two hours ago: still in the list of the last hour
    const listed = await outbox.undelivered({ since: clock.now() - 2 * HOUR + 1, homeIds: null, limit: 10 });
    expect(listed.map((r) => [r.idempotencyKey, r.state, r.lastError])).toEqual([
      ['k', 'given_up', 'expired'],
    ]);

    // made while nobody sent (the platform down for three hours): given up untried, never sent late
    await outbox.stop();
    const later = testOutbox(
      { store, clock, metrics },
      { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000, giveUpAfterMs: 2 * HOUR },
      { owner: 'later' },
    );
    opened.push(later);
    later.registerChannel('sms:vagt', async () => {
      n++;
      return ok;
    });
    await later.enqueue({ idempotencyKey: 'old', channel: 'sms:vagt', payload: {}, homeId: 'h' });
    await clock.advanceAsync(3 * HOUR);
    await later.start();
    await later.idle();
    expect(n).toBe(triedBefore);
    expect(await later.byKey('old')).toMatchObject({ state: 'given_up', attempts: 0, lastError: 'expired' });
  });

  it('gives up at once when the receiver refuses for good (final)', async () => {
    const outbox = outboxOn(store);
    let n = 0;
    outbox.registerChannel('c', async () => {
      n++;
      return { ...failed('HTTP 400'), final: true };
    });
    await outbox.start();
    await outbox.enqueue({ idempotencyKey: 'k', channel: 'c', payload: {} });
    await outbox.idle();
    await clock.advanceAsync(30_000);
    await outbox.idle();
    expect(n).toBe(1);
    expect(await outbox.byKey('k')).toMatchObject({ state: 'given_up', lastError: 'HTTP 400' });
  });

  it('survives a restart: pending notices are sent by the next process at start', async () => {
    const before = outboxOn(store);
    before.registerChannel('c', async () => failed('ECONNREFUSED'));
    await before.start();
    await before.enqueue({ idempotencyKey: 'a', channel: 'c', payload: { n: 'a' } });
    await before.idle();
    await before.stop();
    // not started: written, never tried
    const quiet = outboxOn(store);
    await quiet.enqueue({ idempotencyKey: 'b', channel: 'c', payload: { n: 'b' } });
    await store.close();

    clock.set(clock.now() + 10_000);
    store = await openStore(location);
    const after = outboxOn(store);
    const sent: string[] = [];
    after.registerChannel('c', async (job) => {
      sent.push(job.idempotencyKey);
      return ok;
    });
    await after.start();
    await after.idle();
    expect(sent.sort()).toEqual(['a', 'b']);
    expect(await after.byKey('a')).toMatchObject({ state: 'delivered', attempts: 2 });
    expect(await after.byKey('b')).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('two dispatchers on one database never send the same notice twice', async () => {
    const other = await openStore(location);
    opened.push(other);
    const sent = new Map<string, string[]>();
    const sender = (who: string) => async (job: ChannelJob) => {
      // a little real time in flight, so the two overlap
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      sent.set(job.idempotencyKey, [...(sent.get(job.idempotencyKey) ?? []), who]);
      return ok;
    };
    const a = outboxOn(store, { owner: 'a' });
    const b = outboxOn(other, { owner: 'b' });
    a.registerChannel('c', sender('a'));
    b.registerChannel('c', sender('b'));
    const keys = Array.from({ length: 120 }, (_, i) => `n${i}`);
    for (const key of keys) await a.enqueue({ idempotencyKey: key, channel: 'c', payload: { key } });
    await Promise.all([a.dispatch(), b.dispatch(), a.dispatch(), b.dispatch()]);
    await Promise.all([a.idle(), b.idle()]);
    expect([...sent.keys()].sort()).toEqual([...keys].sort());
    const twice = [...sent.entries()].filter(([, who]) => who.length > 1);
    expect(twice).toEqual([]);
    // both took part (the claims interleave), and every row is delivered
    const who = new Set([...sent.values()].flat());
    expect(who.size).toBeGreaterThanOrEqual(1);
    expect(await a.undelivered({ since: 0, homeIds: null, limit: 500 })).toEqual([]);
  });

  it('lists what is late: pending past the setting or given up, by home, newest first', async () => {
    const outbox = outboxOn(store, { lateMs: 60_000 });
    // no channel registered and not started: they wait, as behind a dead receiver
    await outbox.enqueue({ idempotencyKey: 'old', channel: 'c', payload: {}, alertId: 'a1', homeId: 'h1' });
    await clock.advanceAsync(30_000);
    await outbox.enqueue({ idempotencyKey: 'other', channel: 'c', payload: {}, alertId: 'a2', homeId: 'h2' });
    expect(await outbox.undelivered({ since: 0, homeIds: null, limit: 10 })).toEqual([]);
    await clock.advanceAsync(30_000);
    expect(
      (await outbox.undelivered({ since: 0, homeIds: null, limit: 10 })).map((r) => r.idempotencyKey),
    ).toEqual(['old']);
    await clock.advanceAsync(30_000);
    expect(
      (await outbox.undelivered({ since: 0, homeIds: null, limit: 10 })).map((r) => r.idempotencyKey),
    ).toEqual(['other', 'old']);
    expect(
      (await outbox.undelivered({ since: 0, homeIds: ['h2'], limit: 10 })).map((r) => r.idempotencyKey),
    ).toEqual(['other']);
    expect(await outbox.undelivered({ since: 0, homeIds: [], limit: 10 })).toEqual([]);
    expect(
      (await outbox.undelivered({ since: 0, homeIds: null, alertId: 'a1', limit: 10 })).map(
        (r) => r.idempotencyKey,
      ),
    ).toEqual(['old']);
    // taken on: not needed any more, so not "ikke leveret" either
    expect(await outbox.cancelForAlert('a1', 'alert_acknowledged', ['c'])).toBe(1);
    expect(
      (await outbox.undelivered({ since: 0, homeIds: null, limit: 10 })).map((r) => r.idempotencyKey),
    ).toEqual(['other']);
    // delivered late: no longer listed
    outbox.registerChannel('c', async () => ok);
    await outbox.start();
    await outbox.idle();
    expect(await outbox.undelivered({ since: 0, homeIds: null, limit: 10 })).toEqual([]);
    expect(await outbox.byKey('old')).toMatchObject({ state: 'cancelled' });
  });

  it("cancels an alert's notices on the channels named only: a care-record push about it stays", async () => {
    const outbox = outboxOn(store);
    const notice = (channel: string) => ({
      idempotencyKey: `a1:${channel}`,
      channel,
      payload: {},
      alertId: 'a1',
      homeId: 'h1',
    });
    await outbox.enqueue(notice('sms:vagt'));
    await outbox.enqueue(notice('webhook:fallback'));
    await outbox.enqueue(notice('care-record'));
    expect(await outbox.cancelForAlert('a1', 'alert_resolved', [])).toBe(0);
    expect(await outbox.cancelForAlert('a1', 'alert_resolved', ['sms:vagt', 'webhook:fallback'])).toBe(2);
    expect(await outbox.byKey('a1:sms:vagt')).toMatchObject({
      state: 'cancelled',
      lastError: 'alert_resolved',
    });
    expect(await outbox.byKey('a1:care-record')).toMatchObject({ state: 'pending', alertId: 'a1' });
  });

  it('a stop aborts the try in flight and leaves the notice due for the next start', async () => {
    const outbox = outboxOn(store);
    let signal: AbortSignal | undefined;
    outbox.registerChannel('c', (job) => {
      signal = job.signal;
      return new Promise((resolve) =>
        job.signal.addEventListener('abort', () => resolve(failed('aborted')), { once: true }),
      );
    });
    await outbox.start();
    await outbox.enqueue({ idempotencyKey: 'k', channel: 'c', payload: {} });
    while (!signal) await new Promise((r) => setImmediate(r));
    await outbox.stop();
    expect(signal.aborted).toBe(true);
    const row = await outbox.byKey('k');
    expect(row).toMatchObject({ state: 'pending', claimedBy: null, nextAttemptAt: clock.now() });
  });
});
