import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTeamPresence, type TeamPresence } from '../services/presence/index.ts';
import { ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * Who watches, across processes (issue 9 point 4): each process says its watching teams in Redis
 * and judges the others' by their beat on its own clock. Driven beat by beat with a ManualClock.
 */
describe('team presence across processes', () => {
  let redis: LocalRedis;
  let admin: Redis;
  const open: TeamPresence[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url, { lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    for (const p of open) await p.close();
    admin?.disconnect();
    await redis?.close();
  });

  const presence = (
    processId: string,
    local: Set<string>,
    clock: ManualClock,
    key: string,
    metrics = new Metrics(),
  ) => {
    // the timer never fires on its own here: each test beats by hand
    const p = openTeamPresence({
      redisUrl: redis.url,
      processId,
      local: () => local,
      clock,
      logger: silentLogger(),
      metrics,
      key,
      beatMs: 3_600_000,
      staleMs: 5000,
    });
    open.push(p);
    return p;
  };
  /** each beats once more, B before A; the first call also waits out the beats made at opening */
  const settle = async (...ps: TeamPresence[]) => {
    for (const p of ps) await p.beat();
  };

  it("counts another process's watchers once seen beating, drops them when its staff leave", async () => {
    const clock = new ManualClock();
    const aLocal = new Set<string>();
    const bLocal = new Set(['t']);
    const b = presence('b', bLocal, clock, 'k1');
    await settle(b);
    const a = presence('a', aLocal, clock, 'k1');
    await settle(a);
    // seen once: not yet seen to move, so not counted (a field left by a dead process looks the same)
    expect(a.watchingTeams().has('t')).toBe(false);
    await b.beat();
    await a.beat();
    expect(a.remoteKnown()).toBe(true);
    expect([...a.watchingTeams()]).toEqual(['t']);
    // B's staff close their board: gone at A after B's next beat and A's next read
    bLocal.clear();
    await b.beat();
    await a.beat();
    expect(a.watchingTeams().has('t')).toBe(false);
    bLocal.add('t');
    await b.beat();
    await a.beat();
    expect(a.watchingTeams().has('t')).toBe(true);
    // its own watchers always count, whatever Redis says
    aLocal.add('own');
    expect(a.watchingTeams()).toEqual(new Set(['own', 't']));
  });

  it("a process that stops beating (killed) loses its watchers after the stale time, on the reader's clock", async () => {
    const clock = new ManualClock();
    const a = presence('a', new Set(), clock, 'k2');
    const b = presence('b', new Set(['t']), clock, 'k2');
    await settle(a, b);
    await b.beat();
    await a.beat();
    await b.beat();
    await a.beat();
    expect(a.watchingTeams().has('t')).toBe(true);
    // B beats no more (as after kill -9: its field stays in Redis)
    clock.advance(4000);
    await a.beat();
    expect(a.watchingTeams().has('t')).toBe(true);
    clock.advance(1000);
    await a.beat();
    expect(a.watchingTeams().has('t')).toBe(false);
    // and its field is removed, so no later process counts it
    expect(await admin.hget('k2', 'b')).toBeNull();
  });

  it('a field left by a process that died before this one started is never counted, and is removed', async () => {
    const clock = new ManualClock();
    await admin.hset('k3', 'ghost', JSON.stringify({ b: 7, t: ['g'] }));
    await admin.hset('k3', 'junk', 'not json {');
    const metrics = new Metrics();
    const a = presence('a', new Set(), clock, 'k3', metrics);
    await a.beat();
    clock.advance(1000);
    await a.beat();
    expect(a.watchingTeams().has('g')).toBe(false);
    expect(await metrics.value('tryghed_presence_refused_total')).toBe(1);
    clock.advance(5000);
    await a.beat();
    expect(await admin.hget('k3', 'ghost')).toBeNull();
    expect(await admin.hget('k3', 'junk')).toBeNull();
  });

  it('a stalled beat is not trusted past the stale time', async () => {
    const clock = new ManualClock();
    const a = presence('a', new Set(), clock, 'k4');
    const b = presence('b', new Set(['t']), clock, 'k4');
    await settle(a, b);
    for (let i = 0; i < 2; i++) {
      await b.beat();
      await a.beat();
    }
    expect(a.watchingTeams().has('t')).toBe(true);
    // A reads nothing for the stale time (a busy or paused process): what it read last is too old
    clock.advance(5000);
    expect(a.remoteKnown()).toBe(false);
    expect(a.watchingTeams().has('t')).toBe(false);
  });

  it('Redis gone: the others are unknown and count as nobody watching (the fallback is called: loud)', async () => {
    const clock = new ManualClock();
    const local = new Set(['mine']);
    const a = presence('a', local, clock, 'k5');
    const b = presence('b', new Set(['t']), clock, 'k5');
    await settle(a, b);
    for (let i = 0; i < 2; i++) {
      await b.beat();
      await a.beat();
    }
    expect(a.watchingTeams()).toEqual(new Set(['mine', 't']));
    await redis.kill();
    try {
      await a.beat();
      expect(a.remoteKnown()).toBe(false);
      expect(a.watchingTeams()).toEqual(new Set(['mine']));
    } finally {
      await redis.restart();
    }
  });
});
