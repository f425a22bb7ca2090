import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertCandidate } from '../services/domain/index.ts';
import { nextDue, parseHomeRuleSettings, RuleEngine } from '../services/rules/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { servicesFixture } from './harness/services.ts';

const MIN = 60_000;
type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

describe('rule engine with an injected clock', () => {
  let f: Fixture;
  let got: AlertCandidate[];
  let engine: RuleEngine;
  const makeEngine = () => {
    engine = new RuleEngine({
      registry: f.registry,
      consent: f.consent,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
      // Technical candidates (device_offline for these silent test devices) have their own tests in
      // rules-technical.test.ts; here only what reaches care staff.
      onCandidate: (c) => {
        if (c.audience === 'care') got.push(c);
      },
    });
    engine.start();
    return engine;
  };

  // Monday 5 January 2026, 09:00 in Copenhagen (UTC+1)
  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 0, 5, 8, 0));
    got = [];
  });
  afterEach(async () => {
    engine?.stop();
    await f.close();
  });

  for (const [kind, category] of [
    ['alarm_button', 'emergency'],
    ['fall', 'emergency'],
    ['smoke', 'environment'],
  ] as const) {
    it(`${kind}: fires at once, critical, with its evidence; not for 0; not without alerts consent`, async () => {
      await f.home('h', [kind]);
      makeEngine();
      engine.onReading(f.reading('h', kind, 1));
      expect(got).toEqual([]); // no consent yet
      expect(
        await f.metrics.value('tryghed_rules_suppressed_total', { rule: kind, reason: 'no_consent' }),
      ).toBe(1);
      await f.setConsent('h', category, 'alerts');
      engine.onReading(f.reading('h', kind, 0));
      expect(got).toEqual([]);
      const r = f.reading('h', kind, 1);
      engine.onReading(r);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        homeId: 'h',
        rule: kind,
        category,
        severity: 'critical',
        audience: 'care',
      });
      expect(got[0]?.evidence.readings).toEqual([{ deviceId: 'h-dev', kind, value: 1, ts: r.ts }]);
      await f.setConsent('h', category, 'alerts', 'withdraw');
      engine.onReading(f.reading('h', kind, 1));
      expect(got).toHaveLength(1);
    });
  }

  it('ignores readings of unknown homes and devices', async () => {
    await f.home('h', ['fall']);
    await f.setConsent('h', 'emergency', 'alerts');
    makeEngine();
    engine.onReading({ ...f.reading('h', 'fall', 1), homeId: 'nowhere' });
    engine.onReading({ ...f.reading('h', 'fall', 1), deviceId: 'ghost' });
    expect(got).toEqual([]);
    // positive control: the same reading from the real home and device fires
    engine.onReading(f.reading('h', 'fall', 1));
    expect(got.map((c) => c.rule)).toEqual(['fall']);
  });

  describe('inactivity', () => {
    beforeEach(async () => {
      await f.home('h', ['motion'], {
        inactivity: { minutes: 30, windows: [{ start: '07:00', end: '22:00' }] },
      });
      await f.setConsent('h', 'activity', 'alerts');
    });

    it('fires exactly at the threshold inside the window, not a millisecond before, and only once', () => {
      makeEngine();
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.advance(30 * MIN - 1);
      engine.tick();
      expect(got).toEqual([]);
      f.clock.advance(1);
      engine.tick();
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ rule: 'inactivity', category: 'activity', severity: 'high' });
      expect(got[0]?.evidence.thresholds).toMatchObject({ minutes: 30, window: '07:00-22:00' });
      f.clock.advance(120 * MIN);
      engine.tick();
      expect(got).toHaveLength(1); // not again without new motion
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.advance(30 * MIN);
      engine.tick();
      expect(got).toHaveLength(2); // watching again after motion
    });

    it('motion resets the timer', () => {
      makeEngine();
      f.clock.advance(20 * MIN);
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.advance(20 * MIN);
      engine.tick();
      expect(got).toEqual([]);
      f.clock.advance(10 * MIN);
      engine.tick();
      expect(got).toHaveLength(1);
    });

    it('does not fire outside the window; counts from the window start in the morning', () => {
      // 21:50 local: 10 minutes of window left, less than 30
      f.clock.set(Date.UTC(2026, 0, 5, 20, 50));
      makeEngine();
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.set(Date.UTC(2026, 0, 6, 6, 29)); // 07:29 next morning
      engine.tick();
      expect(got).toEqual([]);
      f.clock.set(Date.UTC(2026, 0, 6, 6, 30)); // 07:30: 30 minutes into the window
      engine.tick();
      expect(got).toHaveLength(1);
    });

    it('several windows a day: the gap between them does not count', () => {
      f.clock.set(Date.UTC(2026, 0, 5, 10, 50)); // 11:50 local
      const settings = {
        inactivity: {
          minutes: 30,
          windows: [
            { start: '07:00', end: '12:00' },
            { start: '14:00', end: '22:00' },
          ],
        },
      };
      expect(parseHomeRuleSettings(settings).ok).toBe(true);
      f.registry.home('h')!.settings = settings; // cached home object; the engine reads it on first use
      makeEngine();
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.set(Date.UTC(2026, 0, 5, 13, 29)); // 14:29
      engine.tick();
      expect(got).toEqual([]);
      f.clock.set(Date.UTC(2026, 0, 5, 13, 30)); // 14:30
      engine.tick();
      expect(got).toHaveLength(1);
    });

    it('a withdrawal of activity alerts consent stops the next firing', async () => {
      makeEngine();
      await f.setConsent('h', 'activity', 'alerts', 'withdraw');
      f.clock.advance(31 * MIN);
      engine.tick();
      expect(got).toEqual([]);
      // positive control: granted again, the same silence fires
      await f.setConsent('h', 'activity', 'alerts');
      engine.onReading(f.reading('h', 'motion', 1));
      f.clock.advance(30 * MIN);
      engine.tick();
      expect(got.map((c) => c.rule)).toEqual(['inactivity']);
    });

    it('homes without a motion sensor are not watched', async () => {
      await f.home('quiet', ['smoke']);
      await f.setConsent('quiet', 'activity', 'alerts');
      makeEngine();
      f.clock.advance(600 * MIN);
      engine.tick();
      expect(got.map((c) => c.homeId)).toEqual(['h']);
    });
  });

  describe('time zones and daylight saving (Europe/Copenhagen)', () => {
    const s = { minutes: 60, windows: [{ start: '07:00', end: '22:00' }] };
    const tz = 'Europe/Copenhagen';
    it('winter (UTC+1) and summer (UTC+2) windows start at 07:00 local', () => {
      expect(new Date(nextDue(Date.UTC(2026, 0, 5, 1), s, tz)!.due).toISOString()).toBe(
        '2026-01-05T07:00:00.000Z',
      );
      expect(new Date(nextDue(Date.UTC(2026, 6, 5, 1), s, tz)!.due).toISOString()).toBe(
        '2026-07-05T06:00:00.000Z',
      );
    });
    it('the spring-forward night (29 March 2026): 07:00 local is 05:00 UTC', () => {
      // last motion at 23:00 local on Saturday; the night is one hour shorter
      expect(new Date(nextDue(Date.UTC(2026, 2, 28, 22), s, tz)!.due).toISOString()).toBe(
        '2026-03-29T06:00:00.000Z',
      );
    });
    it('the fall-back night (25 October 2026): 07:00 local is 06:00 UTC', () => {
      expect(new Date(nextDue(Date.UTC(2026, 9, 24, 21), s, tz)!.due).toISOString()).toBe(
        '2026-10-25T07:00:00.000Z',
      );
    });
    it('another zone is honoured', () => {
      expect(new Date(nextDue(Date.UTC(2026, 0, 5, 5), s, 'America/New_York')!.due).toISOString()).toBe(
        '2026-01-05T13:00:00.000Z',
      );
    });
  });

  it('rejects settings that make no sense, naming the field', () => {
    const bad = parseHomeRuleSettings({
      inactivity: { minutes: 2, windows: [{ start: '22:00', end: '07:00' }] },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['inactivity.minutes']));
  });
});
