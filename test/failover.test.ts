import { randomBytes, randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, inject, it } from 'vitest';
import { topics, type WireReading } from '../services/domain/index.ts';
import { shardOf } from '../services/ownership/index.ts';
import { hashSecret, silentLogger } from '../services/runtime/index.ts';
import { createInfluxV1Store } from '../services/timeseries/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import {
  cleanupAfterEach,
  eventually,
  freePort,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { provisionStore } from './harness/provision.ts';
import { startReceiver } from './harness/receiver.ts';
import { startRedis } from './harness/redis.ts';
import { storeLocation } from './harness/store.ts';

/** the homes whose shard stays with the first process when a second joins (it lets 32-63 go) */
const firstProcessHomes = (n: number) => {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (shardOf(`fo-${i}`) < 32) out.push(`fo-${i}`);
  return out;
};

/**
 * Issue 9 point 5: failover on real parts. Two full platform processes on one PostgreSQL, one
 * Redis and one InfluxDB; devices (real MQTT clients that know both brokers) and a staff board
 * (ws `/live` on the second process); the first, which owns the homes, is killed -9.
 */
describe('failover: kill -9 the process that owns the homes', () => {
  const cleanup = cleanupAfterEach();

  it('devices reconnect to the other, a fall after the kill reaches the board within 15 s, the open alert keeps escalating, nothing PUBACKed is lost, no notice twice', async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const { location, drop } = await storeLocation('postgres', dir.path, 'failover');
    cleanup.push(drop);
    if (!('databaseUrl' in location)) throw new Error('PostgreSQL expected');
    const redis = await startRedis();
    cleanup.push(() => redis.close());
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const database = uniqueDatabase('failover');
    const [before, after, ticker] = firstProcessHomes(3) as [string, string, string];
    const homes = [before, after, ticker];
    const env: Record<string, string> = {
      FALLBACK_WEBHOOK_URL: `${receiver.url}/fallback`,
      TEAM_WEBHOOKS: JSON.stringify({ 'team-f': `${receiver.url}/team` }),
      ESCALATE_CRITICAL_S: '10',
      ESCALATION_RENOTIFY_MIN_S: '3600',
    };

    // homes, a fall sensor each, consent, a staff member of the team (written to the store here);
    // both processes verify device secrets under one key, so either broker knows the devices
    env.DEVICE_SECRET_KEY = randomBytes(32).toString('base64');
    const secrets = new Map<string, string>();
    const setup = await provisionStore({ location, deviceSecretKey: env.DEVICE_SECRET_KEY });
    try {
      await setup.store.teams.create({ id: 'team-f', name: 'Team F' });
      for (const homeId of homes) {
        await setup.registry.createHome({ id: homeId, label: `Borger ${homeId}`, teamId: 'team-f' });
        const { secret } = await setup.registry.provisionDevice({
          id: `d-${homeId}`,
          homeId,
          kinds: ['fall'],
        });
        secrets.set(homeId, secret);
        await setup.grant(homeId, 'emergency');
      }
      await setup.store.users.create({
        id: randomUUID(),
        username: 'sara',
        displayName: 'Sara',
        role: 'staff',
        passwordHash: await hashSecret('sara-password-1', 'password'),
        teamIds: ['team-f'],
        homeId: null,
      });
    } finally {
      await setup.close();
    }

    const ports = {
      mqttA: await freePort(),
      mqttB: await freePort(),
      httpA: await freePort(),
      httpB: await freePort(),
    };
    const child = async (mqttPort: number, httpPort: number, name: string) => {
      const p = await startPlatformProcess({
        dataDir: `${dir.path}/${name}`,
        database,
        store: location,
        redisUrl: redis.url,
        mqttPort,
        httpPort,
        env,
      });
      cleanup.push(() => p.close());
      return p;
    };
    const a = await child(ports.mqttA, ports.httpA, 'a');
    const b = await child(ports.mqttB, ports.httpB, 'b');
    const urlA = a.dashboardUrl;
    const urlB = b.dashboardUrl;

    // staff watch the board on both processes (so nobody-watching does not send to the fallback at once)
    const boards: LiveClient[] = [];
    for (const url of [urlA, urlB]) {
      const staff = await ApiClient.login(url, 'sara', 'sara-password-1');
      const board = staff.live();
      await board.opened;
      boards.push(board);
      cleanup.push(() => board.close());
    }
    const boardB = boards[1]!;

    // devices know both brokers; each starts on the first process's
    const acked = new Map<string, number[]>();
    const devices = new Map<string, MqttClient>();
    for (const homeId of homes) {
      const id = `d-${homeId}`;
      const client = await mqtt.connectAsync({
        servers: [
          { host: '127.0.0.1', port: ports.mqttA },
          { host: '127.0.0.1', port: ports.mqttB },
        ],
        clientId: id,
        username: id,
        password: secrets.get(homeId)!,
        reconnectPeriod: 300,
        connectTimeout: 2000,
      });
      devices.set(homeId, client);
      acked.set(homeId, []);
      cleanup.push(() => void client.end(true));
    }
    let seq = 0;
    const send = async (homeId: string, value: number) => {
      const s = ++seq;
      const reading: WireReading = { kind: 'fall', value, ts: Date.now(), seq: s };
      await devices
        .get(homeId)!
        .publishAsync(topics.readings(homeId, `d-${homeId}`), JSON.stringify(reading), { qos: 1 });
      acked.get(homeId)!.push(s);
    };
    // the second process has taken its half (a few lease cycles after it started): the first let
    // 32-63 go and the second runs them
    await eventually(
      async () =>
        (await a.metric('tryghed_ownership_shards_held')) === 32 &&
        (await b.metric('tryghed_ownership_shards_held')) === 32,
      { what: 'the shards shared between the two processes', timeoutMs: 20_000, intervalMs: 100 },
    );

    // a steady stream of QoS 1 readings through the whole failover
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        await send(ticker, 0).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // a fall before the kill: the first process raises it; the board on the second shows it
    await send(before, 1);
    const opened = await eventually(
      () => boardB.alerts().find((m) => m.alert?.homeId === before && m.event === 'opened')?.alert,
      { what: 'the first fall on the board', timeoutMs: 10_000 },
    );

    // kill -9 the owner
    const killedAt = Date.now();
    await a.kill();
    // the devices reconnect to the second broker; then a fall is pressed there
    await eventually(() => devices.get(after)!.connected, {
      what: 'the device reconnected',
      timeoutMs: 10_000,
    });
    await send(after, 1);
    await eventually(() => boardB.alerts().find((m) => m.alert?.homeId === after && m.event === 'opened'), {
      what: 'the fall after the kill on the board',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const boardAfterMs = Date.now() - killedAt;
    expect(boardAfterMs, 'kill to the board').toBeLessThanOrEqual(15_000);

    // the alert from before the kill keeps escalating: the team (level 1), then the fallback (level 2)
    await eventually(
      () =>
        receiver.received.some((r) => r.body.alertId === opened.id && r.body.level === 2) &&
        receiver.received.some((r) => r.body.alertId === opened.id && r.body.level === 1),
      { what: 'the old alert escalated to levels 1 and 2', timeoutMs: 30_000 },
    );
    streaming = false;
    await stream;
    // a moment more: nothing arrives twice
    await new Promise((r) => setTimeout(r, 2000));
    const byKey = new Map<string, number>();
    for (const r of receiver.received) {
      const key = `${r.path} ${r.body.alertId} ${r.body.level} ${r.body.reminder}`;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    expect([...byKey].filter(([, n]) => n > 1)).toEqual([]);

    // nothing PUBACKed is lost: every acknowledged (device, seq) is in InfluxDB, or in the dead
    // process's spool, written when it starts again (on its own data folder)
    await child(ports.mqttA, ports.httpA, 'a');
    const readings = createInfluxV1Store({ url: inject('influxUrl'), database, logger: silentLogger() });
    cleanup.push(() => readings.close());
    for (const homeId of homes) {
      const want = acked.get(homeId)!;
      await eventually(
        async () => {
          const points = await readings.query({
            homeId,
            from: killedAt - 600_000,
            to: Date.now() + 60_000,
            limit: 100_000,
          });
          const have = new Set(points.map((p) => p.seq));
          return want.every((s) => have.has(s));
        },
        { what: `every PUBACKed reading of ${homeId} in InfluxDB`, timeoutMs: 20_000 },
      );
    }
    expect(acked.get(ticker)!.length).toBeGreaterThan(10);
  }, 180_000);
});
