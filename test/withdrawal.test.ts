import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type HomeConfig, informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * Withdrawal is as easy as granting and takes effect everywhere within a second, on the real
 * pipeline (aedes, ingest, InfluxDB, rules, alerts): nothing of that category is stored or raised
 * afterwards, other categories go on, the home's gateway hears the new scope, and an alert that was
 * already open stays open until someone handles it.
 */
describe('withdrawing consent on the real pipeline', () => {
  const dir = tempDir();
  const database = uniqueDatabase('withdraw');
  let platform: Platform;
  let citizen: ApiClient;
  let staff: ApiClient;
  let device: MqttClient;
  const scopes: Array<{
    scope: HomeConfig['consent'];
    nightRound: HomeConfig['night_round'];
    receivedAt: number;
  }> = [];
  let seq = 0;
  const password = 'password-123';

  const publish = async (kind: 'fall' | 'smoke') => {
    const reading = { kind, value: 1, ts: Date.now(), seq: ++seq } satisfies WireReading;
    await device.publishAsync(topics.readings('home-w', 'multi-w'), JSON.stringify(reading), { qos: 1 });
    return reading;
  };
  const consent = (category: string, purpose: string, action: 'grant' | 'withdraw') =>
    citizen.ok('POST', '/api/homes/home-w/consent', {
      category,
      purpose,
      action,
      textVersion: informationText(category as 'emergency', purpose as 'alerts').version,
    });
  const stored = async (sinceTs: number) => {
    await platform.ingest.flush();
    return platform.readings.query({ homeId: 'home-w', from: sinceTs - 1, to: Date.now() + 1000 });
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-w', name: 'W' });
    await admin.ok('POST', '/api/homes', { id: 'home-w', label: 'Borger W', teamId: 'team-w' });
    const { secret } = await admin.ok<{ secret: string }>('POST', '/api/homes/home-w/devices', {
      id: 'multi-w',
      kinds: ['fall', 'smoke'],
    });
    await admin.ok('POST', '/api/users', {
      username: 'citizen-w',
      password,
      displayName: 'W',
      role: 'citizen',
      homeId: 'home-w',
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff-w',
      password,
      displayName: 'S',
      role: 'staff',
      teamIds: ['team-w'],
    });
    citizen = await ApiClient.login(platform.dashboardUrl, 'citizen-w', password);
    staff = await ApiClient.login(platform.dashboardUrl, 'staff-w', password);
    for (const category of ['emergency', 'environment'])
      for (const purpose of ['alerts', 'history']) await consent(category, purpose, 'grant');
    device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'multi-w',
      username: 'multi-w',
      password: secret,
      reconnectPeriod: 0,
    });
    // The device listens on its home's config topic, as a home gateway does.
    device.on('message', (topic, payload) => {
      if (topic === topics.config('home-w')) {
        const config = JSON.parse(payload.toString()) as HomeConfig;
        scopes.push({ scope: config.consent, nightRound: config.night_round, receivedAt: Date.now() });
      }
    });
    await device.subscribeAsync(topics.config('home-w'), { qos: 1 });
  });

  afterAll(async () => {
    await device?.endAsync();
    await platform?.close();
    dir.remove();
  });

  it('stores and raises nothing of the category within a second of the withdrawal; the rest goes on', async () => {
    const first = await publish('fall');
    const alert = await eventually(async () => {
      const [found] = await platform.alerts.list({ homeIds: ['home-w'], states: ['open'] });
      return found?.rule === 'fall' && found;
    });
    await eventually(async () => (await stored(first.ts)).some((p) => p.seq === first.seq), {
      what: 'the first fall stored',
    });
    await eventually(() => scopes.at(-1)?.scope.emergency.alerts === true, { what: 'the granted scope' });

    // One action each: withdraw alerts, then history, for emergencies.
    const withdrawnAt = Date.now();
    await consent('emergency', 'alerts', 'withdraw');
    await consent('emergency', 'history', 'withdraw');
    // The very next reading, sent at once: well inside the second.
    const after = await publish('fall');
    const smoke = await publish('smoke');
    expect(Date.now() - withdrawnAt).toBeLessThan(1000);

    // The gateway heard the new scope within the second too.
    const heard = await eventually(
      () => scopes.find((s) => s.receivedAt >= withdrawnAt && !s.scope.emergency.history),
      { what: 'the withdrawn scope on the config topic', timeoutMs: 1000 },
    );
    // (the shape gateways of every release read: alerts and history per category, the night round beside)
    expect(heard.scope.emergency).toEqual({ alerts: false, history: false });
    expect(heard.scope.environment).toEqual({ alerts: true, history: true });
    expect(heard.nightRound.emergency).toBe(false);

    // Environment still works: the smoke reading is stored and raises its alert...
    await eventually(async () => (await stored(first.ts)).some((p) => p.seq === smoke.seq), {
      what: 'the smoke reading stored',
    });
    await eventually(async () =>
      (await platform.alerts.list({ homeIds: ['home-w'], states: ['open'] })).find((a) => a.rule === 'smoke'),
    );
    // ...while the fall sent after the withdrawal was neither stored nor counted on the open alert.
    const points = await stored(first.ts);
    expect(points.map((p) => p.seq)).not.toContain(after.seq);
    const fallAlert = await platform.alerts.get(alert.id);
    expect(fallAlert).toMatchObject({ state: 'open', repeats: 0 });
  });

  it('the alert opened before the withdrawal stays open until staff handle it', async () => {
    const { alerts } = await staff.ok<{ alerts: Array<{ id: string; rule: string }> }>('GET', '/api/alerts');
    const fall = alerts.find((a) => a.rule === 'fall');
    expect(fall).toBeDefined();
    const { alert } = await staff.ok<{ alert: { state: string } }>(
      'POST',
      `/api/alerts/${fall?.id}/acknowledge`,
      {
        note: 'Ringede op, alt i orden',
      },
    );
    expect(alert.state).toBe('acknowledged');
    const resolved = await staff.ok<{ alert: { state: string; note: string; outcome: string } }>(
      'POST',
      `/api/alerts/${fall?.id}/resolve`,
      { outcome: 'no_action_needed' },
    );
    // the note written at acknowledgement is kept, not asked for again
    expect(resolved.alert).toMatchObject({
      state: 'resolved',
      outcome: 'no_action_needed',
      note: 'Ringede op, alt i orden',
    });
  });

  it('granting again is one action too, and takes effect for the next reading', async () => {
    await consent('emergency', 'alerts', 'grant');
    await publish('fall');
    const reopened = await eventually(async () =>
      (await platform.alerts.list({ homeIds: ['home-w'], states: ['open'] })).find((a) => a.rule === 'fall'),
    );
    expect(reopened.legalBasis?.basis).toBe('own_consent');
  });
});
