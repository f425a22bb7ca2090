import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type ConsentCategory, informationText, type Purpose, topics } from '../services/domain/index.ts';
import {
  createPlatformBus,
  DEFAULT_EVENT_STREAM,
  eventOrigin,
  openClusterLink,
  type PlatformEvents,
} from '../services/events/index.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * Two whole platforms on one PostgreSQL and one Redis, as two replicas: what happens in one
 * process (a reading its broker received, consent given through its API, a device provisioned)
 * is known to the other's parts, marked as coming from the other process.
 */
describe('two platform processes on one Redis tell each other what happened', () => {
  const dirs = [tempDir(), tempDir()];
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let a: Platform;
  let b: Platform;
  let secret: string;
  const database = uniqueDatabase('link');

  const consent = (p: Platform, category: ConsentCategory, purpose: Purpose, action: 'grant' | 'withdraw') =>
    p.consent.change(
      'h1',
      { category, purpose, action, channel: 'web', textVersion: informationText(category, purpose).version },
      { id: 'c', role: 'citizen', homeId: 'h1' },
    );

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'link');
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
      METRICS_TOKEN: 'operator-token-0123456789',
    };
    a = await startTestPlatform({ dataDir: dirs[0]!.path, database, env });
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database, env });
    await a.store.teams.create({ id: 't', name: 'T' });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  it('a home and a device made through A are known to B at once; the device connects to B', async () => {
    await a.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    await eventually(() => b.registry.home('h1')?.label === 'H1', { what: 'the home on B' });
    ({ secret } = await a.registry.provisionDevice({
      id: 'fall-1',
      homeId: 'h1',
      kinds: ['fall', 'battery'],
    }));
    await eventually(() => b.registry.device('fall-1') !== undefined, { what: 'the device on B' });
    const device = await mqtt.connectAsync(b.mqttUrl, {
      clientId: 'fall-1',
      username: 'fall-1',
      password: secret,
      reconnectPeriod: 0,
    });
    await device.endAsync();
    await a.registry.updateHome('h1', { label: 'H1 renamed' });
    await eventually(() => b.registry.home('h1')?.label === 'H1 renamed', { what: 'the new label on B' });
  });

  it("consent given through A is B's at once: B's ingest stores, then refuses after a withdrawal through A", async () => {
    await consent(a, 'emergency', 'history', 'grant');
    await consent(a, 'emergency', 'alerts', 'grant');
    await eventually(() => b.consent.allows('h1', 'emergency', 'history'), { what: 'the grant on B' });
    const device = await mqtt.connectAsync(b.mqttUrl, {
      clientId: 'fall-1',
      username: 'fall-1',
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      const ts = Date.now();
      await device.publishAsync(
        topics.readings('h1', 'fall-1'),
        JSON.stringify({ kind: 'fall', value: 0, ts, seq: 1 }),
        {
          qos: 1,
        },
      );
      await eventually(
        async () => (await b.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 })).length === 1,
        { what: 'the reading stored by B' },
      );
      await consent(a, 'emergency', 'history', 'withdraw');
      await eventually(() => !b.consent.allows('h1', 'emergency', 'history'), {
        what: 'the withdrawal on B',
      });
      await device.publishAsync(
        topics.readings('h1', 'fall-1'),
        JSON.stringify({ kind: 'fall', value: 0, ts: ts + 1, seq: 2 }),
        { qos: 1 },
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await b.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 })).toHaveLength(1);
    } finally {
      await device.endAsync();
    }
  });

  it("a reading B's broker received reaches A's rules, marked as B's; A's own events are not marked", async () => {
    const readings: Array<{ reading: PlatformEvents['reading/accepted']; origin: string | null }> = [];
    const heard: Array<string | null> = [];
    const offReading = a.events.on('reading/accepted', (reading) =>
      readings.push({ reading, origin: eventOrigin(reading) }),
    );
    const offHeard = a.events.on('device/heard', (h) => heard.push(eventOrigin(h)));
    const device = await mqtt.connectAsync(b.mqttUrl, {
      clientId: 'fall-1',
      username: 'fall-1',
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      await device.publishAsync(
        topics.readings('h1', 'fall-1'),
        JSON.stringify({ kind: 'fall', value: true, ts: Date.now(), seq: 10 }),
        { qos: 1 },
      );
      await eventually(() => readings.length === 1, { what: "B's reading on A's bus" });
    } finally {
      await device.endAsync();
      offReading();
      offHeard();
    }
    expect(readings[0]).toMatchObject({
      reading: { homeId: 'h1', deviceId: 'fall-1', kind: 'fall', value: 1 },
      origin: b.link!.processId,
    });
    expect(heard).toEqual([b.link!.processId]);
    // the device is no longer silent to A: its dashboard knows when it was last heard
    const ownEvents: Array<string | null> = [];
    const off = a.events.on('test-mode/changed', (e) => ownEvents.push(eventOrigin(e)));
    await a.registry.setHomeTestMode('h1', null);
    off();
    expect(ownEvents).toEqual([null]);
  });

  it('what a hostile or broken writer puts in the stream is counted and dropped; the next event still arrives', async () => {
    const writer = new Redis(redis.url);
    try {
      const refusedBefore = await b.metrics.value('tryghed_cluster_events_refused_total', {
        reason: 'payload',
      });
      await writer.xadd(DEFAULT_EVENT_STREAM, '*', 'garbage', 'x');
      await writer.xadd(DEFAULT_EVENT_STREAM, '*', 'o', 'evil', 'n', '1', 'b', '{not json');
      await writer.xadd(
        DEFAULT_EVENT_STREAM,
        '*',
        'o',
        'evil',
        'n',
        '2',
        'b',
        JSON.stringify([
          ['reading/accepted', { homeId: 'h1', deviceId: 'fall-1', kind: 'fall', value: 'boom' }],
          ['session/ended', { sessionId: 'x' }],
          ['consent/changed', { homeId: '../../etc' }],
        ]),
      );
      await eventually(
        async () =>
          (await b.metrics.value('tryghed_cluster_events_refused_total', { reason: 'payload' })) ===
          refusedBefore + 2,
        { what: 'the bad payloads counted' },
      );
      expect(
        await b.metrics.value('tryghed_cluster_events_refused_total', { reason: 'entry' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        await b.metrics.value('tryghed_cluster_events_refused_total', { reason: 'batch' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        await b.metrics.value('tryghed_cluster_events_refused_total', { reason: 'name' }),
      ).toBeGreaterThanOrEqual(1);
      // and the link still works
      await a.registry.updateHome('h1', { label: 'H1 after garbage' });
      await eventually(() => b.registry.home('h1')?.label === 'H1 after garbage', { what: 'the label on B' });
    } finally {
      writer.disconnect();
    }
  });

  it('Redis down: staff are told, each process keeps working alone; when it is back, B reads what it missed from the store', async () => {
    await redis.kill();
    await eventually(() => a.health.evaluate().includes('events_link_down'), { what: 'A degraded' });
    await eventually(() => b.health.evaluate().includes('events_link_down'), { what: 'B degraded' });
    // a change through A while the link is down: in the store, not (yet) on B
    await consent(a, 'door', 'alerts', 'grant');
    expect(a.consent.allows('h1', 'door', 'alerts')).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.consent.allows('h1', 'door', 'alerts')).toBe(false);
    // and one whose event never reached Redis (its process died before sending it): only the store has it
    await a.store.consent.append({
      homeId: 'h1',
      category: 'activity',
      purpose: 'alerts',
      action: 'grant',
      actorId: 'c',
      actorRole: 'citizen',
      onBehalfOf: null,
      channel: 'paper',
      textVersion: informationText('activity', 'alerts').version,
      reference: 'form-1',
      basis: 'paper_form',
      reviewDue: null,
      at: Date.now(),
    });
    await redis.restart();
    await eventually(() => !b.health.evaluate().includes('events_link_down'), {
      what: 'B healthy again',
      timeoutMs: 15_000,
    });
    await eventually(() => b.consent.allows('h1', 'door', 'alerts'), {
      what: 'the grant on B after the outage',
    });
  }, 40_000);
});

describe('the link alone', () => {
  it('a shutdown while Redis is down does not wait for Redis', async () => {
    const redis = await startRedis();
    try {
      const bus = createPlatformBus({ logger: silentLogger() });
      const link = await openClusterLink({
        redisUrl: redis.url,
        bus,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      link.start();
      await redis.kill();
      await eventually(() => !link.connected(), { what: 'the link down' });
      bus.emit('home/changed', { homeId: 'h' });
      // no bound on the time: the close must end at all (within the test's timeout) while Redis stays dead
      await link.close();
      expect(bus.listenerCount()).toBe(0);
    } finally {
      await redis.close();
    }
  }, 20_000);

  it('a Redis that does not answer stops start naming REDIS_URL, never its password', async () => {
    const port = await freePort();
    const bus = createPlatformBus({ logger: silentLogger() });
    await expect(
      openClusterLink({
        redisUrl: `redis://user:hunter2@127.0.0.1:${port}`,
        bus,
        logger: silentLogger(),
        metrics: new Metrics(),
        connectTimeoutMs: 500,
      }),
    ).rejects.toThrow(/REDIS_URL(?![\s\S]*hunter2)/);
  });
});
