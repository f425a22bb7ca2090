import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import {
  type AlertCandidate,
  informationText,
  type ReadingCategory,
  type SensorKind,
  topics,
} from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { startReceiver } from './harness/receiver.ts';
import { storeLocation, type TestEngine } from './harness/store.ts';

const MIN = 60_000;
/** 00:00 in Copenhagen (UTC+1 in January): inside the default night window 23:00-06:00 */
const NIGHT = Date.UTC(2026, 0, 5, 23, 0);
/** 09:00 in Copenhagen: inside the default daytime window 07:00-22:00 */
const DAY = Date.UTC(2026, 0, 6, 8, 0);

/**
 * Issue 9 point 2: the platform is stopped and started again (on the same store) in the middle of
 * each timed rule and of an escalation, and the outcome is what it would have been without the
 * restart: the same alert, raised once, at the time it was due.
 */
describe('rule state and escalation survive a restart', () => {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const dirs: Array<{ remove(): void }> = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  /** one store, one InfluxDB database, one manual clock; `start()` (re)starts the platform on them */
  const setup = async (t0: number, env: Record<string, string> = {}, engine: TestEngine = 'sqlite') => {
    const dir = tempDir();
    dirs.push(dir);
    const database = uniqueDatabase('restart');
    const clock = new ManualClock(t0);
    const { location, drop } = await storeLocation(engine, dir.path, 'restart');
    opened.push({ close: drop });
    const dbEnv: Record<string, string> =
      'databaseUrl' in location && location.databaseUrl ? { DATABASE_URL: location.databaseUrl } : {};
    let current: Platform | null = null;
    let seq = 0;
    return {
      clock,
      get platform() {
        if (!current) throw new Error('not started');
        return current;
      },
      async start() {
        current = await startTestPlatform({
          dataDir: dir.path,
          database,
          env: { RULES_TICK_MS: '1000', ...env, ...dbEnv },
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
      /** a reading from the device through ingest (the broker's path), received now */
      async send(deviceId: string, kind: SensorKind, value: number, homeId = 'home-a') {
        const payload = Buffer.from(JSON.stringify({ kind, value, ts: clock.now(), seq: ++seq }));
        await current!.ingest.handleReadings(homeId, deviceId, payload);
      },
      /**
       * time passes: a few seconds tick by tick (every rules tick runs); longer, as one jump (each
       * timer fires once at the end: the rules judge a deadline as of the deadline, not the tick)
       */
      async pass(ms: number) {
        if (ms <= 5000) await clock.advanceAsync(ms);
        else await clock.setAsync(clock.now() + ms);
      },
      async alerts(rule: string) {
        return (await current!.alerts.list({ limit: 100 })).filter((a) => a.rule === rule);
      },
    };
  };

  const home = async (
    platform: Platform,
    devices: Array<{ id: string; kinds: SensorKind[] }>,
    categories: Array<Exclude<ReadingCategory, 'technical'>>,
  ) => {
    await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
    await platform.registry.createHome({ id: 'home-a', label: 'Home A', teamId: 'team-a' });
    for (const d of devices)
      await platform.registry.provisionDevice({ id: d.id, homeId: 'home-a', kinds: d.kinds });
    for (const category of categories) {
      for (const purpose of ['alerts', 'history'] as const) {
        await platform.consent.change(
          'home-a',
          {
            category,
            purpose,
            action: 'grant',
            channel: 'web',
            textVersion: informationText(category, purpose).version,
          },
          { id: 'citizen', role: 'citizen', homeId: 'home-a' },
        );
      }
    }
  };

  it('door_night: a door opened at night before the restart raises once, at its original deadline', async () => {
    const f = await setup(NIGHT);
    await home(await f.start(), [{ id: 'door-a', kinds: ['door'] }], ['door']);
    await f.send('door-a', 'door', 1);
    await f.pass(4 * MIN);
    // written by the rules' tick, not only at a clean stop (a kill -9 loses at most one tick)
    await eventually(async () => {
      const rows = [];
      for await (const page of f.platform.store.ruleState.all()) rows.push(...page);
      return rows.some((r) => r.rule === 'door_night' && r.key === 'door-a');
    });
    await f.stop();

    await f.start();
    await f.pass(6 * MIN - 2000);
    expect(await f.alerts('door_night')).toEqual([]);
    await f.pass(3000);
    const raised = await f.alerts('door_night');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.openedAt).toBe(NIGHT + 10 * MIN);
    // the door still reports open: the same episode, no second alert
    await f.send('door-a', 'door', 1);
    await f.pass(15 * MIN);
    expect(await f.alerts('door_night')).toHaveLength(1);
    expect((await f.alerts('door_night'))[0]!.repeats).toBe(0);
  });

  it('temperature_low: a cold spell under way goes on from when it began, not from the restart', async () => {
    const f = await setup(DAY);
    await home(await f.start(), [{ id: 'temp-a', kinds: ['temperature'] }], ['environment']);
    await f.send('temp-a', 'temperature', 14);
    await f.pass(20 * MIN);
    await f.stop();

    await f.start();
    await f.send('temp-a', 'temperature', 14.5); // still cold, still the same spell
    await f.pass(10 * MIN - 1000);
    expect(await f.alerts('temperature_low')).toEqual([]);
    await f.pass(2000);
    const raised = await f.alerts('temperature_low');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.openedAt).toBe(DAY + 30 * MIN);
  });

  it('low_battery: a battery already reported low is not reported again after the restart', async () => {
    const f = await setup(DAY);
    await home(await f.start(), [{ id: 'motion-a', kinds: ['motion', 'battery'] }], ['activity']);
    await f.send('motion-a', 'battery', 12);
    await f.pass(2000);
    expect(await f.alerts('low_battery')).toHaveLength(1);
    await f.stop();

    await f.start();
    await f.send('motion-a', 'battery', 12);
    await f.pass(2000);
    const raised = await f.alerts('low_battery');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.repeats).toBe(0);
  });

  it('inactivity: the clock started by the last motion before the restart raises at its original deadline', async () => {
    const f = await setup(DAY);
    await home(await f.start(), [{ id: 'motion-a', kinds: ['motion'] }], ['activity']);
    await f.send('motion-a', 'motion', 1);
    await f.pass(60 * MIN);
    await f.stop();

    await f.start();
    await f.pass(60 * MIN - 2000);
    expect(await f.alerts('inactivity')).toEqual([]);
    await f.pass(3000);
    const raised = await f.alerts('inactivity');
    expect(raised).toHaveLength(1);
    // raised by the first tick at or after the deadline (ticks are a second apart)
    expect(raised[0]!.openedAt).toBeGreaterThanOrEqual(DAY + 120 * MIN);
    expect(raised[0]!.openedAt).toBeLessThanOrEqual(DAY + 120 * MIN + 1000);
  });

  it('out_of_bed: getting up at night before the restart raises at the original deadline', async () => {
    const f = await setup(NIGHT);
    await home(await f.start(), [{ id: 'bed-a', kinds: ['bed'] }], ['sleep']);
    await f.send('bed-a', 'bed', 0);
    await f.pass(20 * MIN);
    await f.stop();

    await f.start();
    await f.pass(10 * MIN + 1000);
    const raised = await f.alerts('out_of_bed');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.openedAt).toBe(NIGHT + 30 * MIN);
  });

  it('co: a high level raised before the restart is not raised again within its re-fire time', async () => {
    const f = await setup(DAY);
    await home(await f.start(), [{ id: 'co-a', kinds: ['co'] }], ['environment']);
    await f.send('co-a', 'co', 80);
    await f.pass(2000);
    const [alert] = await f.alerts('co');
    expect(alert).toBeDefined();
    await f.stop();

    await f.start();
    await f.send('co-a', 'co', 85);
    await f.pass(2000);
    expect((await f.alerts('co'))[0]!.repeats).toBe(0);
  });

  it('device_offline: a device silent before the restart is found offline at its original deadline', async () => {
    const f = await setup(DAY);
    const p = await f.start();
    await home(p, [{ id: 'temp-a', kinds: ['temperature'] }], ['environment']);
    // the default report interval: offline after 2.5 × it
    const limit = p.registry.device('temp-a')!.reportIntervalS * 2.5 * 1000;
    await f.send('temp-a', 'temperature', 21);
    await f.pass(limit / 2);
    await f.stop();

    await f.start();
    await f.pass(limit / 2 - 2000);
    expect(await f.alerts('device_offline')).toEqual([]);
    await f.pass(3000);
    const raised = await f.alerts('device_offline');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.openedAt).toBe(DAY + limit);
  });

  it('resend filter: a reading taken before the restart and sent again after it is a duplicate, not counted twice', async () => {
    const f = await setup(DAY);
    const p = await f.start();
    await home(p, [{ id: 'button-a', kinds: ['alarm_button'] }], ['emergency']);
    const topic = topics.readings('home-a', 'button-a');
    const pressed = Buffer.from(JSON.stringify({ kind: 'alarm_button', value: 1, ts: DAY, seq: 7 }));
    expect(p.ingest.handleMessage(topic, pressed)).toMatchObject({ accepted: 1, rejected: [] });
    // the window is written within a second, not only at a clean stop
    await f.pass(1000);
    await eventually(async () =>
      (await p.store.resendWindows.heardSince(0)).some((w) => w.deviceId === 'button-a'),
    );
    const [alert] = await f.alerts('alarm_button');
    expect(alert).toBeDefined();
    await f.stop();

    const again = await f.start();
    // the same reading again (its PUBACK was lost in the restart): known, not a second press
    expect(again.ingest.handleMessage(topic, pressed)).toMatchObject({
      accepted: 0,
      rejected: ['duplicate'],
    });
    await f.pass(2000);
    expect((await f.alerts('alarm_button'))[0]!.repeats).toBe(0);
    // a new press is still a press
    const next = Buffer.from(JSON.stringify({ kind: 'alarm_button', value: 1, ts: DAY + 5000, seq: 8 }));
    expect(again.ingest.handleMessage(topic, next)).toMatchObject({ accepted: 1 });
  });

  for (const engine of ['sqlite', 'postgres'] as const) {
    it(`escalation (${engine}): a deadline that passed while the platform was down escalates at once on start, once`, async () => {
      const team = await startReceiver();
      opened.push(team);
      const fallback = await startReceiver();
      opened.push(fallback);
      const f = await setup(
        DAY,
        {
          FALLBACK_WEBHOOK_URL: fallback.url,
          TEAM_WEBHOOKS: JSON.stringify({ 'team-a': team.url }),
          ESCALATE_HIGH_S: '180',
        },
        engine,
      );
      const first = await f.start();
      await home(first, [{ id: 'motion-a', kinds: ['motion'] }], ['activity']);
      const candidate: AlertCandidate = {
        homeId: 'home-a',
        rule: 'inactivity',
        category: 'activity',
        severity: 'high',
        audience: 'care',
        at: DAY,
        evidence: { readings: [], summary: 'No motion' },
      };
      const alert = (await first.alerts.raise(candidate))!;
      await f.pass(60_000);
      await f.stop();

      // down over the deadline (180 s after the opening)
      f.clock.set(DAY + 250_000);
      const second = await f.start();
      // no tick, no clock moving: starting is enough
      await second.escalation.idle();
      expect((await second.alerts.get(alert.id))?.escalationLevel).toBe(1);
      expect(team.received.map((r) => [r.body.alertId, r.body.level])).toEqual([[alert.id, 1]]);
      // and only once, however many ticks follow; the next level counts from this escalation
      await f.pass(170_000);
      await second.escalation.idle();
      expect(team.received).toHaveLength(1);
      expect(fallback.received).toHaveLength(0);
      await f.pass(11_000);
      await second.escalation.idle();
      expect(fallback.received.map((r) => [r.body.alertId, r.body.level])).toEqual([[alert.id, 2]]);
      expect(team.received).toHaveLength(1);
    });
  }
});
