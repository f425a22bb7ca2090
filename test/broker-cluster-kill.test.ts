import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/** `tryghed start` as a real child process; resolves once it says it is running. */
function startChild(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'start'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Tryghed is running')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited (${code}):\n${out}`));
    });
  });
}

/**
 * A platform process killed -9 while a gateway's persistent session is on its broker: the session
 * lives in Redis, so the gateway reconnects to the other platform's broker and gets what was said
 * to its home meanwhile.
 */
describe('clustered broker: kill -9 of the broker a gateway was on', () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let redis: LocalRedis | undefined;
  let b: Platform | undefined;
  let a: ChildProcess | undefined;
  afterAll(async () => {
    if (a && a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
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
    const portA = await freePort();
    a = await startChild({
      ...env,
      DATA_DIR: dirs[0]!.path,
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DATABASE: database,
      INFLUX_AUTOSTART: 'false',
      HTTP_PORT: '0',
      MQTT_PORT: String(portA),
      MQTT_TLS_PORT: '0',
      ADMIN_PASSWORD: 'admin-password-1',
    });

    const options = {
      clientId: 'gw-1',
      username: 'gw-1',
      password: secret,
      clean: false,
      reconnectPeriod: 0,
    };
    const onA = await mqtt.connectAsync(`mqtt://127.0.0.1:${portA}`, options);
    await onA.subscribeAsync(topics.config('h1'), { qos: 1 });
    onA.on('error', () => undefined);
    const exited = new Promise((r) => a!.once('exit', r));
    a.kill('SIGKILL');
    await exited;
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
