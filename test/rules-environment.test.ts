import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN, type RulesFixture, rulesFixture } from './harness/rules.ts';

// Monday 5 January 2026, 09:00 in Copenhagen (UTC+1)
const T0 = Date.UTC(2026, 0, 5, 8, 0);

describe('environment rules: water leak, CO, temperature', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(T0);
  });
  afterEach(async () => {
    await f.close();
  });

  describe('water_leak', () => {
    it('fires at once (high) for 1, not for 0, not without environment alerts consent', async () => {
      await f.home('h', ['water_leak']);
      f.start();
      f.send('h-dev', 'water_leak', 1);
      expect(f.got).toEqual([]);
      expect(
        await f.metrics.value('tryghed_rules_suppressed_total', { rule: 'water_leak', reason: 'no_consent' }),
      ).toBe(1);
      await f.setConsent('h', 'environment', 'alerts');
      f.send('h-dev', 'water_leak', 0);
      expect(f.got).toEqual([]);
      const r = f.send('h-dev', 'water_leak', 1);
      expect(f.got).toHaveLength(1);
      expect(f.got[0]).toMatchObject({
        homeId: 'h',
        rule: 'water_leak',
        category: 'environment',
        severity: 'high',
        audience: 'care',
        at: T0,
      });
      expect(f.got[0]?.test).toBeUndefined();
      expect(f.got[0]?.evidence.readings).toEqual([
        { deviceId: 'h-dev', kind: 'water_leak', value: 1, ts: r.ts },
      ]);
      expect(f.got[0]?.evidence.summary).toMatch(/^Water detected at 2026-01-05T08:00:00.000Z$/);
    });

    it('a device in test mode raises test candidates', async () => {
      await f.home('h', ['water_leak']);
      await f.registry.setDeviceTestMode('h-dev', T0 + 60 * MIN);
      await f.setConsent('h', 'environment', 'alerts');
      f.start();
      f.send('h-dev', 'water_leak', 1);
      expect(f.got[0]).toMatchObject({ rule: 'water_leak', test: true });
    });
  });

  describe('co', () => {
    beforeEach(async () => {
      await f.home('h', ['co']);
      await f.setConsent('h', 'environment', 'alerts');
      f.start();
    });

    it('fires (critical) at the threshold, not a hair below, with the reading and thresholds', () => {
      f.send('h-dev', 'co', 49.9);
      expect(f.got).toEqual([]);
      const r = f.send('h-dev', 'co', 50);
      expect(f.got).toHaveLength(1);
      expect(f.got[0]).toMatchObject({
        rule: 'co',
        category: 'environment',
        severity: 'critical',
        audience: 'care',
      });
      expect(f.got[0]?.evidence).toEqual({
        readings: [{ deviceId: 'h-dev', kind: 'co', value: 50, ts: r.ts }],
        thresholds: { ppm: 50, hysteresisPpm: 10, refireMinutes: 15 },
        summary: 'Carbon monoxide at 50 ppm (threshold 50 ppm) at 2026-01-05T08:00:00.000Z',
      });
    });

    it('a sensor flapping around the threshold gives one candidate, and one alert', async () => {
      for (let i = 0; i < 14; i++) {
        f.send('h-dev', 'co', i % 2 === 0 ? 52 : 45);
        f.clock.advance(MIN);
      }
      expect(f.of('co')).toHaveLength(1);
      for (const c of f.got) await f.alerts.raise(c);
      expect(await f.alerts.list({ homeIds: ['h'] })).toHaveLength(1);
    });

    it('while the level stays high it raises again after refireMinutes, not a millisecond before', () => {
      f.send('h-dev', 'co', 80);
      f.clock.advance(15 * MIN - 1);
      f.send('h-dev', 'co', 80);
      expect(f.of('co')).toHaveLength(1);
      f.clock.advance(1);
      f.send('h-dev', 'co', 80);
      expect(f.of('co')).toHaveLength(2);
    });

    it('after the level clears (below ppm - hysteresis) a new rise raises at once', () => {
      f.send('h-dev', 'co', 80);
      f.send('h-dev', 'co', 40.1); // not cleared: 40 is the line
      f.send('h-dev', 'co', 60);
      expect(f.of('co')).toHaveLength(1);
      f.send('h-dev', 'co', 39.9);
      f.send('h-dev', 'co', 60);
      expect(f.of('co')).toHaveLength(2);
    });

    it('a device in test mode still raises a real CO alarm (critical), marked as during test mode', async () => {
      await f.registry.setDeviceTestMode('h-dev', T0 + 60 * MIN);
      f.send('h-dev', 'co', 60);
      expect(f.got[0]).toMatchObject({ rule: 'co', evidence: { testMode: { until: T0 + 60 * MIN } } });
      expect(f.got[0]?.test).toBeUndefined();
    });

    it('per-home threshold; withdrawn consent stops it', async () => {
      await f.registry.updateHome('h', { settings: { co: { ppm: 30 } } });
      f.send('h-dev', 'co', 35);
      expect(f.of('co')).toHaveLength(1);
      await f.setConsent('h', 'environment', 'alerts', 'withdraw');
      f.send('h-dev', 'co', 10);
      f.send('h-dev', 'co', 90);
      expect(f.of('co')).toHaveLength(1);
    });
  });

  describe('temperature', () => {
    beforeEach(async () => {
      await f.home('h', ['temperature']);
      await f.setConsent('h', 'environment', 'alerts');
    });

    it('temperature_low: below 16 °C for 30 minutes fires exactly then, with first and last reading', () => {
      f.start();
      const first = f.send('h-dev', 'temperature', 15.9);
      f.clock.advance(10 * MIN);
      const last = f.send('h-dev', 'temperature', 15.2);
      f.tickAt(T0 + 30 * MIN - 1);
      expect(f.got).toEqual([]);
      f.tickAt(T0 + 30 * MIN);
      expect(f.got).toHaveLength(1);
      expect(f.got[0]).toMatchObject({
        rule: 'temperature_low',
        category: 'environment',
        severity: 'high',
        audience: 'care',
        at: T0 + 30 * MIN,
      });
      expect(f.got[0]?.evidence.readings).toEqual([
        { deviceId: 'h-dev', kind: 'temperature', value: 15.9, ts: first.ts },
        { deviceId: 'h-dev', kind: 'temperature', value: 15.2, ts: last.ts },
      ]);
      expect(f.got[0]?.evidence.thresholds).toEqual({ lowC: 16, minutes: 30, hysteresisC: 0.5 });
      expect(f.got[0]?.evidence.summary).toContain('below 16 °C for 30 minutes');
      f.tickUntil(T0 + 5 * 60 * MIN, MIN);
      expect(f.got).toHaveLength(1); // once per cold spell
    });

    it('exactly 16 °C is not below; a dip shorter than the duration gives nothing', () => {
      f.start();
      f.send('h-dev', 'temperature', 16);
      f.tickAt(T0 + 60 * MIN);
      expect(f.got).toEqual([]);
      f.send('h-dev', 'temperature', 15);
      f.clock.advance(29 * MIN);
      f.send('h-dev', 'temperature', 16.5); // back inside by the hysteresis
      f.tickUntil(T0 + 180 * MIN, MIN);
      expect(f.got).toEqual([]);
      // positive control: the same dip held for the whole duration fires
      f.send('h-dev', 'temperature', 15);
      f.tickAt(T0 + 210 * MIN);
      expect(f.got.map((c) => c.rule)).toEqual(['temperature_low']);
    });

    it('a reading hovering at the threshold gives one alert, not fifty (hysteresis)', async () => {
      f.start();
      // every 5 minutes for 5 hours: 15.9, 16.2, 15.8, 16.4, ... never back to 16.5
      for (let i = 0; i < 60; i++) {
        f.send('h-dev', 'temperature', i % 2 === 0 ? 15.9 - (i % 4) * 0.05 : 16.2 + (i % 4) * 0.05);
        f.tickUntil(f.clock.now() + 5 * MIN, MIN);
      }
      expect(f.got).toHaveLength(1);
      expect(f.got[0]?.at).toBe(T0 + 30 * MIN);
      for (const c of f.got) await f.alerts.raise(c);
      expect(await f.alerts.list({ homeIds: ['h'] })).toHaveLength(1);
    });

    it('after a spell ends (16.5 °C or more) a new one needs the full duration again', () => {
      f.start();
      f.send('h-dev', 'temperature', 15);
      f.tickAt(T0 + 30 * MIN);
      expect(f.got).toHaveLength(1);
      f.send('h-dev', 'temperature', 16.5);
      f.send('h-dev', 'temperature', 15.5);
      const restart = f.clock.now();
      f.tickAt(restart + 30 * MIN - 1);
      expect(f.got).toHaveLength(1);
      f.tickAt(restart + 30 * MIN);
      expect(f.got).toHaveLength(2);
    });

    it('temperature_high: above 28 °C for the home’s set minutes; 28 itself is not above', async () => {
      await f.registry.updateHome('h', { settings: { temperature: { highC: 27, minutes: 45 } } });
      f.start();
      f.send('h-dev', 'temperature', 27);
      f.tickAt(T0 + 60 * MIN);
      expect(f.got).toEqual([]);
      f.send('h-dev', 'temperature', 27.1);
      f.tickAt(T0 + 105 * MIN - 1);
      expect(f.got).toEqual([]);
      f.tickAt(T0 + 105 * MIN);
      expect(f.got).toHaveLength(1);
      expect(f.got[0]).toMatchObject({ rule: 'temperature_high', severity: 'high' });
      expect(f.got[0]?.evidence.thresholds).toEqual({ highC: 27, minutes: 45, hysteresisC: 0.5 });
    });

    it('a jump from cold to hot ends the cold spell and starts a hot one', () => {
      f.start();
      f.send('h-dev', 'temperature', 10);
      f.clock.advance(20 * MIN);
      f.send('h-dev', 'temperature', 30);
      f.tickAt(T0 + 49 * MIN);
      expect(f.got).toEqual([]);
      f.tickAt(T0 + 50 * MIN);
      expect(f.got.map((c) => c.rule)).toEqual(['temperature_high']);
    });

    it('without environment alerts consent at the moment it is due: not raised', async () => {
      f.start();
      f.send('h-dev', 'temperature', 12);
      await f.setConsent('h', 'environment', 'alerts', 'withdraw');
      f.tickAt(T0 + 30 * MIN);
      expect(f.got).toEqual([]);
      expect(
        await f.metrics.value('tryghed_rules_suppressed_total', {
          rule: 'temperature_low',
          reason: 'no_consent',
        }),
      ).toBe(1);
    });

    it('a home or a device in test mode raises test candidates', async () => {
      await f.registry.setHomeTestMode('h', T0 + 4 * 60 * MIN);
      f.start();
      f.send('h-dev', 'temperature', 12);
      f.tickAt(T0 + 30 * MIN);
      expect(f.got[0]).toMatchObject({ rule: 'temperature_low', test: true });
      await f.registry.setHomeTestMode('h', null);
      await f.device('h-t2', 'h', ['temperature']);
      f.send('h-t2', 'temperature', 40);
      f.tickAt(T0 + 60 * MIN);
      // test mode over: the cold spell it made a test alert is handed on, and the heat is real
      expect(f.got.slice(1)).toHaveLength(2);
      expect(f.got.slice(1)).toContainEqual(
        expect.objectContaining({ rule: 'temperature_low', handover: true }),
      );
      const heat = f.got.slice(1).find((c) => c.rule === 'temperature_high');
      expect(heat?.test).toBeUndefined();
      await f.registry.setDeviceTestMode('h-t2', T0 + 120 * MIN);
      f.send('h-t2', 'temperature', 20); // ends the hot spell
      f.send('h-t2', 'temperature', 40);
      f.tickAt(T0 + 90 * MIN);
      expect(f.got[3]).toMatchObject({ rule: 'temperature_high', test: true });
    });
  });
});
