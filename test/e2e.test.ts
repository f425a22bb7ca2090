import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * The whole flow on real parts: a device publishes over MQTT to aedes, ingest writes to InfluxDB,
 * a rule raises an alert, staff of the home's team see it live and acknowledge it, and it is still
 * acknowledged after a restart. Then the citizen withdraws consent and the same reading stores and
 * raises nothing.
 */
describe('end to end: a fall reaches the right care worker, and consent decides', () => {
  const dir = tempDir();
  const database = uniqueDatabase('e2e');
  let platform: Platform;
  let admin: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let citizen: ApiClient;
  let liveA: LiveClient;
  let liveB: LiveClient;
  let device: MqttClient;
  let secret: string;
  let seq = 0;
  const password = 'password-123';

  const publishFall = async (client: MqttClient) => {
    const ts = Date.now();
    const reading: WireReading = { kind: 'fall', value: 1, ts, seq: ++seq };
    await client.publishAsync(topics.readings('home-a', 'fall-a'), JSON.stringify(reading), { qos: 1 });
    return { ts, seq: reading.seq };
  };
  const connectDevice = (url: string) =>
    mqtt.connectAsync(url, { clientId: 'fall-a', username: 'fall-a', password: secret, reconnectPeriod: 0 });

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/teams', { id: 'team-b', name: 'Team B' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-b' });
    const provisioned = await admin.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
      id: 'fall-a',
      kinds: ['fall'],
    });
    secret = provisioned.secret;
    await admin.ok('POST', '/api/users', {
      username: 'staff-a',
      password,
      displayName: 'A',
      role: 'staff',
      teamIds: ['team-a'],
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff-b',
      password,
      displayName: 'B',
      role: 'staff',
      teamIds: ['team-b'],
    });
    await admin.ok('POST', '/api/users', {
      username: 'citizen-a',
      password,
      displayName: 'C',
      role: 'citizen',
      homeId: 'home-a',
    });
    citizen = await ApiClient.login(url, 'citizen-a', password);
    for (const purpose of ['alerts', 'history']) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category: 'emergency',
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: informationText('emergency', purpose as 'alerts').version,
      });
    }
    staffA = await ApiClient.login(url, 'staff-a', password);
    staffB = await ApiClient.login(url, 'staff-b', password);
    liveA = staffA.live();
    liveB = staffB.live();
    await Promise.all([liveA.opened, liveB.opened]);
    device = await connectDevice(platform.mqttUrl);
  });

  afterAll(async () => {
    await device?.endAsync();
    await liveA?.close();
    await liveB?.close();
    await platform?.close();
    dir.remove();
  });

  it('the reading is stored in InfluxDB and the alert reaches team A live, not team B', async () => {
    const sent = await publishFall(device);
    const points = await eventually(
      async () => {
        const found = await platform.readings.query({
          homeId: 'home-a',
          from: sent.ts - 1000,
          to: sent.ts + 1000,
        });
        return found.length > 0 && found;
      },
      { what: 'the reading in InfluxDB' },
    );
    expect(points[0]).toMatchObject({
      homeId: 'home-a',
      deviceId: 'fall-a',
      kind: 'fall',
      value: 1,
      seq: sent.seq,
    });

    const opened = await eventually(() => liveA.alerts().find((m) => m.event === 'opened'), {
      what: 'alert on ws A',
    });
    expect(opened.alert).toMatchObject({ homeId: 'home-a', rule: 'fall', state: 'open' });

    // Team B's socket works (it got its hello) but must not carry team A's alert: give the alert
    // the same time to arrive that it took on A, and more.
    await new Promise((r) => setTimeout(r, 300));
    expect(liveB.messages.some((m) => m.type === 'hello')).toBe(true);
    expect(liveB.alerts()).toEqual([]);
    // ...nor may team B read or act on it over REST.
    expect((await staffB.request('POST', `/api/alerts/${opened.alert?.id}/acknowledge`)).status).toBe(404);
  });

  it('staff A acknowledges over REST, and the acknowledgement survives a restart', async () => {
    const alertId = liveA.alerts()[0]?.alert?.id;
    const { alert } = await staffA.ok<{ alert: { state: string; acknowledgedBy: string } }>(
      'POST',
      `/api/alerts/${alertId}/acknowledge`,
    );
    expect(alert.state).toBe('acknowledged');
    await eventually(() => liveA.alerts().find((m) => m.event === 'acknowledged'), { what: 'ack on ws A' });

    await device.endAsync();
    await liveA.close();
    await liveB.close();
    await platform.close();
    platform = await startTestPlatform({ dataDir: dir.path, database });
    staffA = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    const { alerts } = await staffA.ok<{
      alerts: Array<{ id: string; state: string; acknowledgedBy: string }>;
    }>('GET', '/api/alerts?state=open,acknowledged');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: alertId, state: 'acknowledged', acknowledgedBy: staffA.user?.id });
    device = await connectDevice(platform.mqttUrl);
  });

  it('after the citizen withdraws consent, the same reading stores nothing and raises nothing', async () => {
    citizen = await ApiClient.login(platform.dashboardUrl, 'citizen-a', password);
    for (const purpose of ['alerts', 'history']) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category: 'emergency',
        purpose,
        action: 'withdraw',
        channel: 'web',
        textVersion: informationText('emergency', purpose as 'alerts').version,
      });
    }
    const before = await platform.alerts.lastSeq();
    const rejectedBefore = await platform.metrics.value('tryghed_ingest_rejected_total', {
      reason: 'no_consent',
    });
    const sent = await publishFall(device);
    // The reading has been judged once ingest counts its refusal; nothing is waiting anywhere.
    await eventually(
      async () =>
        (await platform.metrics.value('tryghed_ingest_rejected_total', { reason: 'no_consent' })) >
        rejectedBefore,
      { what: 'the no-consent refusal' },
    );
    await platform.ingest.flush();
    const points = await platform.readings.query({
      homeId: 'home-a',
      from: sent.ts - 1000,
      to: sent.ts + 1000,
    });
    expect(points.map((p) => p.seq)).not.toContain(sent.seq);
    expect(await platform.alerts.lastSeq()).toBe(before);
    const active = await platform.alerts.list({ homeIds: ['home-a'], states: ['open', 'acknowledged'] });
    expect(active[0]?.repeats).toBe(0);
  });
});
