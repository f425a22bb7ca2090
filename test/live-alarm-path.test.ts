import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient, type LiveClient, type LiveMessage } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';

const password = 'password-123';

/**
 * Issue 12 point 3: an alarm is never stuck behind routine work. The view of a new alert is built
 * once and sent to every socket without a store read, right after the alert is written; each
 * socket still gets only what its person may see. On PostgreSQL, so a real lock can hold the one
 * read the alarm must not wait for.
 */
describe('an alarm on /live: written first, then to every socket that may see it, without waiting', () => {
  const dir = tempDir();
  let drop: () => Promise<void>;
  let platform: Platform;
  let admin: ApiClient;
  const live: Record<'staffA' | 'staffB' | 'tech' | 'admin', LiveClient> = {} as never;
  const buttons: Record<string, MqttClient> = {};
  const seq: Record<string, number> = {};

  const press = async (homeId: string) => {
    const deviceId = `button-${homeId}`;
    seq[deviceId] = (seq[deviceId] ?? 0) + 1;
    const reading: WireReading = { kind: 'alarm_button', value: 1, ts: Date.now(), seq: seq[deviceId]! };
    await buttons[homeId]!.publishAsync(topics.readings(homeId, deviceId), JSON.stringify(reading), {
      qos: 1,
    });
  };
  const opened = (client: LiveClient, homeId: string) =>
    client.alerts().filter((m) => m.event === 'opened' && m.alert?.homeId === homeId);

  beforeAll(async () => {
    let url: string;
    ({ url, drop } = await createPostgresDatabase(inject('postgresUrl'), 'alarmpath'));
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('alarmpath'),
      env: { DATABASE_URL: url },
    });
    admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const team of ['team-a', 'team-b']) await admin.ok('POST', '/api/teams', { id: team, name: team });
    for (const [homeId, teamId] of [
      ['home-a', 'team-a'],
      ['home-b', 'team-b'],
    ] as const) {
      await admin.ok('POST', '/api/homes', { id: homeId, label: `Borger ${homeId}`, teamId });
      await platform.consent.change(
        homeId,
        {
          category: 'emergency',
          purpose: 'alerts',
          action: 'grant',
          channel: 'web',
          textVersion: informationText('emergency', 'alerts').version,
        },
        { id: 'citizen', role: 'citizen', homeId },
      );
      const deviceId = `button-${homeId}`;
      const { secret } = await platform.registry.provisionDevice({
        id: deviceId,
        homeId,
        kinds: ['alarm_button'],
      });
      buttons[homeId] = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: deviceId,
        username: deviceId,
        password: secret,
        reconnectPeriod: 0,
      });
    }
    const users = [
      ['staff-a', { role: 'staff', teamIds: ['team-a'] }],
      ['staff-b', { role: 'staff', teamIds: ['team-b'] }],
      ['tech', { role: 'technician' }],
    ] as const;
    for (const [username, rest] of users)
      await admin.ok('POST', '/api/users', { username, password, displayName: username, ...rest });
    live.staffA = (await ApiClient.login(platform.dashboardUrl, 'staff-a', password)).live();
    live.staffB = (await ApiClient.login(platform.dashboardUrl, 'staff-b', password)).live();
    live.tech = (await ApiClient.login(platform.dashboardUrl, 'tech', password)).live();
    live.admin = admin.live();
    await Promise.all(Object.values(live).map((l) => l.opened));
    await eventually(() => Object.values(live).every((l) => l.messages.some((m) => m.type === 'platform')));
  });

  afterAll(async () => {
    for (const l of Object.values(live)) await l?.close();
    for (const b of Object.values(buttons)) await b.endAsync();
    await platform?.close();
    await drop?.();
    dir.remove();
  });

  it('each socket gets only the alerts its person may see, the same message to all of them', async () => {
    await press('home-a');
    await press('home-b');
    // a technical alert on home B: technicians (and administrators) only
    await platform.alerts.raise({
      homeId: 'home-b',
      rule: 'device_offline',
      category: 'technical',
      severity: 'medium',
      audience: 'technical',
      at: Date.now(),
      evidence: { readings: [], summary: 'Device offline' },
    });
    await eventually(() => live.admin.alerts().filter((m) => m.event === 'opened').length === 3, {
      what: 'three alerts opened on the administrator’s board',
    });
    const all = live.admin.alerts().filter((m) => m.event === 'opened');
    const ids = (l: LiveClient) =>
      l
        .alerts()
        .filter((m) => m.event === 'opened')
        .map((m) => m.alert!.id)
        .sort();
    const of = (homeId: string, audience: string) =>
      all
        .filter((m) => m.alert!.homeId === homeId && (m.alert as { audience?: string }).audience === audience)
        .map((m) => m.alert!.id);
    await eventually(() => ids(live.staffA).length === 1 && ids(live.staffB).length === 1);
    await eventually(() => ids(live.tech).length === 1);
    expect(ids(live.staffA)).toEqual(of('home-a', 'care'));
    expect(ids(live.staffB)).toEqual(of('home-b', 'care'));
    expect(ids(live.tech)).toEqual(of('home-b', 'technical'));
    // one view for every socket: staff A got exactly what the administrator got for that alert
    const forA = (l: LiveClient): LiveMessage =>
      l.alerts().find((m) => m.event === 'opened' && m.alert!.homeId === 'home-a')!;
    expect(forA(live.staffA)).toEqual(forA(live.admin));
    expect(forA(live.staffA).alert).toMatchObject({ homeLabel: 'Borger home-a', team: { id: 'team-a' } });
    for (const m of all)
      await platform.alerts.resolve(
        m.alert!.id,
        { id: 'bench', role: 'staff' },
        {
          outcome: 'false_alarm',
          note: '',
        },
      );
    await eventually(() => live.admin.alerts().filter((m) => m.event === 'resolved').length === 3);
  });

  it('a new alarm reaches staff while the store cannot answer the delivery lines, already written', async () => {
    // team A's name has been read before (first test), so the view needs nothing from the store
    const blocker = new pg.Client({ connectionString: platform.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      // no read of notification attempts can go through now (a vacuum, a migration, a slow disk)
      await blocker.query('LOCK TABLE alert_notifications IN ACCESS EXCLUSIVE MODE');
      const before = opened(live.staffA, 'home-a').length;
      await press('home-a');
      const [message] = await eventually(
        () => {
          const xs = opened(live.staffA, 'home-a').slice(before);
          return xs.length > 0 && xs;
        },
        { what: 'the alarm on staff A’s board while notification attempts are locked' },
      );
      expect(message!.alert).toMatchObject({ state: 'open', homeId: 'home-a', rule: 'alarm_button' });
      expect((message!.alert as { delivery?: unknown }).delivery).toEqual({
        fallback: 'none',
        channels: [],
        undelivered: [],
      });
      // the board tells what happened: the alert it shows is in the store
      const { rows } = await blocker.query('SELECT id, state FROM alerts WHERE id = $1', [
        message!.alert!.id,
      ]);
      expect(rows).toEqual([{ id: message!.alert!.id, state: 'open' }]);
      expect(opened(live.staffB, 'home-a')).toEqual([]);
      expect(opened(live.tech, 'home-a')).toEqual([]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    // events that do read the store still come, in the order they happened
    const alertId = opened(live.staffA, 'home-a').at(-1)!.alert!.id;
    await platform.alerts.acknowledge(alertId, { id: 'someone', role: 'staff' });
    await eventually(() =>
      live.staffA.alerts().some((m) => m.event === 'acknowledged' && m.alert!.id === alertId),
    );
    const seqs = live.staffA.alerts().map((m) => m.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
