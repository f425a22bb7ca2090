import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * The devices' edge on the whole platform. Standard clients that publish with QoS 2 work end to
 * end: the broker completes the exactly-once handshake, and ingest treats the reading as it treats
 * QoS 1, storing a resend (same seq and device time) once. A technician's new secret ends the
 * device's open connection at once.
 */
describe('the devices edge on the whole platform', () => {
  const dir = tempDir();
  let platform: Platform;
  let secret: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('qos2') });
    await platform.store.teams.create({ id: 't', name: 'T' });
    await platform.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    ({ secret } = await platform.registry.provisionDevice({ id: 'bat-1', homeId: 'h1', kinds: ['battery'] }));
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('stores a QoS 2 reading, and a resend of it once', async () => {
    const ts = Date.now();
    const send = async (seq: number) => {
      // a new connection each time, as a device that restarted and resends
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'bat-1',
        username: 'bat-1',
        password: secret,
        reconnectPeriod: 0,
      });
      await client.publishAsync(
        topics.readings('h1', 'bat-1'),
        JSON.stringify({ kind: 'battery', value: 80, ts: ts + seq, seq }),
        { qos: 2 },
      );
      await client.endAsync();
    };
    await send(1);
    await send(1);
    await send(2);
    const points = await eventually(
      async () => {
        const found = await platform.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 });
        return found.length >= 2 ? found : undefined;
      },
      { what: 'both readings in InfluxDB' },
    );
    await new Promise((r) => setTimeout(r, 300));
    const all = await platform.readings.query({ homeId: 'h1', from: ts - 1000, to: ts + 1000 });
    expect(points.map((p) => p.seq).sort()).toEqual([1, 2]);
    expect(all).toHaveLength(2);
    expect(await platform.metrics.value('tryghed_ingest_rejected_total', { reason: 'duplicate' })).toBe(1);
  });

  it("a new secret from the technician API closes the device's open connection at once; the old secret is refused", async () => {
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'bat-1',
      username: 'bat-1',
      password: secret,
      reconnectPeriod: 0,
    });
    let closedAt = 0;
    device.on('close', () => {
      closedAt ||= Date.now();
    });
    const { secret: next } = await admin.ok<{ secret: string }>('POST', '/api/homes/h1/devices/bat-1/secret');
    const answeredAt = Date.now();
    await eventually(() => closedAt > 0, { what: 'the connection to close', timeoutMs: 1000 });
    expect(closedAt - answeredAt).toBeLessThan(1000);
    await expect(
      mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'bat-1',
        username: 'bat-1',
        password: secret,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Bad username or password/i);
    const again = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'bat-1',
      username: 'bat-1',
      password: next,
      reconnectPeriod: 0,
    });
    await again.endAsync();
    secret = next;
  });
});
