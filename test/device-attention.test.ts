import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface AttentionBody {
  total: number;
  counts: { offline: number; never_seen: number; low_battery: number };
  devices: Array<{
    deviceId: string;
    homeId: string;
    problems: string[];
    lastSeen: number | null;
    battery: { value: number } | null;
  }>;
}

/**
 * The technicians' overview across every home: devices offline, never seen or low on battery,
 * sorted and paged on the server with counts, for technicians and administrators only.
 */
describe('devices that need attention, across homes', () => {
  const dir = tempDir();
  const clock = new ManualClock(Date.now());
  let platform: Platform;
  let admin: ApiClient;
  let tech: ApiClient;
  let staff: ApiClient;
  const clients: MqttClient[] = [];
  let seq = 0;

  const online = async (homeId: string, deviceId: string, secret: string, battery?: number) => {
    const c = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: deviceId,
      username: deviceId,
      password: secret,
      reconnectPeriod: 0,
    });
    clients.push(c);
    await c.publishAsync(
      topics.readings(homeId, deviceId),
      JSON.stringify({
        kind: battery === undefined ? 'heartbeat' : 'battery',
        value: battery ?? 1,
        ts: clock.now(),
        seq: ++seq,
      }),
      { qos: 1 },
    );
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('attention'), clock });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'A' });
    for (const home of ['home-1', 'home-2', 'home-3'])
      await admin.ok('POST', '/api/homes', { id: home, label: home, teamId: 'team-a' });
    for (const [username, role, teamIds] of [
      ['tech', 'technician', []],
      ['staff', 'staff', ['team-a']],
    ] as const)
      await admin.ok('POST', '/api/users', {
        username,
        password: 'password-123',
        displayName: username,
        role,
        teamIds,
      });
    tech = await ApiClient.login(url, 'tech', 'password-123');
    staff = await ApiClient.login(url, 'staff', 'password-123');
    const provision = async (homeId: string, id: string, kinds: string[]) =>
      (
        await admin.ok<{ secret: string }>('POST', `/api/homes/${homeId}/devices`, {
          id,
          kinds,
          reportIntervalS: 60,
        })
      ).secret;
    // home-1: one device that goes silent (offline), one that reports a low battery and stays heard
    const silent = await provision('home-1', 'silent-1', ['heartbeat']);
    const low = await provision('home-1', 'low-1', ['battery']);
    // home-2: a healthy device, and one never heard from
    const fine = await provision('home-2', 'fine-2', ['battery']);
    await provision('home-2', 'never-2', ['motion']);
    // home-3: a second low battery, lower still
    const lower = await provision('home-3', 'lower-3', ['battery']);
    await online('home-1', 'silent-1', silent);
    await eventually(() => platform.broker.lastSeen('silent-1') !== undefined, { what: 'silent-1 heard' });
    clock.advance(10 * 60_000); // 10 report intervals: silent-1 is offline
    await online('home-1', 'low-1', low, 12);
    await online('home-2', 'fine-2', fine, 95);
    await online('home-3', 'lower-3', lower, 5);
    await eventually(() => platform.broker.lastSeen('lower-3') !== undefined, { what: 'lower-3 heard' });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await platform?.close();
    dir.remove();
  });

  it('lists offline, never-seen and low-battery devices of every home with counts; the healthy one not', async () => {
    const body = await eventually(
      async () => {
        const b = await tech.ok<AttentionBody>('GET', '/api/devices/attention');
        return b.counts.low_battery === 2 && b;
      },
      { what: 'both low batteries counted' },
    );
    expect(body.counts).toEqual({ offline: 1, never_seen: 1, low_battery: 2 });
    expect(body.total).toBe(4);
    expect(body.devices.map((d) => d.deviceId)).not.toContain('fine-2');
    // default sort: never seen first, then the longest silent
    expect(body.devices.map((d) => d.deviceId).slice(0, 2)).toEqual(['never-2', 'silent-1']);
    expect(body.devices.find((d) => d.deviceId === 'silent-1')?.problems).toEqual(['offline']);
  });

  it('sorts by battery (lowest first), filters by problem, and pages on the server', async () => {
    const byBattery = await tech.ok<AttentionBody>(
      'GET',
      '/api/devices/attention?sort=battery&problem=low_battery',
    );
    expect(byBattery.devices.map((d) => [d.deviceId, d.battery?.value])).toEqual([
      ['lower-3', 5],
      ['low-1', 12],
    ]);
    const page = await tech.ok<AttentionBody>('GET', '/api/devices/attention?sort=home&limit=1&offset=1');
    expect(page.total).toBe(4);
    expect(page.devices).toHaveLength(1);
    expect(page.devices[0]?.deviceId).toBe('silent-1'); // home-1/low-1, home-1/silent-1, home-2/…
    expect((await tech.request('GET', '/api/devices/attention?limit=100000')).status).toBe(400);
  });

  it('is for technicians and administrators only', async () => {
    expect((await staff.request('GET', '/api/devices/attention')).status).toBe(403);
    expect((await admin.request('GET', '/api/devices/attention')).status).toBe(200);
  });
});
