import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN, type RulesFixture, rulesFixture } from './harness/rules.ts';

// Monday 5 January 2026, 09:00 in Copenhagen (UTC+1): inside the default daytime window
const T0 = Date.UTC(2026, 0, 5, 8, 0);

/**
 * Test mode of a citizen's home or device, judged by the rules on the injected clock: a critical
 * alarm stays a real alert (marked as raised during test mode), what else the tested devices raise
 * is the test's, a condition without a device is never the test's, and it ends by itself.
 */
describe('rules in test mode', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(T0);
    await f.home('h', ['fall', 'alarm_button', 'water_leak', 'motion']);
    await f.device('h-smoke', 'h', ['smoke']);
    await f.registry.updateHome('h', { settings: { inactivity: { minutes: 30 } } });
    for (const category of ['emergency', 'environment', 'activity'] as const)
      await f.setConsent('h', category, 'alerts');
    f.start();
  });
  afterEach(async () => {
    await f.close();
  });

  it('a home in test mode: a fall is a real alert marked with the test mode; a water leak is a test alert', async () => {
    const until = T0 + 30 * MIN;
    await f.registry.setHomeTestMode('h', until);
    f.send('h-dev', 'fall', 1);
    f.send('h-dev', 'alarm_button', 1);
    f.send('h-smoke', 'smoke', 1);
    f.send('h-dev', 'water_leak', 1);
    const byRule = Object.fromEntries(f.got.map((c) => [c.rule, c]));
    for (const rule of ['fall', 'alarm_button', 'smoke']) {
      expect(byRule[rule]?.test, rule).toBeUndefined();
      expect(byRule[rule]?.evidence.testMode, rule).toEqual({ until });
    }
    expect(byRule.water_leak).toMatchObject({ test: true });
    expect(byRule.water_leak?.evidence.testMode).toEqual({ until });
  });

  it('no motion for longer than the routine allows is never the test: a real alert', async () => {
    await f.registry.setHomeTestMode('h', T0 + 4 * 60 * MIN);
    f.tickAt(T0 + 31 * MIN);
    expect(f.got).toEqual([expect.objectContaining({ rule: 'inactivity' })]);
    expect(f.got[0]?.test).toBeUndefined();
    expect(f.got[0]?.evidence.testMode).toBeUndefined();
  });

  it('one device in test mode leaves the others real', async () => {
    await f.registry.setDeviceTestMode('h-smoke', T0 + 10 * MIN);
    expect(f.registry.deviceTestUntil('h-dev', T0)).toBeNull();
    f.send('h-dev', 'water_leak', 1);
    expect(f.got[0]?.test).toBeUndefined();
    f.send('h-smoke', 'smoke', 1);
    expect(f.got[1]?.evidence.testMode).toEqual({ until: T0 + 10 * MIN });
  });

  it('ends by itself when its time is up, with nothing switched off', async () => {
    await f.registry.setHomeTestMode('h', T0 + 10 * MIN);
    f.send('h-dev', 'water_leak', 1);
    expect(f.got[0]?.test).toBe(true);
    f.clock.set(T0 + 10 * MIN);
    expect(f.registry.testMode('h', f.clock.now())).toBeNull();
    f.send('h-dev', 'water_leak', 1);
    expect(f.got[1]?.test).toBeUndefined();
    f.send('h-dev', 'fall', 1);
    expect(f.got[2]?.evidence.testMode).toBeUndefined();
  });

  it('when test mode ends, what it made a test alert is handed on as a real one', async () => {
    await f.registry.setDeviceTestMode('h-dev', T0 + 10 * MIN);
    f.send('h-dev', 'water_leak', 1);
    expect(f.got).toHaveLength(1);
    expect(f.got[0]).toMatchObject({ test: true, evidence: { testMode: { until: T0 + 10 * MIN } } });
    f.tickAt(T0 + 9 * MIN);
    expect(f.got).toHaveLength(1);
    f.tickAt(T0 + 10 * MIN);
    expect(f.got).toHaveLength(2);
    expect(f.got[1]).toMatchObject({
      rule: 'water_leak',
      handover: true,
      at: T0 + 10 * MIN,
      evidence: { testMode: { until: T0 + 10 * MIN } },
    });
    expect(f.got[1]?.test).toBeUndefined();
    // once
    f.tickAt(T0 + 11 * MIN);
    expect(f.got).toHaveLength(2);
  });

  it("the alert service hands on only what is still open: a test alert the technician cleared stays the test's", async () => {
    await f.registry.setDeviceTestMode('h-dev', T0 + 10 * MIN);
    f.send('h-dev', 'water_leak', 1);
    const testAlert = (await f.alerts.raise(f.got[0]!))!;
    expect(testAlert.test).toBe(true);
    f.tickAt(T0 + 10 * MIN);
    const handed = (await f.alerts.raise(f.got[1]!))!;
    expect(handed).toMatchObject({ test: false, rule: 'water_leak', state: 'open' });
    expect((await f.alerts.get(testAlert.id))?.state).toBe('resolved');
    await f.alerts.resolve(handed.id, { id: 's', role: 'staff' }, { outcome: 'false_alarm', note: '' });

    // cleared by the technician before the end: nothing for staff
    await f.registry.setDeviceTestMode('h-dev', T0 + 20 * MIN);
    f.send('h-dev', 'water_leak', 1);
    const second = (await f.alerts.raise(f.got[2]!))!;
    await f.alerts.resolve(
      second.id,
      { id: 't', role: 'technician' },
      { outcome: 'no_action_needed', note: '' },
    );
    f.tickAt(T0 + 20 * MIN);
    expect(f.got[3]).toMatchObject({ handover: true });
    expect(await f.alerts.raise(f.got[3]!)).toBeNull();
  });

  it("a test device is for test homes: a citizen's home does not take one", async () => {
    await expect(
      f.registry.provisionDevice({ id: 'h-spare', homeId: 'h', kinds: ['alarm_button'], test: true }),
    ).rejects.toThrow(/test mode/);
  });
});
