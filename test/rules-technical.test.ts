import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuleEngine } from '../services/rules/index.ts';
import { silentLogger, systemClock } from '../services/runtime/index.ts';
import { MIN, type RulesFixture, rulesFixture, SEC } from './harness/rules.ts';

// Monday 5 January 2026, 09:00 in Copenhagen
const T0 = Date.UTC(2026, 0, 5, 8, 0);
const technician = { id: 'tech', role: 'technician' };

describe('device_offline', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(T0);
    // no consent at all: technical rules need none
    await f.home('h', ['heartbeat', 'battery']);
    await f.registry.updateDevice('h-dev', { reportIntervalS: 60 });
  });
  afterEach(async () => {
    await f.close();
  });
  const offline = () => f.of('device_offline');
  /** ticks once a second until the first device_offline candidate; the clock when it came */
  const firstFiringTick = (until: number) => {
    while (f.clock.now() < until) {
      f.tickAt(f.clock.now() + SEC);
      if (offline().length > 0) return f.clock.now();
    }
    return null;
  };

  it('fires within one tick of 2.5 × the report interval, not a millisecond before, as a technical alert', () => {
    f.start();
    f.tickAt(T0 + 150 * SEC - 1);
    expect(offline()).toEqual([]);
    f.tickAt(T0 + 150 * SEC);
    expect(offline()).toHaveLength(1);
    expect(offline()[0]).toMatchObject({
      homeId: 'h',
      rule: 'device_offline',
      category: 'technical',
      severity: 'medium',
      audience: 'technical',
      at: T0 + 150 * SEC,
    });
    expect(offline()[0]?.test).toBeUndefined();
    expect(offline()[0]?.evidence).toEqual({
      readings: [],
      thresholds: {
        deviceId: 'h-dev',
        reportIntervalS: 60,
        offlineAfterS: 150,
        lastHeard: 'never since monitoring began',
      },
      summary:
        'Nothing received from device h-dev since monitoring began at 2026-01-05T08:00:00.000Z (150 s = 2.5 × its 60 s report interval)',
    });
    expect(f.got).toEqual([]); // nothing for care staff
  });

  it('the engine ticks on its clock: moving the clock fires device_offline at the first tick past the deadline, and the tick is never late', () => {
    const timers = f.clock.pending;
    const engine = f.start({ tickIntervalMs: 1000 });
    expect(f.clock.pending).toBe(timers + 1);
    try {
      f.clock.advance(149 * SEC);
      expect(offline()).toEqual([]);
      expect(engine.tickLagMs()).toBe(0);
      f.clock.advance(1 * SEC);
      expect(offline()).toHaveLength(1);
      // raised at the tick's own time: the clock read while the timer ran
      expect(offline()[0]?.at).toBe(T0 + 150 * SEC);
      f.clock.advance(60 * SEC);
      expect(engine.tickLagMs()).toBe(0);
    } finally {
      engine.stop();
    }
    // stopped: its timer is gone from the clock
    expect(f.clock.pending).toBe(timers);
  });

  it('on the system clock, a tick held up by a busy event loop counts as late (for rules_lagging)', async () => {
    const engine = new RuleEngine({
      registry: f.registry,
      consent: f.consent,
      clock: systemClock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
      onCandidate: () => undefined,
    });
    engine.start(20);
    try {
      await new Promise((r) => setTimeout(r, 40)); // a tick or more has run
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // the event loop is blocked: no tick can run
      }
      expect(engine.tickLagMs()).toBeGreaterThanOrEqual(100);
    } finally {
      engine.stop();
    }
  });

  it('with a one-second tick, a deadline between ticks is caught by the next tick', async () => {
    await f.registry.updateDevice('h-dev', { reportIntervalS: 61 }); // 152.5 s
    f.start();
    expect(firstFiringTick(T0 + 10 * MIN)).toBe(T0 + 153 * SEC);
    expect(offline()[0]?.at).toBe(T0 + 152.5 * SEC);
  });

  it('any reading received moves the deadline: counted from when we received it, never the device clock', () => {
    f.start();
    f.clock.set(T0 + 100 * SEC);
    // a device clock a day behind, then a day ahead: neither matters
    f.engine.onReading({ ...f.reading('h-dev', 'heartbeat', 1), ts: T0 - 24 * 60 * MIN });
    f.tickAt(T0 + 150 * SEC);
    expect(offline()).toEqual([]);
    f.clock.set(T0 + 200 * SEC);
    f.engine.onReading({ ...f.reading('h-dev', 'battery', 80), ts: T0 + 24 * 60 * MIN });
    f.tickAt(T0 + 350 * SEC - 1);
    expect(offline()).toEqual([]);
    f.tickAt(T0 + 350 * SEC);
    expect(offline()).toHaveLength(1);
    expect(offline()[0]?.evidence.thresholds?.lastHeard).toBe('2026-01-05T08:03:20.000Z');
  });

  it('a receive time ahead of the engine clock counts as now', () => {
    f.start();
    f.engine.onReading({ ...f.reading('h-dev', 'heartbeat', 1), receivedAt: T0 + 60 * MIN });
    f.tickAt(T0 + 150 * SEC);
    expect(offline()).toHaveLength(1);
  });

  it('once per outage; heard again clears it; a new outage fires again', () => {
    f.start();
    f.tickUntil(T0 + 60 * MIN, 10 * SEC);
    expect(offline()).toHaveLength(1);
    f.send('h-dev', 'heartbeat', 1);
    f.tickUntil(T0 + 62 * MIN + 30 * SEC - SEC, SEC);
    expect(offline()).toHaveLength(1);
    f.tickAt(T0 + 62 * MIN + 30 * SEC);
    expect(offline()).toHaveLength(2);
    expect(offline()[1]?.evidence.thresholds?.lastHeard).toBe('2026-01-05T09:00:00.000Z');
  });

  it('through the alert service: the alert stays until a technician resolves it; a new outage after that is a new alert', async () => {
    f.start();
    const raiseAll = async () => {
      for (const c of f.technical.splice(0)) await f.alerts.raise(c);
    };
    f.tickAt(T0 + 150 * SEC);
    await raiseAll();
    const [first] = await f.alerts.list({ homeIds: ['h'] });
    expect(first).toMatchObject({
      rule: 'device_offline',
      audience: 'technical',
      state: 'open',
      legalBasis: null,
    });
    // heard again: the condition clears, the alert stays open for a technician
    f.send('h-dev', 'heartbeat', 1);
    f.tickAt(T0 + 200 * SEC);
    expect((await f.alerts.get(first!.id))?.state).toBe('open');
    // a second outage while it is open is a repeat on it
    f.tickAt(T0 + 300 * SEC);
    await raiseAll();
    expect(await f.alerts.list({ homeIds: ['h'] })).toHaveLength(1);
    expect((await f.alerts.get(first!.id))?.repeats).toBe(1);
    // resolved, heard, silent again: a new alert
    await f.alerts.resolve(first!.id, technician, { outcome: 'technical_fault', note: 'new battery' });
    f.send('h-dev', 'heartbeat', 1);
    f.tickAt(T0 + 450 * SEC);
    await raiseAll();
    const all = await f.alerts.list({ homeIds: ['h'] });
    expect(all).toHaveLength(2);
    expect(all.filter((a) => a.state === 'open')).toHaveLength(1);
  });

  it('devices never heard count from the engine start, not from the epoch or their provisioning', () => {
    f.clock.set(T0 + 24 * 60 * MIN);
    f.start();
    f.tickAt(T0 + 24 * 60 * MIN + 150 * SEC - 1);
    expect(offline()).toEqual([]);
    f.tickAt(T0 + 24 * 60 * MIN + 150 * SEC);
    expect(offline()).toHaveLength(1);
  });

  it('a device provisioned after the start is watched from then; a changed interval takes effect', async () => {
    f.start();
    f.clock.set(T0 + 100 * SEC);
    await f.device('h-new', 'h', ['heartbeat'], { reportIntervalS: 30 });
    f.tickAt(T0 + 175 * SEC - 1);
    expect(offline().map((c) => c.evidence.thresholds?.deviceId)).toEqual(['h-dev']);
    f.tickAt(T0 + 175 * SEC);
    expect(offline().map((c) => c.evidence.thresholds?.deviceId)).toEqual(['h-dev', 'h-new']);
    // a longer interval for a heard device: the next deadline follows it
    f.send('h-new', 'heartbeat', 1);
    await f.registry.updateDevice('h-new', { reportIntervalS: 600 });
    f.tickAt(T0 + 175 * SEC + 1500 * SEC - 1);
    expect(offline()).toHaveLength(2);
    // a shorter one brings it earlier
    await f.registry.updateDevice('h-new', { reportIntervalS: 10 });
    f.tickAt(T0 + 175 * SEC + 1500 * SEC);
    expect(offline()).toHaveLength(3);
  });

  it('a gateway is not watched (it publishes for its sensors, which are)', async () => {
    await f.registry.provisionDevice({ id: 'h-gw', homeId: 'h', kinds: ['heartbeat'], role: 'gateway' });
    f.start();
    f.tickAt(T0 + 24 * 60 * MIN);
    expect(offline().map((c) => c.evidence.thresholds?.deviceId)).toEqual(['h-dev']);
  });

  it('a removed device that was offline is forgotten: its id provisioned again is watched afresh', async () => {
    f.start();
    f.tickAt(T0 + 150 * SEC);
    expect(offline()).toHaveLength(1);
    await f.registry.removeDevice('h-dev');
    // the same id provisioned again (a replaced sensor) is a new device, never heard: watched from now
    f.clock.set(T0 + 200 * SEC);
    await f.device('h-dev', 'h', ['heartbeat'], { reportIntervalS: 60 });
    f.tickAt(T0 + 350 * SEC - 1);
    expect(offline()).toHaveLength(1);
    f.tickAt(T0 + 350 * SEC);
    expect(offline()).toHaveLength(2);
  });

  it('a device in test mode raises test candidates', async () => {
    await f.registry.setDeviceTestMode('h-dev', T0 + 60 * MIN);
    f.start();
    f.tickAt(T0 + 150 * SEC);
    expect(offline()[0]?.test).toBe(true);
  });
});

