import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * A device is alive when we hear it, whatever the citizen consented to: a motion sensor in a home
 * that said no to activity monitoring still reports, and must not be called offline (its readings
 * are still neither stored nor used). A resend proves life too.
 */
describe('liveness is judged by what we receive, not by consent', () => {
  const dir = tempDir();
  const t0 = Date.now();
  const clock = new ManualClock(t0);
  let platform: Platform;
  let device: MqttClient;

  const offlineAlerts = async () =>
    (await platform.alerts.list({ homeIds: ['home-a'] })).filter((a) => a.rule === 'device_offline');
  const send = (seq: number) =>
    device.publishAsync(
      topics.readings('home-a', 'motion-a'),
      JSON.stringify({ kind: 'motion', value: 1, ts: clock.now(), seq }),
      { qos: 1 },
    );
  /** moves the clock: the rules' tick fires on it, and the alert writes behind it settle */
  const at = async (ms: number) => {
    await clock.setAsync(t0 + ms);
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('liveness'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    // no consent at all for this home
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'A', teamId: 'team-a' });
    const { secret } = await admin.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
      id: 'motion-a',
      kinds: ['motion'],
      reportIntervalS: 60,
    });
    device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'motion-a',
      username: 'motion-a',
      password: secret,
      reconnectPeriod: 0,
    });
  });

  afterAll(async () => {
    await device?.endAsync();
    await platform?.close();
    dir.remove();
  });

  it('an unconsented reading and a resend keep the device online; silence still makes it offline', async () => {
    await at(100_000);
    await send(1); // refused for lack of consent, but heard
    await at(200_000);
    await send(1); // the same reading again: a resend, still heard
    await at(349_000);
    expect(await offlineAlerts()).toEqual([]);
    // nothing for 2.5 x 60 s after the last one: offline
    await at(351_000);
    expect(await offlineAlerts()).toHaveLength(1);
    // ...and none of its readings were stored
    await platform.ingest.flush();
    expect(await platform.readings.query({ homeId: 'home-a', from: t0, to: t0 + 400_000 })).toEqual([]);
  });
});
