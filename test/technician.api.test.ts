import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient, LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface DeviceStatusBody {
  devices: Array<{
    id: string;
    status: 'online' | 'offline' | 'never_seen';
    lastSeen: number | null;
    reportIntervalS: number;
    battery: { value: number; ts: number } | null;
    test: boolean;
    testUntil: number | null;
  }>;
}
interface AlertsBody {
  alerts: Array<{ id: string; homeId: string; rule: string; test: boolean; state: string }>;
}

/**
 * The technician's work and the staff home view on the real platform: provisioning with a secret
 * shown once that the real broker accepts, device connectivity, readings only with history consent,
 * and test readings that are stored and evaluated but raise test alerts that never reach care staff.
 */
describe('technician and home view API', () => {
  const dir = tempDir();
  const database = uniqueDatabase('technician');
  // the platform's clock, moved by hand to make a device go offline without waiting
  const clock = new ManualClock(Date.now());
  let platform: Platform;
  let admin: ApiClient;
  let tech: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let citizenA: ApiClient;
  const devices: MqttClient[] = [];
  const password = 'password-123';
  let seq = 0;

  const connect = async (deviceId: string, secret: string) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: deviceId,
      username: deviceId,
      password: secret,
      reconnectPeriod: 0,
    });
    devices.push(client);
    return client;
  };
  const publish = (
    client: MqttClient,
    homeId: string,
    deviceId: string,
    kind: WireReading['kind'],
    value: number,
  ) =>
    client.publishAsync(
      topics.readings(homeId, deviceId),
      JSON.stringify({ kind, value, ts: clock.now(), seq: ++seq } satisfies WireReading),
      { qos: 1 },
    );
  const statusOf = async (client: ApiClient, homeId: string, deviceId: string) =>
    (await client.ok<DeviceStatusBody>('GET', `/api/homes/${homeId}/devices`)).devices.find(
      (d) => d.id === deviceId,
    );

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database, clock });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const team of ['team-a', 'team-b']) await admin.ok('POST', '/api/teams', { id: team, name: team });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-b' });
    const users: Array<[string, string, string[], string?]> = [
      ['staff-a', 'staff', ['team-a']],
      ['staff-b', 'staff', ['team-b']],
      ['tech', 'technician', []],
      ['citizen-a', 'citizen', [], 'home-a'],
    ];
    for (const [username, role, teamIds, homeId] of users) {
      await admin.ok('POST', '/api/users', {
        username,
        password,
        displayName: username,
        role,
        teamIds,
        ...(homeId ? { homeId } : {}),
      });
    }
    citizenA = await ApiClient.login(url, 'citizen-a', password);
    const citizen = citizenA;
    // environment: alerts and history; emergency: alerts only, no history
    for (const [category, purpose] of [
      ['environment', 'alerts'],
      ['environment', 'history'],
      ['emergency', 'alerts'],
    ]) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category,
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: informationText(category as 'emergency', purpose as 'alerts').version,
      });
    }
    tech = await ApiClient.login(url, 'tech', password);
    staffA = await ApiClient.login(url, 'staff-a', password);
    staffB = await ApiClient.login(url, 'staff-b', password);
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync()));
    await platform?.close();
    dir.remove();
  });

  it('finds homes by id or name on the server, capped, with the total count; staff only their own', async () => {
    type HomesBody = { homes: Array<{ id: string }>; total: number };
    const all = await tech.ok<HomesBody>('GET', '/api/homes?limit=1');
    expect(all.homes).toHaveLength(1);
    expect(all.total).toBeGreaterThanOrEqual(2);
    const byName = await tech.ok<HomesBody>('GET', '/api/homes?q=borger%20b');
    expect(byName.homes.map((h) => h.id)).toEqual(['home-b']);
    expect(byName.total).toBe(1);
    const byId = await tech.ok<HomesBody>('GET', '/api/homes?q=HOME-A');
    expect(byId.homes.map((h) => h.id)).toEqual(['home-a']);
    // staff of team A search only inside their own homes
    expect((await staffA.ok<HomesBody>('GET', '/api/homes?q=borger')).homes.map((h) => h.id)).toEqual([
      'home-a',
    ]);
    expect((await tech.request('GET', '/api/homes?limit=0')).status).toBe(400);
  });

  it('provisions a device whose secret is shown once and works against the real broker', async () => {
    const res = await tech.ok<{ device: Record<string, unknown>; secret: string }>(
      'POST',
      '/api/homes/home-a/devices',
      { id: 'env-a', kinds: ['temperature', 'smoke', 'battery', 'fall'], reportIntervalS: 60 },
    );
    expect(res.secret).toMatch(/.{16,}/);
    expect(res.device).toMatchObject({ id: 'env-a', reportIntervalS: 60, test: false });
    expect(res.device).not.toHaveProperty('secretHash');
    // never again: neither the device list nor the home shows it
    const list = await tech.request('GET', '/api/homes/home-a/devices');
    const home = await tech.request('GET', '/api/homes/home-a');
    expect(JSON.stringify(list.body)).not.toContain(res.secret);
    expect(JSON.stringify(home.body)).not.toContain(res.secret);

    const device = await connect('env-a', res.secret);
    await publish(device, 'home-a', 'env-a', 'temperature', 21);
    await eventually(() => platform.broker.lastSeen('env-a') !== undefined, {
      what: 'the broker to hear it',
    });
    await expect(
      mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'env-a',
        username: 'env-a',
        password: 'not-the-secret',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
  });

  it('rotating a secret: the old one is refused, the new one works', async () => {
    const first = await tech.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
      id: 'door-a',
      kinds: ['battery'],
    });
    const { secret } = await tech.ok<{ secret: string }>('POST', '/api/homes/home-a/devices/door-a/secret');
    expect(secret).not.toBe(first.secret);
    await expect(
      mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'door-a',
        username: 'door-a',
        password: first.secret,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    const client = await connect('door-a', secret);
    expect(client.connected).toBe(true);
    const staff = await staffA.request('POST', '/api/homes/home-a/devices/door-a/secret');
    expect(staff.status).toBe(403);
  });

  it('a device is online while it reports, offline after 2.5 report intervals, never_seen before', async () => {
    await tech.ok('POST', '/api/homes/home-a/devices', {
      id: 'leak-a',
      kinds: ['water_leak', 'battery'],
      reportIntervalS: 20,
    });
    expect((await statusOf(tech, 'home-a', 'leak-a'))?.status).toBe('never_seen');
    const { secret } = await tech.ok<{ secret: string }>('POST', '/api/homes/home-a/devices/leak-a/secret');
    const client = await connect('leak-a', secret);
    await publish(client, 'home-a', 'leak-a', 'battery', 87);
    const online = await eventually(
      async () => {
        const s = await statusOf(staffA, 'home-a', 'leak-a');
        return s?.status === 'online' && s.battery !== null && s;
      },
      { what: 'online with a battery level' },
    );
    expect(online).toMatchObject({ status: 'online', reportIntervalS: 20, battery: { value: 87 } });

    clock.advance(20 * 2.5 * 1000 - 1000);
    expect((await statusOf(staffA, 'home-a', 'leak-a'))?.status).toBe('online');
    clock.advance(2000);
    expect((await statusOf(staffA, 'home-a', 'leak-a'))?.status).toBe('offline');
    // a longer interval, set by the technician, makes it online again without a message
    await tech.ok('PATCH', '/api/devices/leak-a', { reportIntervalS: 600 });
    expect((await statusOf(tech, 'home-a', 'leak-a'))?.status).toBe('online');
    // staff of another team: the home does not exist for them
    expect((await staffB.request('GET', '/api/homes/home-a/devices')).status).toBe(404);
  });

  it('readings: a chart for a category with history consent, 403 no_history_consent without, 404 for another team', async () => {
    const client = devices[0]!;
    // one point per series and instant in InfluxDB: each reading at its own time
    for (const v of [19.5, 22, 20.25]) {
      clock.advance(1000);
      await publish(client, 'home-a', 'env-a', 'temperature', v);
    }
    await publish(client, 'home-a', 'env-a', 'fall', 0);
    type Body = {
      category: string;
      series: Array<{
        deviceId: string;
        summary: { count: number; min: number; max: number; last: { value: number } };
        points: Array<{ ts: number; value: number }>;
      }>;
    };
    const body = await eventually(
      async () => {
        const b = await staffA.ok<Body>('GET', '/api/homes/home-a/readings?kind=temperature&range=24h');
        return b.series[0]?.summary.count === 4 && b;
      },
      { what: 'four temperature readings in InfluxDB' },
    );
    expect(body.category).toBe('environment');
    expect(body.series[0]).toMatchObject({
      deviceId: 'env-a',
      summary: { count: 4, min: 19.5, max: 22, last: { value: 20.25 } },
    });
    expect(body.series[0]!.points.map((p) => p.value)).toEqual([21, 19.5, 22, 20.25]);
    expect((await staffA.request('GET', '/api/homes/home-a/readings?kind=temperature&range=7d')).status).toBe(
      200,
    );

    const refused = await staffA.request('GET', '/api/homes/home-a/readings?kind=fall&range=24h');
    expect(refused).toMatchObject({
      status: 403,
      body: { error: 'no_history_consent', detail: { category: 'emergency' } },
    });
    // the fall reading was evaluated (alerts consent) but never stored (no history consent)
    const stored = await platform.readings.query({
      homeId: 'home-a',
      kinds: ['fall'],
      from: clock.now() - 60_000,
      to: clock.now() + 60_000,
    });
    expect(stored).toEqual([]);

    expect(
      (await staffB.request('GET', '/api/homes/home-a/readings?kind=temperature&range=24h')).status,
    ).toBe(404);
    expect((await staffB.request('GET', '/api/homes/nope/readings?kind=temperature')).status).toBe(404);
    expect((await staffA.request('GET', '/api/homes/home-a/readings?kind=weather')).status).toBe(400);

    const audit = await platform.store.audit.listByHome('home-a');
    expect(
      audit.some(
        (e) =>
          e.action === 'readings.read' &&
          e.actorId === staffA.user?.id &&
          e.purpose === 'care' &&
          e.detail === 'temperature/24h',
      ),
    ).toBe(true);
  });

  it('a test reading is stored and raises a test alert that staff never see; the technician clears it', async () => {
    const sent = await tech.ok<{ stored: boolean; reading: { ts: number } }>(
      'POST',
      '/api/devices/env-a/test-reading',
      { kind: 'smoke', value: 1 },
    );
    expect(sent.stored).toBe(true);
    const points = await eventually(
      async () => {
        const found = await platform.readings.query({
          homeId: 'home-a',
          kinds: ['smoke'],
          from: sent.reading.ts - 1000,
          to: sent.reading.ts + 1000,
        });
        return found.length > 0 && found;
      },
      { what: 'the test reading in InfluxDB' },
    );
    expect(points[0]).toMatchObject({ deviceId: 'env-a', kind: 'smoke', value: 1, test: true });

    const alert = await eventually(
      async () =>
        (await tech.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
          (a) => a.homeId === 'home-a' && a.rule === 'smoke',
        ),
      { what: 'the technician to see the test alert' },
    );
    expect(alert.test).toBe(true);
    const staffSees = await staffA.ok<AlertsBody>('GET', '/api/alerts');
    expect(staffSees.alerts.find((a) => a.id === alert.id)).toBeUndefined();
    expect((await staffA.request('GET', `/api/alerts/${alert.id}`)).status).toBe(404);

    await tech.ok('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'no_action_needed', note: 'test' });
    const after = await tech.ok<AlertsBody>('GET', '/api/alerts');
    expect(after.alerts.find((a) => a.id === alert.id)).toBeUndefined();
  });

  it('a test reading goes through validation: undeclared kinds and kinds without consent are refused', async () => {
    const undeclared = await tech.request('POST', '/api/devices/env-a/test-reading', {
      kind: 'door',
      value: 1,
    });
    expect(undeclared.status).toBe(400);
    await tech.ok('POST', '/api/homes/home-a/devices', { id: 'bed-a', kinds: ['bed'] });
    const noConsent = await tech.request('POST', '/api/devices/bed-a/test-reading', {
      kind: 'bed',
      value: 1,
    });
    expect(noConsent).toMatchObject({
      status: 409,
      body: { error: 'conflict', issues: [{ path: 'kind', message: 'no_consent' }] },
    });
    const staff = await staffA.request('POST', '/api/devices/env-a/test-reading', {
      kind: 'smoke',
      value: 1,
    });
    expect(staff.status).toBe(403);
    const unknown = await tech.request('POST', '/api/devices/nope/test-reading', { kind: 'smoke', value: 1 });
    expect(unknown.status).toBe(404);
  });

  it('a test reading says what it did: the alert it raised, or why it raised nothing', async () => {
    type Outcome = {
      outcome: { reason: string; alert: { id: string; test: boolean } | null; message: string };
    };
    // a heartbeat raises nothing on its own: only its absence does, over time
    await tech.ok('POST', '/api/homes/home-a/devices', { id: 'hb-a', kinds: ['heartbeat'] });
    const alive = await tech.ok<Outcome>('POST', '/api/devices/hb-a/test-reading', {
      kind: 'heartbeat',
      value: 1,
    });
    expect(alive.outcome).toMatchObject({ reason: 'needs_time', alert: null });
    const clear = await tech.ok<Outcome>('POST', '/api/devices/env-a/test-reading', {
      kind: 'smoke',
      value: 0,
    });
    expect(clear.outcome).toMatchObject({ reason: 'value_normal', alert: null });
    const fall = await tech.ok<Outcome>('POST', '/api/devices/env-a/test-reading', {
      kind: 'fall',
      value: 1,
    });
    expect(fall.outcome).toMatchObject({ reason: 'raised', alert: { test: true } });
    const listed = (await tech.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
      (a) => a.id === fall.outcome.alert?.id,
    );
    expect(listed).toMatchObject({ rule: 'fall', test: true });
    await tech.ok('POST', `/api/alerts/${fall.outcome.alert?.id}/resolve`, {
      outcome: 'no_action_needed',
      note: 'test',
    });
  });

  it('a test reading outside its kind’s range is refused with the range: battery 250 % and -3 %', async () => {
    for (const value of [250, -3]) {
      const res = await tech.request('POST', '/api/devices/env-a/test-reading', { kind: 'battery', value });
      expect(res).toMatchObject({
        status: 400,
        body: { error: 'bad_request', issues: [{ path: 'value', message: 'out_of_range' }] },
      });
      expect((res.body as { message: string }).message).toContain('0–100');
    }
    const hot = await tech.request('POST', '/api/devices/env-a/test-reading', { kind: 'smoke', value: 2 });
    expect(hot.status).toBe(400);
    const fine = await tech.request('POST', '/api/devices/env-a/test-reading', {
      kind: 'battery',
      value: 100,
    });
    expect(fine.status).toBe(200);
  });

  it('a real alert is never swallowed by an open test alert of the same kind', async () => {
    await tech.ok('POST', '/api/devices/env-a/test-reading', { kind: 'fall', value: 1 });
    const testAlert = await eventually(
      async () =>
        (await tech.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
          (a) => a.homeId === 'home-a' && a.rule === 'fall' && a.test,
        ),
      { what: 'the test fall alert' },
    );
    await publish(devices[0]!, 'home-a', 'env-a', 'fall', 1);
    const real = await eventually(
      async () =>
        (await staffA.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
          (a) => a.homeId === 'home-a' && a.rule === 'fall',
        ),
      { what: 'staff to see the real fall alert' },
    );
    expect(real.test).toBe(false);
    expect(real.id).not.toBe(testAlert.id);
    expect((await platform.alerts.get(testAlert.id))?.state).toBe('resolved');
    await staffA.ok('POST', `/api/alerts/${real.id}/resolve`, { outcome: 'false_alarm', note: '' });
  });

  it("test mode of a citizen's home: time-limited, audited, shown to its staff; a real fall still reaches them", async () => {
    const clientOf = (id: string) => devices.find((d) => d.options.clientId === id)!;
    const board = new LiveClient(platform.dashboardUrl, staffA.sessionCookie);
    const otherBoard = new LiveClient(platform.dashboardUrl, staffB.sessionCookie);
    await Promise.all([board.opened, otherBoard.opened]);
    try {
      // bounded: at most four hours, and only technicians and administrators start it
      for (const minutes of [0, 241, 1.5])
        expect((await tech.request('PATCH', '/api/homes/home-a', { test: true, minutes })).status).toBe(400);
      expect((await staffA.request('PATCH', '/api/homes/home-a', { test: true })).status).toBe(403);

      const startedAt = clock.now();
      const { home } = await tech.ok<{ home: { test: boolean; testUntil: number | null } }>(
        'PATCH',
        '/api/homes/home-a',
        { test: true, minutes: 5 },
      );
      const until = startedAt + 5 * 60_000;
      // a citizen's home in test mode is still a citizen's home
      expect(home).toMatchObject({ test: false, testUntil: until });

      // recorded in the audit log: who, when, until when
      const audit = await platform.store.audit.listByHome('home-a');
      expect(audit).toContainEqual(
        expect.objectContaining({
          action: 'test_mode',
          actorId: tech.user?.id,
          actorRole: 'technician',
          at: startedAt,
          detail: `home until ${new Date(until).toISOString()}`,
        }),
      );
      // the home's care staff are told, on the home view and live on the board; no one else's staff
      expect(
        (await staffA.ok<{ home: { testUntil: number } }>('GET', '/api/homes/home-a')).home.testUntil,
      ).toBe(until);
      await eventually(
        () =>
          board.messages.some((m) => m.type === 'test_mode' && m.homeId === 'home-a' && m.until === until),
        { what: 'the board to be told of the test mode' },
      );
      expect(otherBoard.messages.some((m) => m.type === 'test_mode')).toBe(false);

      // a fall over MQTT during test mode: a real alert on the care staff's board, marked as raised during it
      await publish(clientOf('env-a'), 'home-a', 'env-a', 'fall', 1);
      const fall = await eventually(
        async () =>
          (
            await staffA.ok<{
              alerts: Array<AlertsBody['alerts'][number] & { evidence: { testMode?: unknown } }>;
            }>('GET', '/api/alerts')
          ).alerts.find((a) => a.homeId === 'home-a' && a.rule === 'fall' && a.state === 'open'),
        { what: 'care staff to see the fall raised during test mode' },
      );
      expect(fall.test).toBe(false);
      expect(fall.evidence.testMode).toEqual({ until });
      await eventually(() => board.alerts().some((m) => (m.alert as { id: string }).id === fall.id), {
        what: 'the fall on the live board',
      });
      // the technician does not see it (a care alert), let alone handle it; the device was heard
      expect((await tech.ok<AlertsBody>('GET', '/api/alerts')).alerts.some((a) => a.id === fall.id)).toBe(
        false,
      );
      expect((await tech.request('GET', `/api/alerts/${fall.id}`)).status).toBe(404);
      expect((await statusOf(tech, 'home-a', 'env-a'))?.status).toBe('online');

      // what is not critical is the test's: a water leak is a test alert, for the technician only
      await publish(clientOf('leak-a'), 'home-a', 'leak-a', 'water_leak', 1);
      const leak = await eventually(
        async () =>
          (await tech.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
            (a) => a.homeId === 'home-a' && a.rule === 'water_leak',
          ),
        { what: 'the test water leak alert' },
      );
      expect(leak.test).toBe(true);
      expect((await staffA.ok<AlertsBody>('GET', '/api/alerts')).alerts.some((a) => a.id === leak.id)).toBe(
        false,
      );

      // it ends by itself: five minutes on, the home is no longer in test mode, and the leak the
      // technician left open goes to care staff as a real alert, marked as raised during the test
      clock.advance(5 * 60_000 + 1);
      expect(
        (await staffA.ok<{ home: { testUntil: number | null } }>('GET', '/api/homes/home-a')).home.testUntil,
      ).toBe(null);
      const realLeak = await eventually(
        async () =>
          (
            await staffA.ok<{
              alerts: Array<AlertsBody['alerts'][number] & { evidence: { testMode?: unknown } }>;
            }>('GET', '/api/alerts')
          ).alerts.find((a) => a.homeId === 'home-a' && a.rule === 'water_leak'),
        { what: 'staff to be handed the water leak when test mode ended' },
      );
      expect(realLeak.test).toBe(false);
      expect(realLeak.evidence.testMode).toEqual({ until });
      expect((await platform.alerts.get(leak.id))?.state).toBe('resolved');
      for (const id of [fall.id, realLeak.id])
        await staffA.ok('POST', `/api/alerts/${id}/resolve`, { outcome: 'false_alarm', note: '' });

      // the home's care staff may end it too (staff of another team may not even see the home)
      await tech.ok('PATCH', '/api/homes/home-a', { test: true });
      expect((await staffB.request('DELETE', '/api/homes/home-a/test-mode')).status).toBe(404);
      expect((await citizenA.request('DELETE', '/api/homes/home-a/test-mode')).status).toBe(403);
      expect((await staffA.request('DELETE', '/api/homes/home-a/test-mode')).status).toBe(204);
      expect(
        (await staffA.ok<{ home: { testUntil: number | null } }>('GET', '/api/homes/home-a')).home.testUntil,
      ).toBe(null);
      expect(
        (await platform.store.audit.listByHome('home-a')).some(
          (e) =>
            e.action === 'test_mode' &&
            e.actorId === staffA.user?.id &&
            e.detail === 'home and devices ended',
        ),
      ).toBe(true);

      // ended by hand, it is over at once, and recorded too
      await tech.ok('PATCH', '/api/homes/home-a', { test: true });
      await tech.ok('PATCH', '/api/homes/home-a', { test: false });
      expect(
        (await staffA.ok<{ home: { testUntil: number | null } }>('GET', '/api/homes/home-a')).home.testUntil,
      ).toBe(null);
      await eventually(
        () => board.messages.some((m) => m.type === 'test_mode' && m.homeId === 'home-a' && m.until === null),
        { what: 'the board to be told it ended' },
      );
      expect((await platform.store.audit.listByHome('home-a')).some((e) => e.detail === 'home ended')).toBe(
        true,
      );
    } finally {
      await Promise.all([board.close(), otherBoard.close()]);
    }
  });

  it("test mode of one device: a smoke alarm from it still reaches staff; a citizen's device is never a test device for good", async () => {
    const res = await tech.ok<{ device: { test: boolean; testUntil: number | null } }>(
      'PATCH',
      '/api/devices/env-a',
      { test: true, minutes: 10 },
    );
    expect(res.device).toMatchObject({ test: false, testUntil: clock.now() + 10 * 60_000 });
    const listed = await statusOf(staffA, 'home-a', 'env-a');
    expect(listed?.testUntil).toBe(res.device.testUntil);
    await publish(devices.find((d) => d.options.clientId === 'env-a')!, 'home-a', 'env-a', 'smoke', 1);
    const alert = await eventually(
      async () =>
        (await staffA.ok<AlertsBody>('GET', '/api/alerts')).alerts.find(
          (a) => a.homeId === 'home-a' && a.rule === 'smoke' && a.state === 'open',
        ),
      { what: 'staff to see the smoke alarm of the device in test mode' },
    );
    expect(alert.test).toBe(false);
    await staffA.ok('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'false_alarm', note: '' });
    await tech.ok('PATCH', '/api/devices/env-a', { test: false });
    expect((await statusOf(staffA, 'home-a', 'env-a'))?.testUntil).toBe(null);

    expect((await tech.request('PATCH', '/api/devices/env-a', {})).status).toBe(400);
    expect((await tech.request('PATCH', '/api/devices/env-a', { test: false, minutes: 5 })).status).toBe(400);
    // nor is a home made a test home from birth by a technician: that would switch its care off
    expect(
      (
        await tech.request('POST', '/api/homes', {
          id: 'home-t',
          label: 'Ny borger',
          teamId: 'team-a',
          test: true,
        })
      ).status,
    ).toBe(403);
    const provisioned = await tech.request('POST', '/api/homes/home-a/devices', {
      id: 'spare-a',
      kinds: ['alarm_button'],
      test: true,
    });
    expect(provisioned.status).toBe(400);
  });

  it("a technician sees technical data and their tests, never the citizen's care readings, consent or routine", async () => {
    type Body = { series: Array<{ points: Array<{ value: number; test?: true }> }> };
    // staff see the temperature history; the technician only the test readings among it (none here)
    const staffSees = await staffA.ok<Body>('GET', '/api/homes/home-a/readings?kind=temperature&range=24h');
    expect(staffSees.series[0]!.points.length).toBeGreaterThan(0);
    expect(
      (await tech.ok<Body>('GET', '/api/homes/home-a/readings?kind=temperature&range=24h')).series,
    ).toEqual([]);
    // the smoke test reading sent earlier is the technician's own: it is there, marked
    const smoke = await tech.ok<Body>('GET', '/api/homes/home-a/readings?kind=smoke&range=24h');
    const points = smoke.series.flatMap((s) => s.points);
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((p) => p.test === true)).toBe(true);
    // technical data in full
    const battery = await tech.ok<Body>('GET', '/api/homes/home-a/readings?kind=battery&range=24h');
    expect(battery.series.flatMap((s) => s.points).some((p) => p.value === 87)).toBe(true);
    // the citizen's consent and routine are not a technician's business
    expect((await tech.request('GET', '/api/homes/home-a/consent')).status).toBe(403);
    expect((await tech.request('GET', '/api/homes/home-a/rule-settings')).status).toBe(403);
    expect(
      (await tech.request('PUT', '/api/homes/home-a/rule-settings', { inactivity: { minutes: 1440 } }))
        .status,
    ).toBe(403);
  });
});