describe('device_offline when many devices fall silent at once (a network or broker outage)', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(T0);
    for (const h of ['h1', 'h2', 'h3']) {
      await f.home(h, ['heartbeat']);
      await f.registry.updateDevice(`${h}-dev`, { reportIntervalS: 60 });
      for (const n of [2, 3]) await f.device(`${h}-dev${n}`, h, ['heartbeat'], { reportIntervalS: 60 });
    }
  });
  afterEach(async () => {
    await f.close();
  });

  it('one candidate per home naming all its silent devices, not one per device', () => {
    f.start();
    f.tickAt(T0 + 150 * SEC);
    const fired = f.technical.filter((c) => c.rule === 'device_offline');
    expect(fired.map((c) => c.homeId).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(fired.find((c) => c.homeId === 'h1')?.evidence).toMatchObject({
      thresholds: { devices: 3, deviceIds: 'h1-dev, h1-dev2, h1-dev3' },
    });
  });

  it('says when half of at least 20 sensors are silent at once (the platform cannot hear homes), and when not', async () => {
    // nine sensors: too few to judge the platform by
    let engine = f.start();
    f.tickAt(T0 + 150 * SEC);
    expect(engine.devicesSilent()).toBe(false);
    // twenty-one sensors, all silent: the platform cannot hear its homes
    for (const h of ['h4', 'h5', 'h6', 'h7']) {
      await f.home(h, ['heartbeat']);
      await f.registry.updateDevice(`${h}-dev`, { reportIntervalS: 60 });
      for (const n of [2, 3]) await f.device(`${h}-dev${n}`, h, ['heartbeat'], { reportIntervalS: 60 });
    }
    f.clock.set(T0);
    engine = f.start();
    f.tickAt(T0 + 150 * SEC);
    expect(engine.devicesSilent()).toBe(true);
    // heard again: while half are still silent it holds, below half it clears
    const hear = (h: string) => {
      for (const d of [`${h}-dev`, `${h}-dev2`, `${h}-dev3`]) engine.onReading(f.reading(d, 'heartbeat', 1));
    };
    hear('h1');
    expect(engine.devicesSilent()).toBe(true); // 18 of 21 silent
    for (const h of ['h2', 'h3', 'h4']) hear(h);
    expect(engine.devicesSilent()).toBe(false); // 9 of 21 silent
  });

  it('a silent device that is removed no longer counts: neither as watched nor as silent', async () => {
    for (const h of ['h4', 'h5', 'h6', 'h7']) {
      await f.home(h, ['heartbeat']);
      await f.registry.updateDevice(`${h}-dev`, { reportIntervalS: 60 });
      for (const n of [2, 3]) await f.device(`${h}-dev${n}`, h, ['heartbeat'], { reportIntervalS: 60 });
    }
    const engine = f.start();
    f.tickAt(T0 + 150 * SEC);
    expect(engine.devicesSilent()).toBe(true); // 21 of 21
    // two silent sensors taken away: 19 left, too few to judge the platform by
    await f.registry.removeDevice('h7-dev2');
    await f.registry.removeDevice('h7-dev3');
    expect(engine.devicesSilent()).toBe(false);
  });

  it('spreads the work over ticks within its budget, and loses no device', () => {
    f.start({ offlinePerTick: 4 });
    const seen = new Set<string>();
    const collect = () => {
      for (const c of f.technical.splice(0))
        for (const id of String(c.evidence.thresholds?.deviceIds ?? c.evidence.thresholds?.deviceId).split(
          ', ',
        ))
          seen.add(id);
    };
    f.tickAt(T0 + 150 * SEC);
    collect();
    // the first tick looked at no more than four devices
    expect(seen.size).toBe(4);
    f.tickAt(T0 + 151 * SEC);
    f.tickAt(T0 + 152 * SEC);
    collect();
    expect([...seen].sort()).toEqual(
      ['h1', 'h2', 'h3'].flatMap((h) => [`${h}-dev`, `${h}-dev2`, `${h}-dev3`]).sort(),
    );
  });
});

