import { createConnection, createServer, type Server, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * A TCP hop in front of the real InfluxDB that can be cut: then connections are accepted and never
 * answered, as in a network partition or a frozen InfluxDB.
 */
async function cuttableLink(target: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (cut) return; // accepted, never answered
    const upstream = createConnection(Number(port), hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut() {
      cut = true;
      // open keep-alive connections go too, so the next write meets the cut link
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

// the operator's token: /readyz names its failing check and /metrics answers only with it
const OPS_TOKEN = 'ops-token-for-the-outage-test';
const opsAuth = { authorization: `Bearer ${OPS_TOKEN}` };

describe('an InfluxDB outage is said at once', () => {
  const dir = tempDir();
  let platform: Platform | undefined;
  let link: Awaited<ReturnType<typeof cuttableLink>> | undefined;
  afterAll(async () => {
    await link?.close(); // first, so the platform's hung write fails and it can stop
    await platform?.close();
    dir.remove();
  });

  it('a hung InfluxDB: staff and /readyz are told within 5 s, and the buffered gauge counts the write in flight', async () => {
    link = await cuttableLink(inject('influxUrl'));
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('outage'),
      // one reading per device may wait for InfluxDB, so the second finds no room
      env: { INFLUX_URL: link.url, INGEST_MAX_PER_DEVICE: '1', METRICS_TOKEN: OPS_TOKEN },
    });
    await platform.store.teams.create({ id: 'team-o', name: 'O' });
    await platform.registry.createHome({ id: 'home-o', label: 'O', teamId: 'team-o' });
    const { secret } = await platform.registry.provisionDevice({
      id: 'temp-o',
      homeId: 'home-o',
      kinds: ['temperature'],
    });
    const fall = await platform.registry.provisionDevice({ id: 'fall-o', homeId: 'home-o', kinds: ['fall'] });
    for (const [category, purpose] of [
      ['environment', 'history'],
      ['emergency', 'history'],
      ['emergency', 'alerts'],
    ] as const)
      await platform.consent.change(
        'home-o',
        {
          category,
          purpose,
          action: 'grant',
          channel: 'web',
          textVersion: informationText(category, purpose).version,
        },
        { id: 'c', role: 'citizen', homeId: 'home-o' },
      );
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    expect(await admin.ok('GET', '/api/status')).toEqual({ status: 'ok', degraded: [] });

    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'temp-o',
      username: 'temp-o',
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      link.cut();
      const t = Date.now();
      // acknowledged all the same: the spool has it
      await device.publishAsync(
        topics.readings('home-o', 'temp-o'),
        JSON.stringify({ kind: 'temperature', value: 21, ts: t, seq: 1 }),
        { qos: 1 },
      );
      await eventually(
        async () =>
          ((await admin.ok('GET', '/api/status')) as { degraded: string[] }).degraded.includes(
            'readings_not_stored',
          ),
        { timeoutMs: 10_000, intervalMs: 50, what: 'staff to be told' },
      );
      const toldAfter = Date.now() - t;
      expect(toldAfter).toBeLessThan(5000);
      const ready = await fetch(`${platform.dashboardUrl}/readyz`, { headers: opsAuth });
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.ingest).toBe(false);
      // the reading is in the write that hangs: it is not "0 buffered"
      const metrics = await (await fetch(`${platform.dashboardUrl}/metrics`, { headers: opsAuth })).text();
      expect(metrics).toMatch(/^tryghed_ingest_buffered 1$/m);
      expect(metrics).toMatch(/^tryghed_ingest_spool_readings 1$/m);

      // an alarm does not wait behind the hung InfluxDB: acknowledged and raised at once
      const sensor = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'fall-o',
        username: 'fall-o',
        password: fall.secret,
        reconnectPeriod: 0,
      });
      try {
        const pressed = Date.now();
        await sensor.publishAsync(
          topics.readings('home-o', 'fall-o'),
          JSON.stringify({ kind: 'fall', value: 1, ts: pressed, seq: 1 }),
          { qos: 1 },
        );
        await eventually(async () => (await platform!.alerts.list({ homeIds: ['home-o'] })).length === 1, {
          timeoutMs: 2000,
          what: 'the fall alert',
        });
        expect(Date.now() - pressed).toBeLessThan(2000);
      } finally {
        await sensor.endAsync(true);
      }

      // no room for the device's next reading: no PUBACK, its connection is closed, it keeps the reading
      const closed = new Promise<void>((r) => device.once('close', () => r()));
      let acked = false;
      device.publish(
        topics.readings('home-o', 'temp-o'),
        JSON.stringify({ kind: 'temperature', value: 22, ts: Date.now(), seq: 2 }),
        { qos: 1 },
        (err) => {
          if (!err) acked = true;
        },
      );
      await closed;
      expect(acked).toBe(false);
      expect(await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'not_stored' })).toBe(1);
      expect(
        await platform.metrics.value('tryghed_ingest_dropped_total', { reason: 'device_share_full' }),
      ).toBe(1);
    } finally {
      await device.endAsync(true);
    }
  });
});
