import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

const METRICS_TOKEN = 'operator-token-0123456789';

/**
 * Two whole platforms sharing one Redis (REDIS_URL), one store (the same SQLite file stands for
 * the shared PostgreSQL here) and one device key, as two replicas behind a load balancer.
 */
describe('two platforms with REDIS_URL: a device may connect to either', () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let redis: LocalRedis;
  let a: Platform;
  let b: Platform;
  let secret: string;
  let gatewaySecret: string;
  const database = uniqueDatabase('cluster');

  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      SQLITE_PATH: `${dirs[2]!.path}/shared.sqlite`,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
      METRICS_TOKEN,
    };
    a = await startTestPlatform({ dataDir: dirs[0]!.path, database, env });
    await a.store.teams.create({ id: 't', name: 'T' });
    await a.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    ({ secret } = await a.registry.provisionDevice({ id: 'bat-1', homeId: 'h1', kinds: ['battery'] }));
    ({ secret: gatewaySecret } = await a.registry.provisionDevice({
      id: 'gw-1',
      homeId: 'h1',
      role: 'gateway',
      kinds: ['battery'],
    }));
    // started after provisioning: its registry loads the device from the shared store
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database, env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.close();
    for (const d of dirs) d.remove();
  });

  const readyz = async (p: Platform) => {
    const res = await fetch(`${p.dashboard.url}/readyz`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    return { status: res.status, body: (await res.json()) as { checks?: Record<string, boolean> } };
  };

  it('a reading published on B is stored once, by B (the broker it came to)', async () => {
    const ts = Date.now();
    const device = await mqtt.connectAsync(b.mqttUrl, {
      clientId: 'bat-1',
      username: 'bat-1',
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      await device.publishAsync(
        topics.readings('h1', 'bat-1'),
        JSON.stringify({ kind: 'battery', value: 80, ts, seq: 1 }),
        { qos: 1 },
      );
    } finally {
      await device.endAsync();
    }
    await eventually(
      async () => (await b.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 })).length === 1,
      { what: 'the reading in InfluxDB' },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 })).toHaveLength(1);
    expect(await a.metrics.value('tryghed_broker_messages_total', { type: 'readings' })).toBe(0);
    expect(await b.metrics.value('tryghed_broker_messages_total', { type: 'readings' })).toBe(1);
  });

  it('when Redis dies the platform says so (degraded, not ready), and recovers when it is back', async () => {
    // the home's gateway on B: what A said to the home during the outage reached only A's clients
    const gateway = await mqtt.connectAsync(b.mqttUrl, {
      clientId: 'gw-1',
      username: 'gw-1',
      password: gatewaySecret,
      reconnectPeriod: 0,
    });
    const configs: string[] = [];
    gateway.on('message', (_topic, payload) => configs.push(payload.toString()));
    await gateway.subscribeAsync(topics.config('h1'), { qos: 1 });
    await eventually(() => configs.length > 0, { what: 'the retained config' });
    expect((await readyz(a)).status).toBe(200);
    expect((await readyz(a)).body.checks).toMatchObject({ redis: true });
    await redis.kill();
    await eventually(() => a.health.evaluate().includes('broker_cluster_down'), {
      what: 'degraded: broker_cluster_down',
    });
    const down = await readyz(a);
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ redis: false, store: true });
    const before = configs.length;
    await redis.restart();
    await eventually(() => !a.health.evaluate().includes('broker_cluster_down'), {
      timeoutMs: 10_000,
      what: 'healthy again',
    });
    expect((await readyz(a)).status).toBe(200);
    // every home's config is said again once Redis is back, so the gateway has the current one
    await eventually(() => configs.length > before, { what: 'the config said again after the outage' });
    await gateway.endAsync();
  });
});
