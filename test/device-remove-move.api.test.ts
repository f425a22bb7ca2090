import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics, type WireReading } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * Removing and moving a device through the API on the real platform: its open MQTT connection
 * closes at once, a removed device cannot come back, a moved one speaks for its new home only, each
 * is audited, and a removed device is never reported offline.
 */
describe('removing and moving a device', () => {
  const dir = tempDir();
  const t0 = Date.now();
  const clock = new ManualClock(t0);
  let platform: Platform;
  let admin: ApiClient;
  let tech: ApiClient;
  let staff: ApiClient;
  const clients: MqttClient[] = [];
  const password = 'password-123';
  let seq = 0;

  const connect = async (deviceId: string, secret: string) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: deviceId,
      username: deviceId,
      password: secret,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  };
  /** the CONNACK return code a refused connection got */
  const refusedWith = async (deviceId: string, secret: string) => {
    try {
      await connect(deviceId, secret);
    } catch (err) {
      return (err as { code?: number }).code;
    }
    return 0;
  };
  const closes = (client: MqttClient) => {
    const seen = { count: 0 };
    client.on('close', () => {
      seen.count++;
    });
    return seen;
  };
  const reading = (kind: WireReading['kind'], value: number) =>
    JSON.stringify({ kind, value, ts: clock.now(), seq: ++seq } satisfies WireReading);
  const provision = (homeId: string, id: string, extra: Record<string, unknown> = {}) =>
    tech.ok<{ secret: string }>('POST', `/api/homes/${homeId}/devices`, {
      id,
      kinds: ['battery'],
      reportIntervalS: 10,
      ...extra,
    });

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('device_move'), clock });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-a' });
    for (const [username, role, teamIds] of [
      ['tech', 'technician', []],
      ['staff', 'staff', ['team-a']],
    ] as const) {
      await admin.ok('POST', '/api/users', { username, password, displayName: username, role, teamIds });
    }
    tech = await ApiClient.login(url, 'tech', password);
    staff = await ApiClient.login(url, 'staff', password);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await platform?.close();
    dir.remove();
  });

  it('DELETE closes the connection at once, refuses it back and its readings; staff get 403; audited', async () => {
    const { secret } = await provision('home-a', 'gone-a');
    const device = await connect('gone-a', secret);
    await device.publishAsync(topics.readings('home-a', 'gone-a'), reading('battery', 80), { qos: 1 });
    const closed = closes(device);

    expect((await staff.request('DELETE', '/api/devices/gone-a')).status).toBe(403);
    expect(closed.count).toBe(0);
    expect((await tech.request('DELETE', '/api/devices/gone-a')).status).toBe(204);
    await eventually(() => closed.count > 0, { what: 'the connection to close', timeoutMs: 1000 });

    expect([4, 5]).toContain(await refusedWith('gone-a', secret));
    // nothing of it goes in any more, not even a test reading a technician sends for it
    expect(
      (await tech.request('POST', '/api/devices/gone-a/test-reading', { kind: 'battery', value: 50 })).status,
    ).toBe(404);
    expect((await tech.request('DELETE', '/api/devices/gone-a')).status).toBe(404);
    expect(
      (await tech.ok<{ devices: Array<{ id: string }> }>('GET', '/api/homes/home-a/devices')).devices.map(
        (d) => d.id,
      ),
    ).not.toContain('gone-a');
    await eventually(
      async () =>
        (await platform.store.audit.listByHome('home-a')).some(
          (e) =>
            e.action === 'device.remove' &&
            e.actorId === tech.user?.id &&
            e.actorRole === 'technician' &&
            e.detail === 'gone-a',
        ),
      { what: 'the removal in the audit log' },
    );
  });

  it('a removed device never raises device_offline; one left in place does', async () => {
    await provision('home-a', 'kept-a');
    await provision('home-a', 'dropped-a');
    expect((await admin.request('DELETE', '/api/devices/dropped-a')).status).toBe(204);
    // both would be offline after 25 s; the rules' tick runs on the clock, so this jump fires it
    await clock.setAsync(t0 + 120_000);
    // the devices an offline alert names (one, or several merged for the home)
    const offline = async () =>
      (await platform.alerts.list({ homeIds: ['home-a'] }))
        .filter((a) => a.rule === 'device_offline')
        .map((a) => JSON.stringify(a.evidence.thresholds))
        .join(' ');
    // the same tick judged both (one alert per home names every silent device of it)
    await eventually(async () => (await offline()).includes('kept-a'), {
      what: 'device_offline for the device left in place',
    });
    expect(await offline()).not.toContain('dropped-a');
    expect(await offline()).not.toContain('gone-a');
  });

  it('a move (administrators only) closes the connection; with the same secret it speaks for the new home only', async () => {
    const { secret } = await provision('home-a', 'move-a');
    const device = await connect('move-a', secret);
    const closed = closes(device);

    expect((await tech.request('POST', '/api/devices/move-a/move', { homeId: 'home-b' })).status).toBe(403);
    expect((await staff.request('POST', '/api/devices/move-a/move', { homeId: 'home-b' })).status).toBe(403);
    expect((await admin.request('POST', '/api/devices/move-a/move', { homeId: 'home-a' })).status).toBe(409);
    expect((await admin.request('POST', '/api/devices/move-a/move', { homeId: 'nowhere' })).status).toBe(404);
    expect((await admin.request('POST', '/api/devices/nothing/move', { homeId: 'home-b' })).status).toBe(404);
    expect(closed.count).toBe(0);

    const moved = await admin.ok<{ device: { id: string; homeId: string } }>(
      'POST',
      '/api/devices/move-a/move',
      { homeId: 'home-b' },
    );
    expect(moved.device).toMatchObject({ id: 'move-a', homeId: 'home-b' });
    expect(moved.device).not.toHaveProperty('secretHash');
    await eventually(() => closed.count > 0, { what: 'the connection to close', timeoutMs: 1000 });

    const again = await connect('move-a', secret);
    await again.publishAsync(topics.readings('home-b', 'move-a'), reading('battery', 70), { qos: 1 });
    expect(again.connected).toBe(true);
    const againClosed = closes(again);
    again.publish(topics.readings('home-a', 'move-a'), reading('battery', 71), { qos: 1 });
    await eventually(() => againClosed.count > 0, { what: 'the old home refused' });

    for (const [homeId, detail] of [
      ['home-a', 'move-a moved out'],
      ['home-b', 'move-a moved in'],
    ]) {
      await eventually(
        async () =>
          (await platform.store.audit.listByHome(homeId as string)).some(
            (e) => e.action === 'device.move' && e.actorRole === 'admin' && e.detail === detail,
          ),
        { what: `the move in ${homeId}'s audit log` },
      );
    }
  });

  it('a gateway is not moved (409)', async () => {
    await provision('home-a', 'gw-a', { role: 'gateway' });
    const res = await admin.request('POST', '/api/devices/gw-a/move', { homeId: 'home-b' });
    expect(res.status).toBe(409);
  });
});
