import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, type ReadingCategory, type SensorKind } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { ENGINES, storeLocation, type TestEngine } from './harness/store.ts';

const MIN = 60_000;
/** 00:00 in Copenhagen (UTC+1 in January): inside the default night window 23:00-06:00 */
const NIGHT = Date.UTC(2026, 0, 5, 23, 0);
const PASSWORD = 'citizen-password-1';

/** home A has a condition under way in every rule whose state is kept; home B a door open at night */
const DEVICES_A: Array<{ id: string; kinds: SensorKind[] }> = [
  { id: 'door-a', kinds: ['door'] },
  { id: 'bed-a', kinds: ['bed'] },
  { id: 'temp-a', kinds: ['temperature'] },
  { id: 'co-a', kinds: ['co', 'battery'] },
  { id: 'motion-a', kinds: ['motion'] },
];
const CATEGORIES: Array<Exclude<ReadingCategory, 'technical'>> = ['door', 'sleep', 'environment', 'activity'];

/**
 * An erasure request erases what the rules keep of the home's readings too: the `rule_state` rows
 * (on SQLite and on PostgreSQL) and the rules' memory, so a door opened at night before the erasure
 * raises nothing, neither later in the same process nor after a restart. Another home's state stays.
 */
describe.each(ENGINES)('erasing a home forgets its rule state (%s)', (engine: TestEngine) => {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const dirs: Array<{ remove(): void }> = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  const setup = async () => {
    const dir = tempDir();
    dirs.push(dir);
    const database = uniqueDatabase('erasure_rules');
    const clock = new ManualClock(NIGHT);
    const { location, drop } = await storeLocation(engine, dir.path, 'erasure_rules');
    opened.push({ close: drop });
    const dbEnv: Record<string, string> =
      'databaseUrl' in location && location.databaseUrl ? { DATABASE_URL: location.databaseUrl } : {};
    let current: Platform | null = null;
    let seq = 0;
    const f = {
      clock,
      get platform() {
        if (!current) throw new Error('not started');
        return current;
      },
      async start() {
        current = await startTestPlatform({
          dataDir: dir.path,
          database,
          env: { RULES_TICK_MS: '1000', ...dbEnv },
          clock,
        });
        const p = current;
        opened.push({ close: () => p.close() });
        return p;
      },
      async stop() {
        await current?.close();
        current = null;
      },
      async send(deviceId: string, kind: SensorKind, value: number) {
        const device = current!.registry.device(deviceId)!;
        const payload = Buffer.from(JSON.stringify({ kind, value, ts: clock.now(), seq: ++seq }));
        await current!.ingest.handleReadings(device.homeId, deviceId, payload);
      },
      async pass(ms: number) {
        if (ms <= 5000) await clock.advanceAsync(ms);
        else await clock.setAsync(clock.now() + ms);
      },
      async rows(homeId: string) {
        const rows: Array<{ rule: string; key: string }> = [];
        for await (const page of current!.store.ruleState.all())
          for (const r of page) if (r.homeId === homeId) rows.push({ rule: r.rule, key: r.key });
        return rows;
      },
      async alerts(homeId: string, rule: string) {
        return (await current!.alerts.list({ limit: 100 })).filter(
          (a) => a.homeId === homeId && a.rule === rule,
        );
      },
      /** two homes, every consent, and a citizen of home A logged in */
      async homes(p: Platform) {
        await p.store.teams.create({ id: 'team-a', name: 'Team A' });
        for (const id of ['home-a', 'home-b'])
          await p.registry.createHome({ id, label: id, teamId: 'team-a' });
        for (const d of DEVICES_A) await p.registry.provisionDevice({ ...d, homeId: 'home-a' });
        await p.registry.provisionDevice({ id: 'door-b', homeId: 'home-b', kinds: ['door'] });
        for (const homeId of ['home-a', 'home-b'])
          for (const category of CATEGORIES)
            for (const purpose of ['alerts', 'history'] as const)
              await p.consent.change(
                homeId,
                {
                  category,
                  purpose,
                  action: 'grant',
                  channel: 'web',
                  textVersion: informationText(category, purpose).version,
                },
                { id: 'citizen', role: 'citizen', homeId },
              );
        const admin = await ApiClient.login(p.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
        await admin.ok('POST', '/api/users', {
          username: 'citizen-a',
          displayName: 'Astrid',
          role: 'citizen',
          homeId: 'home-a',
          password: PASSWORD,
        });
        await admin.ok('POST', '/api/users', {
          username: 'tech',
          displayName: 'Tekniker Tim',
          role: 'technician',
          password: PASSWORD,
        });
        return {
          citizen: await ApiClient.login(p.dashboardUrl, 'citizen-a', PASSWORD),
          technician: await ApiClient.login(p.dashboardUrl, 'tech', PASSWORD),
        };
      },
      /** a condition under way in every kept rule of home A, and a door open at night in home B */
      async underWay() {
        await f.send('door-a', 'door', 1); // door_night
        await f.send('bed-a', 'bed', 0); // out_of_bed
        await f.send('temp-a', 'temperature', 14); // temperature: a cold spell
        await f.send('co-a', 'co', 80); // co: raised, re-fire held back
        await f.send('co-a', 'battery', 12); // low_battery: reported once
        await f.send('motion-a', 'motion', 1); // inactivity: the clock starts
        await f.send('door-b', 'door', 1);
        await f.pass(2000);
        const kept = f.platform.rules.keptRules();
        // every rule whose state is kept has a row for home A here: a new kept rule fails this until
        // the test gives it a condition under way, and so is checked for forgetting below
        await eventually(
          async () => new Set((await f.rows('home-a')).map((r) => r.rule)).size === kept.length,
          {
            what: 'a rule_state row of every kept rule for home A',
          },
        );
        expect(new Set((await f.rows('home-a')).map((r) => r.rule))).toEqual(new Set(kept));
        expect(new Set(f.platform.rules.stateOf('home-a').map((s) => s.rule))).toEqual(new Set(kept));
        expect(await f.rows('home-b')).toContainEqual({ rule: 'door_night', key: 'door-b' });
      },
    };
    return f;
  };

  it('the rows go at once, the timers do not fire, and CO and battery levels count again', async () => {
    const f = await setup();
    const { citizen, technician } = await f.homes(await f.start());
    await f.underWay();
    const lowBefore = await technician.ok<{ devices: Array<{ deviceId: string }> }>(
      'GET',
      '/api/devices/attention?problem=low_battery',
    );
    expect(lowBefore.devices.map((d) => d.deviceId)).toContain('co-a');
    await eventually(async () => (await f.alerts('home-a', 'low_battery')).length === 1, { what: 'alerts' });
    const [co] = await f.alerts('home-a', 'co');
    const [battery] = await f.alerts('home-a', 'low_battery');
    expect(co).toMatchObject({ repeats: 0 });
    expect(battery).toMatchObject({ repeats: 0 });

    const { request } = await citizen.ok<{ request: { result: string } }>(
      'POST',
      '/api/homes/home-a/erasure-requests',
      {},
    );
    expect(request.result).toBe('erased');
    // in memory, only the watches that go on are left, counting from the erasure, not from a reading
    const erasedAt = f.clock.now();
    expect(f.platform.rules.stateOf('home-a')).toEqual(
      expect.arrayContaining([
        { rule: 'inactivity', key: 'home-a', state: { since: erasedAt, armed: true } },
      ]),
    );
    for (const held of f.platform.rules.stateOf('home-a')) {
      if (held.rule === 'inactivity') continue;
      expect(held, JSON.stringify(held)).toMatchObject({
        rule: 'device_offline',
        state: { lastHeard: erasedAt, heard: false },
      });
    }
    // no row of home A is left, in the store the request answered from
    expect(await f.rows('home-a')).toEqual([]);
    expect(await f.rows('home-b')).toContainEqual({ rule: 'door_night', key: 'door-b' });
    // the device list forgot the last battery level it heard
    const lowAfter = await technician.ok<{ devices: Array<{ deviceId: string }> }>(
      'GET',
      '/api/devices/attention?problem=low_battery',
    );
    expect(lowAfter.devices.map((d) => d.deviceId)).not.toContain('co-a');

    // CO still high and the battery still low: judged afresh (one more on each open alert), not
    // held back by a level raised before the erasure
    await f.send('co-a', 'co', 85);
    await f.send('co-a', 'battery', 12);
    await f.pass(2000);
    await eventually(async () => (await f.alerts('home-a', 'co'))[0]?.repeats === 1, { what: 'a CO repeat' });
    await eventually(async () => (await f.alerts('home-a', 'low_battery'))[0]?.repeats === 1, {
      what: 'a low battery repeat',
    });
    expect(await f.alerts('home-a', 'co')).toMatchObject([{ id: co!.id }]);
    expect(await f.alerts('home-a', 'low_battery')).toMatchObject([{ id: battery!.id }]);

    // past every deadline: the door, the bed and the cold spell of home A raise nothing; home B's door does
    await f.pass(31 * MIN);
    await f.pass(2000);
    await eventually(async () => (await f.alerts('home-b', 'door_night')).length === 1, {
      what: "home B's door alert",
    });
    for (const rule of ['door_night', 'out_of_bed', 'temperature_low'])
      expect(await f.alerts('home-a', rule), rule).toEqual([]);
  });

  it('a restart after the erasure does not bring the state back', async () => {
    const f = await setup();
    const { citizen } = await f.homes(await f.start());
    await f.underWay();
    await citizen.ok('POST', '/api/homes/home-a/erasure-requests', {});
    // a clean stop writes what changed since the last tick: nothing of home A
    await f.stop();
    await f.start();
    // Watches that count from when this process began watching (a device heard or not, the
    // inactivity clock) start again at the restart; on PostgreSQL the shard's new owner writes them
    // at once. None of them carries anything from the erased readings.
    const fresh = new Set(['device_offline', 'inactivity']);
    expect((await f.rows('home-a')).filter((r) => !fresh.has(r.rule))).toEqual([]);
    await f.pass(31 * MIN);
    await f.pass(2000);
    // home B's door, kept across the restart, raises; nothing of home A does
    await eventually(async () => (await f.alerts('home-b', 'door_night')).length === 1, {
      what: "home B's door alert",
    });
    for (const rule of ['door_night', 'out_of_bed', 'temperature_low'])
      expect(await f.alerts('home-a', rule), rule).toEqual([]);
  });
});
