import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface BulkBody {
  devices: Array<{ device: { id: string; homeId: string; kinds: string[] }; secret: string }>;
}

/** Provisioning many devices in one request, on the real platform (its timing is in the bench). */
describe('bulk provisioning', () => {
  const dir = tempDir();
  let platform: Platform;
  let admin: ApiClient;
  let tech: ApiClient;
  let staff: ApiClient;
  const HOMES = 20;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('bulk') });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 't', name: 'T' });
    for (let h = 0; h < HOMES; h++)
      await admin.ok('POST', '/api/homes', { id: `home-${h}`, label: `H${h}`, teamId: 't' });
    for (const [username, role, teamIds] of [
      ['tech', 'technician', []],
      ['staff', 'staff', ['t']],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: 'password-123',
        displayName: username,
        role,
        teamIds,
      });
    }
    tech = await ApiClient.login(url, 'tech', 'password-123');
    staff = await ApiClient.login(url, 'staff', 'password-123');
  });
  afterAll(async () => {
    await platform.close();
    dir.remove();
  });

  const rows = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${prefix}-${i}`,
      homeId: `home-${i % HOMES}`,
      kinds: i % 2 ? ['motion'] : ['door', 'battery'],
    }));

  it('200 devices in one request, each secret returned once, each device can connect', async () => {
    const res = await tech.request('POST', '/api/provisioning/devices', { devices: rows(200, 'bulk') });
    expect(res.status).toBe(201);
    const body = res.body as BulkBody;
    expect(body.devices).toHaveLength(200);
    expect(body.devices.map((d) => d.device.id)).toEqual(rows(200, 'bulk').map((r) => r.id));
    expect(new Set(body.devices.map((d) => d.secret)).size).toBe(200);
    // only hashes are kept: the secret is nowhere in the store or the device list
    const stored = await platform.store.devices.get('bulk-7');
    expect(stored?.secretHash).not.toContain(body.devices[7]!.secret);
    const list = await tech.ok<{ devices: Array<Record<string, unknown>> }>(
      'GET',
      '/api/homes/home-7/devices',
    );
    expect(JSON.stringify(list)).not.toContain(body.devices[7]!.secret);
    expect(list.devices.map((d) => d.id)).toContain('bulk-7');
    // audited in each device's home
    await eventually(async () =>
      (await platform.store.audit.listByHome('home-3')).some(
        (e) => e.action === 'device.provision' && e.detail === 'bulk-3',
      ),
    );
    // a few of them connect with their secret; a wrong secret is refused
    for (const i of [0, 99, 199]) {
      const { device, secret } = body.devices[i]!;
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: device.id,
        username: device.id,
        password: secret,
        reconnectPeriod: 0,
      });
      expect(client.connected).toBe(true);
      await client.endAsync();
    }
    await expect(
      mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'bulk-1',
        username: 'bulk-1',
        password: body.devices[0]!.secret,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
  });

  it('all or none: a bad row is named by its index, and nothing is created', async () => {
    const devices = rows(50, 'mixed');
    devices[17] = { ...devices[17]!, homeId: 'no-such-home' };
    devices[30] = { ...devices[30]!, id: 'bulk-5' }; // taken by the request before
    devices[41] = { ...devices[41]!, id: 'mixed-2' }; // twice in this one
    const res = await tech.request('POST', '/api/provisioning/devices', { devices });
    expect(res.status).toBe(400);
    const paths = (res.body as { issues: Array<{ path: string; in: string }> }).issues.map(
      (i) => `${i.in}:${i.path}`,
    );
    expect(paths).toEqual(['body:devices.17.homeId', 'body:devices.30.id', 'body:devices.41.id']);
    for (const d of rows(50, 'mixed')) expect(platform.registry.device(d.id)).toBeUndefined();
    expect(await platform.store.devices.get('mixed-0')).toBeNull();
    // a schema error names its row too
    const bad = rows(3, 'schema');
    const res2 = await tech.request('POST', '/api/provisioning/devices', {
      devices: [bad[0], { ...bad[1], kinds: ['teleporter'] }, bad[2]],
    });
    expect(res2.status).toBe(400);
    expect(JSON.stringify(res2.body)).toContain('devices.1.kinds.0');
    expect(platform.registry.device('schema-0')).toBeUndefined();
  });

  it('technicians and administrators only; more than the limit is refused', async () => {
    expect((await staff.request('POST', '/api/provisioning/devices', { devices: rows(1, 's') })).status).toBe(
      403,
    );
    expect((await admin.request('POST', '/api/provisioning/devices', { devices: rows(1, 'a') })).status).toBe(
      201,
    );
    const tooMany = {
      devices: Array.from({ length: 10_001 }, (_, i) => ({
        id: `x${i}`,
        homeId: 'home-0',
        kinds: ['motion'],
      })),
    };
    const res = await tech.request('POST', '/api/provisioning/devices', tooMany);
    expect(res.status).toBe(400);
    expect(platform.registry.device('x0')).toBeUndefined();
  });
});
