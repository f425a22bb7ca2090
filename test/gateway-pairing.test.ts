import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodePairing, runGatewayCli } from '../gateway/index.ts';
import type { Platform } from '../platform/start.ts';
import { encodePairingCode, type PairingBundle, topics } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/** The pairing route (who may, what it hands out) and `tryghed gateway --pair`. */
describe('gateway pairing', () => {
  const dir = tempDir();
  let platform: Platform;
  let admin: ApiClient;
  let doorSecret = '';

  beforeAll(async () => {
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('pair'),
      env: { MQTT_PUBLIC_URLS: 'mqtts://tryghed.example.dk:8883, mqtt://10.0.0.5:1883' },
    });
    admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'B', teamId: 'team-a' });
    doorSecret = (
      await admin.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
        id: 'home-a-door',
        kinds: ['door'],
      })
    ).secret;
    await admin.ok('POST', '/api/homes/home-b/devices', {
      id: 'home-b-gw',
      kinds: ['heartbeat'],
      role: 'gateway',
    });
    for (const [username, role, teamIds] of [
      ['tech', 'technician', []],
      ['care', 'staff', ['team-a']],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: 'password-123',
        displayName: username,
        role,
        teamIds,
      });
    }
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('a technician gets the whole bundle (public URLs best first); the home learns its scope at once', async () => {
    const tech = await ApiClient.login(platform.dashboardUrl, 'tech', 'password-123');
    const { bundle, code, rekeyed } = await tech.ok<{
      bundle: PairingBundle;
      code: string;
      rekeyed: boolean;
    }>('POST', '/api/homes/home-a/gateway-pairing', {});
    expect(rekeyed).toBe(false);
    expect(bundle).toMatchObject({
      v: 1,
      homeId: 'home-a',
      gatewayId: 'home-a-gw',
      platformUrl: 'mqtts://tryghed.example.dk:8883',
      platformUrls: ['mqtts://tryghed.example.dk:8883', 'mqtt://10.0.0.5:1883'],
      // the broker's own certificate (self-signed here), for the gateway to trust
      ca: platform.mqttTls?.caPem,
    });
    expect(bundle.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(bundle.secret.length).toBeGreaterThanOrEqual(16);
    expect(decodePairing(code)).toEqual(bundle);
    expect(platform.registry.device('home-a-gw')).toMatchObject({ role: 'gateway', homeId: 'home-a' });
    const again = await tech.ok<{ rekeyed: boolean; bundle: PairingBundle }>(
      'POST',
      '/api/homes/home-a/gateway-pairing',
      {},
    );
    expect(again.rekeyed).toBe(true);
    expect(again.bundle.secret).not.toBe(bundle.secret);
    // a home without any consent yet still has its (empty) scope waiting for the gateway
    const gw = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'home-a-gw',
      username: 'home-a-gw',
      password: again.bundle.secret,
      reconnectPeriod: 0,
    });
    const config = new Promise<Buffer>((resolve) => gw.once('message', (_t, payload) => resolve(payload)));
    await gw.subscribeAsync(topics.config('home-a'), { qos: 1 });
    const { consent } = JSON.parse((await config).toString()) as {
      consent: Record<string, { alerts: boolean }>;
    };
    expect(Object.values(consent).every((c) => c.alerts === false)).toBe(true);
    await gw.endAsync();
  });

  it('never hands out a sensor’s or another home’s credentials; care staff may not pair', async () => {
    const tech = await ApiClient.login(platform.dashboardUrl, 'tech', 'password-123');
    expect(
      (await tech.request('POST', '/api/homes/home-a/gateway-pairing', { gatewayId: 'home-a-door' })).status,
    ).toBe(409);
    expect(
      (await tech.request('POST', '/api/homes/home-a/gateway-pairing', { gatewayId: 'home-b-gw' })).status,
    ).toBe(409);
    expect((await tech.request('POST', '/api/homes/nowhere/gateway-pairing', {})).status).toBe(404);
    const care = await ApiClient.login(platform.dashboardUrl, 'care', 'password-123');
    expect((await care.request('POST', '/api/homes/home-a/gateway-pairing', {})).status).toBe(403);
  });

  it('a device status that is not {online: true|false} is refused and counted; an offline report shows at once', async () => {
    const door = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'home-a-door',
      username: 'home-a-door',
      password: doorSecret,
      reconnectPeriod: 0,
    });
    await door.publishAsync(topics.status('home-a', 'home-a-door'), '{"online":"maybe"}', { qos: 1 });
    // a status is handled after its PUBACK (aedes' `published` hook), so possibly a turn later
    await eventually(
      async () => (await platform.metrics.value('tryghed_device_status_refused_total')) === 1,
      {
        what: 'the bad status counted',
      },
    );
    const status = async () =>
      (
        await admin.ok<{ devices: Array<{ id: string; status: string }> }>('GET', '/api/homes/home-a/devices')
      ).devices.find((d) => d.id === 'home-a-door')?.status;
    // it was heard (a message arrived), so online, until it says otherwise
    expect(await status()).toBe('online');
    await door.publishAsync(topics.status('home-a', 'home-a-door'), '{"online":false}', {
      qos: 1,
      retain: true,
    });
    expect(await status()).toBe('offline');
    await door.endAsync();
  });

  it('`tryghed gateway --pair` writes a 0600 config, keeps the device map on re-pairing, and refuses a damaged code', async () => {
    const bundle: PairingBundle = {
      v: 1,
      platformUrl: 'mqtts://tryghed.example.dk:8883',
      platformUrls: ['mqtts://tryghed.example.dk:8883'],
      homeId: 'home-a',
      gatewayId: 'home-a-gw',
      secret: 'a-long-enough-secret-1',
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      issuedAt: 1,
    };
    const folder = join(dir.path, 'box');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'tryghed-gateway.json');
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runGatewayCli(['--pair', encodePairingCode(bundle), '--config', file], {})).toBe(0);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const written = JSON.parse(readFileSync(file, 'utf8'));
      expect(written.platform).toEqual({
        url: bundle.platformUrl,
        homeId: 'home-a',
        gatewayId: 'home-a-gw',
        secret: bundle.secret,
        ca: bundle.ca,
      });
      written.devices = { '0x0015bc001f000008': { deviceId: 'home-a-door', kinds: ['door'] } };
      writeFileSync(file, JSON.stringify(written));
      // re-keyed: the new secret, the same device map
      const code2 = encodePairingCode({ ...bundle, secret: 'another-long-secret-2' });
      expect(await runGatewayCli(['--pair', code2, '--config', file], {})).toBe(0);
      const rewritten = JSON.parse(readFileSync(file, 'utf8'));
      expect(rewritten.platform.secret).toBe('another-long-secret-2');
      expect(rewritten.devices).toEqual(written.devices);
      expect(await runGatewayCli(['--pair', `${code2.slice(0, 40)}xx`, '--config', file], {})).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toMatch(/pairing/);
      // a config with a problem stops start with the problem named
      expect(await runGatewayCli(['--config', join(folder, 'missing.json')], {})).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toContain('GATEWAY_CONFIG: no file at');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