describe('low_battery', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(T0);
    await f.home('h', ['battery']);
  });
  afterEach(async () => {
    await f.close();
  });
  const low = () => f.of('low_battery');

  it('below 20 % raises a technical alert (low) without consent; re-arms only at 30 % again', () => {
    f.start();
    f.send('h-dev', 'battery', 20);
    expect(low()).toEqual([]);
    const r = f.send('h-dev', 'battery', 19.9);
    expect(low()).toHaveLength(1);
    expect(low()[0]).toMatchObject({
      homeId: 'h',
      category: 'technical',
      severity: 'low',
      audience: 'technical',
      at: T0,
    });
    expect(low()[0]?.evidence).toEqual({
      readings: [{ deviceId: 'h-dev', kind: 'battery', value: 19.9, ts: r.ts }],
      thresholds: { percent: 20, rearmPercent: 30 },
      summary: 'Battery of device h-dev at 19.9 % (below 20 %)',
    });
    for (const v of [15, 21, 19, 29.9, 12]) f.send('h-dev', 'battery', v);
    expect(low()).toHaveLength(1);
    f.send('h-dev', 'battery', 30);
    f.send('h-dev', 'battery', 19);
    expect(low()).toHaveLength(2);
    expect(f.got).toEqual([]);
  });

  it('per-home threshold; a home in test mode raises test candidates', async () => {
    await f.registry.updateHome('h', { settings: { lowBattery: { percent: 35 } } });
    await f.registry.setHomeTestMode('h', T0 + 60 * MIN);
    f.start();
    f.send('h-dev', 'battery', 34);
    expect(low()).toHaveLength(1);
    expect(low()[0]?.test).toBe(true);
    expect(low()[0]?.evidence.thresholds).toEqual({ percent: 35, rearmPercent: 45 });
  });
});
