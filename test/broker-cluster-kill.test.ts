import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import {
  eventually,
  type PlatformProcess,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * A platform process killed -9 while a gateway's persistent session is on its broker: the session
 * lives in Redis, so the gateway reconnects to the other platform's broker and gets what was said
 * to its home meanwhile.
 */
describe('clustered broker: kill -9 of the broker a gateway was on', () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let redis: LocalRedis | undefined;
  let b: Platform | undefined;
  let a: PlatformProcess | undefined;
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.close();
    for (const d of dirs) d.remove();
  });

  it('the session survives: the gateway comes back on the other broker and gets what was queued', async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      SQLITE_PATH: `${dirs[2]!.path}/shared.sqlite`,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    const database = uniqueDatabase('cluster_kill');
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database, env });
    await b.store.teams.create({ id: 't', name: 'T' });
    await b.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    const { secret } = await b.registry.provisionDevice({
      id: 'gw-1',
      homeId: 'h1',
      role: 'gateway',
      kinds: ['battery'],
    });
    a = await startPlatformProcess({ dataDir: dirs[0]!.path, database, env, timeoutMs: 30_000 });

    const options = {
      clientId: 'gw-1',
      username: 'gw-1',
      password: secret,
      clean: false,
      reconnectPeriod: 0,
    };
    const onA = await mqtt.connectAsync(a.mqttUrl!, options);
    await onA.subscribeAsync(topics.config('h1'), { qos: 1 });
    onA.on('error', () => undefined);
    await a.kill();
    onA.end(true);

    // said to the home while the gateway is away (not retained: only its session can carry it)
    await b.broker.publish(topics.config('h1'), '{"said":"while away"}', { qos: 1 });

    const onB = await mqtt.connectAsync(b.mqttUrl, options);
    const got: string[] = [];
    onB.on('message', (_topic, payload) => got.push(payload.toString()));
    try {
      await eventually(() => got.includes('{"said":"while away"}'), {
        what: 'the queued message on the other broker',
      });
      expect(got.filter((m) => m === '{"said":"while away"}')).toHaveLength(1);
    } finally {
      await onB.endAsync();
    }
  });
});
