import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type AlertCandidate, informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, startPlatformProcess, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { startReceiver } from './harness/receiver.ts';

/** A team, a home in it with a fall sensor, and the citizen's consent to alerts. */
async function homeWithFallSensor(platform: Platform, homeId = 'home-a') {
  await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
  await platform.registry.createHome({ id: homeId, label: 'Borger A, Skovvej 1', teamId: 'team-a' });
  const { secret } = await platform.registry.provisionDevice({ id: 'fall-a', homeId, kinds: ['fall'] });
  for (const category of ['emergency', 'activity'] as const) {
    await platform.consent.change(
      homeId,
      {
        category,
        purpose: 'alerts',
        action: 'grant',
        channel: 'web',
        textVersion: informationText(category, 'alerts').version,
      },
      { id: 'citizen', role: 'citizen', homeId },
    );
  }
  return { secret };
}

describe('escalation on the whole platform', () => {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const dirs: Array<{ remove(): void }> = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  const receiver = async () => {
    const r = await startReceiver();
    opened.push(r);
    return r;
  };
  const platformIn = async (
    dir: { path: string },
    database: string,
    env: Record<string, string>,
    clock?: ManualClock,
  ) => {
    const platform = await startTestPlatform({
      dataDir: dir.path,
      database,
      env,
      ...(clock ? { clock } : {}),
    });
    opened.push(platform);
    return platform;
  };

  it('a fall published over MQTT with nobody on the dashboard reaches the fallback webhook', async () => {
    const fallback = await receiver();
    const dir = tempDir();
    dirs.push(dir);
    const platform = await platformIn(dir, uniqueDatabase('esc'), {
      FALLBACK_WEBHOOK_URL: `${fallback.url}/alarm`,
    });
    expect(platform.warnings).toEqual([]);
    const { secret } = await homeWithFallSensor(platform);

    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'fall-a',
      username: 'fall-a',
      password: secret,
      reconnectPeriod: 0,
    });
    opened.push({ close: () => device.endAsync() });
    const reading: WireReading = { kind: 'fall', value: 1, ts: Date.now(), seq: 1 };
    await device.publishAsync(topics.readings('home-a', 'fall-a'), JSON.stringify(reading), { qos: 1 });

    const [delivery] = await eventually(() => fallback.received.length > 0 && fallback.received, {
      what: 'the fallback webhook to be called',
    });
    expect(delivery!.path).toBe('/alarm');
    expect(delivery!.body).toMatchObject({
      homeId: 'home-a',
      rule: 'fall',
      severity: 'critical',
      level: 2,
      reason: 'unwatched',
    });
    const alertId = String(delivery!.body.alertId);
    expect(delivery!.body.link).toBe(`${platform.dashboardUrl}/?alert=${alertId}`);
    expect(JSON.stringify(delivery!.body)).not.toContain('Skovvej');
    const alert = await platform.alerts.get(alertId);
    expect(alert?.escalationLevel).toBe(2);
    const attempts = await eventually(async () => {
      const list = await platform.alerts.notifications(alertId);
      return list.length > 0 && list;
    });
    expect(attempts[0]).toMatchObject({ notifier: 'webhook', target: 'fallback', result: 'delivered' });
  });

  it('re-arms open alerts after a restart: the deadline still counts from the opening', async () => {
    const fallback = await receiver();
    const team = await receiver();
    const dir = tempDir();
    dirs.push(dir);
    const database = uniqueDatabase('esc');
    const clock = new ManualClock();
    const t0 = clock.now();
    const env = {
      FALLBACK_WEBHOOK_URL: fallback.url,
      TEAM_WEBHOOKS: JSON.stringify({ 'team-a': team.url }),
      ESCALATE_HIGH_S: '180',
    };

    const first = await platformIn(dir, database, env, clock);
    await homeWithFallSensor(first);
    const candidate: AlertCandidate = {
      homeId: 'home-a',
      rule: 'inactivity',
      category: 'activity',
      severity: 'high',
      audience: 'care',
      at: t0,
      evidence: { readings: [], summary: 'No motion' },
    };
    const alert = (await first.alerts.raise(candidate))!;
    await first.close();

    const step = async (platform: Platform, ms: number) => {
      clock.set(t0 + ms);
      // the tick the jump fired first, then one at the time reached
      await platform.escalation.idle();
      await platform.escalation.tick();
      await platform.escalation.idle();
    };

    const second = await platformIn(dir, database, env, clock);
    expect(second.escalation.armedAlerts()).toEqual([{ id: alert.id, level: 0 }]);
    await step(second, 179_999);
    expect(team.received).toHaveLength(0);
    await step(second, 180_000);
    expect((await second.alerts.get(alert.id))?.escalationLevel).toBe(1);
    expect(team.received.map((r) => r.body.alertId)).toEqual([alert.id]);
    await second.close();

    // a second restart, now at level 1: the fallback is due a deadline after the team was told
    const third = await platformIn(dir, database, env, clock);
    expect(third.escalation.armedAlerts()).toEqual([{ id: alert.id, level: 1 }]);
    await step(third, 359_999);
    expect(fallback.received).toHaveLength(0);
    await step(third, 360_000);
    expect(fallback.received.map((r) => [r.body.alertId, r.body.level])).toEqual([[alert.id, 2]]);
    expect((await third.alerts.get(alert.id))?.escalationLevel).toBe(2);
  });

  it('a degraded platform is shown to staff and sends critical alerts to the fallback at once', async () => {
    const fallback = await receiver();
    const dir = tempDir();
    dirs.push(dir);
    const platform = await platformIn(dir, uniqueDatabase('esc'), { FALLBACK_WEBHOOK_URL: fallback.url });
    await homeWithFallSensor(platform);
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const staff = await ApiClient.newStaff(admin, ['team-a']);
    const live: LiveClient = staff.live();
    opened.push(live);
    await live.opened;
    await eventually(() => live.messages.some((m) => m.type === 'platform'), { what: 'platform message' });
    expect(live.messages.slice(0, 2)).toEqual([
      expect.objectContaining({ type: 'hello' }),
      { type: 'platform', degraded: [] },
    ]);
    expect(await staff.ok('GET', '/api/status')).toEqual({ status: 'ok', degraded: [] });
    await eventually(() => platform.dashboard.watchingTeams().has('team-a'));

    // the broker stops: devices cannot reach us, so the board alone cannot be trusted
    await platform.broker.close();
    platform.health.evaluate();
    await eventually(() => live.messages.some((m) => m.type === 'platform' && m.degraded?.length), {
      what: 'degraded message',
    });
    expect(live.messages.filter((m) => m.type === 'platform').at(-1)).toEqual({
      type: 'platform',
      degraded: ['broker_down'],
    });
    expect(await staff.ok('GET', '/api/status')).toEqual({ status: 'degraded', degraded: ['broker_down'] });

    const alert = (await platform.alerts.raise({
      homeId: 'home-a',
      rule: 'alarm_button',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: Date.now(),
      evidence: { readings: [], summary: 'Alarm button pressed' },
    }))!;
    await platform.escalation.idle();
    expect(fallback.received.map((r) => [r.body.alertId, r.body.reason, r.body.degraded])).toEqual([
      [alert.id, 'degraded', ['broker_down']],
    ]);
    // staff see it marked as escalated on their board
    await eventually(() => live.alerts().some((m) => m.event === 'escalated' && m.alert?.id === alert.id));
  });

  it('start warns when no notifier can reach anyone outside the dashboard', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const platform = await startPlatformProcess({
      dataDir: dir.path,
      env: { FALLBACK_WEBHOOK_URL: '', SMS_GATEWAY_URL: '', SMS_FALLBACK_NUMBERS: '' },
      timeoutMs: 20_000,
    });
    opened.push(platform);
    await platform.stop();
    const out = platform.output();
    expect(out).toContain('Tryghed is running');
    expect(out).toMatch(/WARNING: No fallback notifier is configured/);
    expect(out).toContain('critical alerts that nobody takes on have no way out of the dashboard');
  });
});
