import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * When most sensors fall silent at once, the fault is the platform's or the network's: staff are
 * told the platform cannot hear homes (and critical alerts go straight to the fallback), and it
 * clears when the sensors are heard again.
 */
describe('the platform notices when it cannot hear its homes', () => {
  const dir = tempDir();
  const clock = new ManualClock(Date.now());
  let platform: Platform;
  let admin: ApiClient;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('silent'), clock });
    admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    for (let h = 0; h < 5; h++) {
      await admin.ok('POST', '/api/homes', { id: `home-${h}`, label: `Hjem ${h}`, teamId: 'team-a' });
      for (let d = 0; d < 4; d++) {
        const id = `s-${h}-${d}`;
        const { secret } = await admin.ok<{ secret: string }>('POST', `/api/homes/home-${h}/devices`, {
          id,
          kinds: ['heartbeat'],
          reportIntervalS: 60,
        });
        secrets.set(id, secret);
      }
    }
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('twenty sensors silent past 2.5 x their interval: degraded, devices_silent; heard again: healthy', async () => {
    expect((await admin.ok<{ degraded: string[] }>('GET', '/api/status')).degraded).toEqual([]);
    clock.advance(151_000);
    await eventually(
      async () =>
        (await admin.ok<{ degraded: string[] }>('GET', '/api/status')).degraded.includes('devices_silent'),
      { what: 'devices_silent on /api/status' },
    );
    // eleven of them report again over MQTT: fewer than half are silent now
    for (const id of [...secrets.keys()].slice(0, 11)) {
      const [, h] = id.split('-');
      const device = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: secrets.get(id)!,
        reconnectPeriod: 0,
      });
      await device.publishAsync(
        topics.readings(`home-${h}`, id),
        JSON.stringify({ kind: 'heartbeat', value: 1, ts: clock.now(), seq: 1 }),
        { qos: 1 },
      );
      await device.endAsync();
    }
    await eventually(
      async () => (await admin.ok<{ degraded: string[] }>('GET', '/api/status')).degraded.length === 0,
      {
        what: 'healthy again',
      },
    );
  });
});
