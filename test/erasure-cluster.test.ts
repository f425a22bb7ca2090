import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * An erasure reaches every process (docs/architecture.md, "The citizen's side", *Several
 * processes*): two platform processes on one PostgreSQL, one Redis and one InfluxDB database. A
 * holds the homes' readings in its ingest (it flushes only when told), B carries out the erasure.
 */
describe('an erasure through B reaches A, even when A hears of it late or not at all', () => {
  const dirs = [tempDir(), tempDir()];
  const influxDatabase = uniqueDatabase('erasure');
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let a: Platform;
  let b: Platform;
  const ofA: string[] = [];
  let bClosed = false;

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'erasure');
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    // A's ingest writes only when the test says so (or after a minute)
    a = await startTestPlatform({
      dataDir: dirs[0]!.path,
      database: influxDatabase,
      env: { ...env, INGEST_FLUSH_MS: '60000', INGEST_BATCH_SIZE: '100000' },
    });
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database: influxDatabase, env });
    await eventually(
      () => a.ownership!.held().length === 32 && b.ownership!.held().length === 32 && a.ownership!.owns('x'),
      { what: 'the shards shared out', timeoutMs: 30_000 },
    );
    for (let i = 0; ofA.length < 3; i++) if (a.ownership!.owns(`home-${i}`)) ofA.push(`home-${i}`);
    await a.store.teams.create({ id: 't', name: 'T' });
    const admin = await ApiClient.login(a.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const [n, id] of ofA.entries()) {
      await a.registry.createHome({ id, label: id, teamId: 't' });
      for (const purpose of ['alerts', 'history'] as const)
        await a.consent.change(
          id,
          {
            category: 'environment',
            purpose,
            action: 'grant',
            channel: 'web',
            textVersion: informationText('environment', purpose).version,
          },
          { id: 'c', role: 'citizen', homeId: id },
        );
      await a.registry.provisionDevice({ id: `env-${n}`, homeId: id, kinds: ['temperature', 'battery'] });
      await admin.ok('POST', '/api/users', {
        username: `citizen-${n}`,
        password: 'password-123',
        displayName: 'Astrid',
        role: 'citizen',
        homeId: id,
      });
    }
    for (const [n, id] of ofA.entries()) {
      await eventually(() => b.consent.allows(id, 'environment', 'history'), {
        what: `consent of ${id} on B`,
      });
      await eventually(() => b.registry.device(`env-${n}`) !== undefined, { what: 'the device known at B' });
    }
  }, 90_000);
  afterAll(async () => {
    if (!bClosed) await b?.close();
    await a?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  let seq = 0;
  /** a reading taken by A's ingest (spooled, acknowledged, held until A flushes) */
  const send = async (home: string, device: string, kind: 'temperature' | 'battery', value: number) => {
    const ts = Date.now();
    expect(
      await a.ingest.handleReadings(
        home,
        device,
        Buffer.from(JSON.stringify({ kind, value, ts, seq: ++seq })),
      ),
    ).toBe(true);
    return ts;
  };
  const stored = async (home: string) =>
    (await a.readings.query({ homeId: home, from: 0, to: Date.now() + 3_600_000 })).map((p) => p.ts);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("with the link up: A's batch written between B's deletion and A hearing the event is erased again", async () => {
    const home = ofA[2]!;
    const citizen = await ApiClient.login(b.dashboardUrl, 'citizen-2', 'password-123');
    const before = [
      await send(home, 'env-2', 'temperature', 21),
      await send(home, 'env-2', 'temperature', 21.5),
    ];
    // A's link holds B's `home/erased` back until the test lets it through (Redis stays up)
    let letThrough!: () => void;
    const gate = new Promise<void>((r) => {
      letThrough = r;
    });
    a.link!.onArrival('home/erased', async () => {
      await gate;
      return true;
    });
    const { request } = await citizen.ok<{ request: { result: string } }>(
      'POST',
      `/api/homes/${home}/erasure-requests`,
      {},
    );
    expect(request.result).toBe('erased');
    // B has deleted in InfluxDB; A, not told yet, writes its batch: the readings are back
    await a.ingest.flush();
    expect((await stored(home)).filter((t) => before.includes(t))).toHaveLength(2);
    const after = await send(home, 'env-2', 'temperature', 22);
    await a.ingest.flush();
    letThrough();
    await eventually(async () => (await stored(home)).every((t) => !before.includes(t)), {
      what: "A's late batch erased again when the event came",
      timeoutMs: 20_000,
    });
    expect(await stored(home)).toEqual([after]);
  }, 60_000);

  it("A's batch written after B erased (before A heard of it) is erased again; later readings stay", async () => {
    const home = ofA[0]!;
    const citizen = await ApiClient.login(b.dashboardUrl, 'citizen-0', 'password-123');
    const before = [
      await send(home, 'env-0', 'temperature', 21),
      await send(home, 'env-0', 'temperature', 21.5),
    ];
    // A cannot hear B's event until Redis is back: A flushes in between, as a batch on its way would
    await redis.kill();
    const { request } = await citizen.ok<{ request: { result: string } }>(
      'POST',
      `/api/homes/${home}/erasure-requests`,
      {},
    );
    expect(request.result).toBe('erased');
    await pause(20);
    await a.ingest.flush();
    // the race happened: readings taken before the erasure are in InfluxDB after it
    expect((await stored(home)).filter((t) => before.includes(t))).toHaveLength(2);
    const after = await send(home, 'env-0', 'temperature', 22);
    await a.ingest.flush();
    await redis.restart();
    await eventually(async () => (await stored(home)).every((t) => !before.includes(t)), {
      what: "A's late batch erased again",
      timeoutMs: 20_000,
    });
    // a reading after the erasure is kept (monitoring goes on while consent remains)
    expect(await stored(home)).toEqual([after]);
    const [erasure] = await a.store.erasures.listByHome(home);
    expect(after).toBeGreaterThan(erasure!.requestedAt);
  }, 60_000);

  it('an erasure whose event A never gets (Redis down, B gone) is read from the store once the link is back', async () => {
    const home = ofA[1]!;
    const citizen = await ApiClient.login(b.dashboardUrl, 'citizen-1', 'password-123');
    // a cold spell under way and a low battery already reported in A's rules, and readings held in A
    await send(home, 'env-1', 'temperature', 14);
    const held = await send(home, 'env-1', 'battery', 12);
    const erasedRules = ['low_battery', 'temperature'];
    const state = () =>
      a.rules
        .stateOf(home)
        .map((s) => s.rule)
        .filter((r) => erasedRules.includes(r));
    await eventually(() => state().length === 2, { what: "the home's rule state in A" });
    const rows = async () => {
      const out: string[] = [];
      for await (const page of a.store.ruleState.all())
        for (const r of page) if (r.homeId === home && erasedRules.includes(r.rule)) out.push(r.rule);
      return out;
    };
    await eventually(async () => (await rows()).length === 2, { what: "the home's rule state saved" });

    await redis.kill();
    const { request } = await citizen.ok<{ request: { result: string } }>(
      'POST',
      `/api/homes/${home}/erasure-requests`,
      {},
    );
    expect(request.result).toBe('erased');
    // B stops before Redis is back: its `home/erased` is never sent
    await b.close();
    bClosed = true;
    // meanwhile A still holds the home's state
    await pause(300);
    expect(state()).toHaveLength(2);

    await redis.restart();
    await eventually(() => state().length === 0, {
      what: "the home's rule state forgotten in A",
      timeoutMs: 20_000,
    });
    await pause(300);
    await a.rules.saveState();
    expect(await rows()).toEqual([]);
    // what A held of the home from before the erasure never reaches InfluxDB
    await a.ingest.flush();
    expect(await stored(home)).not.toContain(held);
    expect(await stored(home)).toEqual([]);
    // the battery, still low, is judged afresh: reported again on its open alert
    const battery = (await a.alerts.list({ limit: 100 })).find(
      (x) => x.homeId === home && x.rule === 'low_battery',
    );
    expect(battery).toMatchObject({ repeats: 0 });
    await send(home, 'env-1', 'battery', 12);
    await eventually(async () => (await a.alerts.get(battery!.id))?.repeats === 1, {
      what: 'the low battery reported again',
    });
  }, 60_000);
});
