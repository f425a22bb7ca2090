import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../services/alerts/index.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import type { AlertCandidate, AlertEvent } from '../services/domain/index.ts';
import { Registry } from '../services/registry/index.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore } from '../services/store/index.ts';
import { eventually } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';
import { ENGINES } from './harness/store.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

describe.each(ENGINES)('alert lifecycle on real %s', (engine) => {
  let f: Fixture;
  let events: AlertEvent[];
  const fall = (homeId = 'h'): AlertCandidate => ({
    homeId,
    rule: 'fall',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: f.clock.now(),
    evidence: {
      readings: [{ deviceId: 'h-dev', kind: 'fall', value: 1, ts: f.clock.now() }],
      summary: 'Fall detected',
    },
  });
  const staff = { id: 'u-anna', role: 'staff' };

  beforeEach(async () => {
    f = await servicesFixture(undefined, { engine });
    await f.home('h', ['fall']);
    await f.setConsent('h', 'emergency', 'alerts');
    events = [];
    f.events.on('alert/changed', (e) => events.push(e));
  });
  afterEach(() => f.close());

  it('one open alert per home and rule; repeats are counted on it', async () => {
    const first = await f.alerts.raise(fall());
    f.clock.advance(5000);
    const again = await f.alerts.raise(fall());
    expect(again?.id).toBe(first?.id);
    expect(again?.repeats).toBe(1);
    expect(again?.lastSeenAt).toBe(f.clock.now());
    expect(events.map((e) => e.type)).toEqual(['opened', 'repeated']);
    expect(await f.alerts.list({ states: ['open'] })).toHaveLength(1);
  });

  it('concurrent raises make one alert', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => f.alerts.raise(fall())));
    expect(new Set(results.map((a) => a?.id)).size).toBe(1);
    const [alert] = await f.alerts.list();
    expect(alert?.repeats).toBe(9);
  });

  it('open → acknowledged → resolved, with who, when, outcome and note; wrong moves are conflicts', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(30_000);
    const acked = await f.alerts.acknowledge(alert.id, staff);
    expect(acked).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'u-anna',
      acknowledgedAt: f.clock.now(),
    });
    await expect(f.alerts.acknowledge(alert.id, staff)).rejects.toMatchObject({ code: 'conflict' });
    f.clock.advance(60_000);
    const resolved = await f.alerts.resolve(alert.id, staff, {
      outcome: 'real_incident',
      note: 'Helped up, no injury',
    });
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedBy: 'u-anna',
      outcome: 'real_incident',
      note: 'Helped up, no injury',
    });
    await expect(
      f.alerts.resolve(alert.id, staff, { outcome: 'false_alarm', note: '' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.alerts.acknowledge('nope', staff)).rejects.toMatchObject({ code: 'not_found' });
    // a new fall after resolution opens a new alert
    const next = await f.alerts.raise(fall());
    expect(next?.id).not.toBe(alert.id);
  });

  it('resolving an unacknowledged alert records the same person as having taken it', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    const resolved = await f.alerts.resolve(alert.id, staff, { outcome: 'false_alarm', note: '' });
    expect(resolved).toMatchObject({ acknowledgedBy: 'u-anna', resolvedBy: 'u-anna' });
  });

  it('events carry increasing sequence numbers and can be read back from any point', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(1000); // a repeat within a second of the last row is only counted (see below)
    await f.alerts.raise(fall());
    await f.alerts.acknowledge(alert.id, staff);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(await f.alerts.lastSeq()).toBe(seqs.at(-1));
    const since = await f.alerts.eventsSince(seqs[0]!);
    expect(since.map((e) => e.type)).toEqual(['repeated', 'acknowledged']);
    expect(await f.alerts.eventsSince(0, { homeIds: ['other'] })).toEqual([]);
  });

  it('no alert without alerts consent, even if a rule asks', async () => {
    await f.setConsent('h', 'emergency', 'alerts', 'withdraw');
    expect(await f.alerts.raise(fall())).toBeNull();
    expect(await f.alerts.list()).toEqual([]);
    expect(await f.metrics.value('tryghed_alerts_refused_total', { reason: 'no_consent' })).toBe(1);
  });

  it('an alert and its state survive reopening the database', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    await f.alerts.acknowledge(alert.id, staff);
    await f.store.close();
    const store = await openStore(f.location);
    try {
      const registry = await Registry.load(store);
      const consent = await ConsentRegistry.load(store, registry, silentLogger());
      const again = new AlertService({
        store,
        consent,
        registry,
        clock: f.clock,
        logger: silentLogger(),
        metrics: new Metrics(),
        events: f.events,
      });
      expect(await again.get(alert.id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'u-anna' });
      // and dedup still holds after the restart
      expect((await again.raise(fall()))?.id).toBe(alert.id);
    } finally {
      await store.close();
    }
  });
});

describe('a stuck alarm button costs little', () => {
  let f: Fixture;
  let events: AlertEvent[];
  const button = (): AlertCandidate => ({
    homeId: 'h',
    rule: 'alarm_button',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: f.clock.now(),
    evidence: {
      readings: [{ deviceId: 'h-dev', kind: 'alarm_button', value: 1, ts: f.clock.now() }],
      summary: 'Alarm button pressed',
    },
  });
  /** rows written for the alert, read from the store itself */
  const rows = async (type: AlertEvent['type']) =>
    (await f.store.alerts.eventsSince(0)).filter((e) => e.type === type).length;

  beforeEach(async () => {
    f = await servicesFixture();
    await f.home('h', ['alarm_button']);
    await f.setConsent('h', 'emergency', 'alerts');
    events = [];
    f.events.on('alert/changed', (e) => events.push(e));
  });
  afterEach(async () => {
    await f.alerts.stop();
    await f.close();
  });

  it('1,000 repeats in one second: at most one row and one broadcast, and the count is right', async () => {
    const alert = (await f.alerts.raise(button()))!;
    for (let i = 0; i < 1000; i++) {
      f.clock.advance(0.9); // 1,000 presses inside 900 ms
      await f.alerts.raise(button());
    }
    expect(await rows('repeated')).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.type === 'repeated').length).toBeLessThanOrEqual(1);
    // whoever asks sees every repeat already
    expect((await f.alerts.get(alert.id))?.repeats).toBe(1000);
    expect((await f.alerts.list())[0]?.repeats).toBe(1000);
    // a second on, the throttle's timer (on the same clock) writes them all, in one row
    f.clock.advance(1000);
    await eventually(async () => (await f.store.alerts.get(alert.id))?.repeats === 1000, {
      what: 'the held repeats written',
    });
    expect(await rows('repeated')).toBe(1);
    // the next press comes within that second: held, and written with the next second
    await f.alerts.raise(button());
    expect((await f.alerts.get(alert.id))?.repeats).toBe(1001);
    f.clock.advance(1000);
    await eventually(async () => (await f.store.alerts.get(alert.id))?.repeats === 1001, {
      what: 'the last press written a second later',
    });
    expect(await rows('repeated')).toBeLessThanOrEqual(2);
    expect(events.at(-1)).toMatchObject({ type: 'repeated', alert: { repeats: 1001 } });
    expect(await f.metrics.value('tryghed_alerts_repeats_total', { rule: 'alarm_button' })).toBe(1001);
  });

  it('repeats held back are written by the clock without another press, and at stop', async () => {
    const alert = (await f.alerts.raise(button()))!;
    for (let i = 0; i < 50; i++) await f.alerts.raise(button());
    expect((await f.store.alerts.get(alert.id))?.repeats).toBe(0);
    // the throttle's timer is on the clock: moving it a second writes them, nothing to wait for
    await f.clock.advanceAsync(999);
    expect((await f.store.alerts.get(alert.id))?.repeats).toBe(0);
    await f.clock.advanceAsync(1);
    expect((await f.store.alerts.get(alert.id))?.repeats).toBe(50);
    expect(events.map((e) => e.type)).toEqual(['opened', 'repeated']);
    // held again, then the service stops (a restart): nothing counted is lost
    for (let i = 0; i < 7; i++) await f.alerts.raise(button());
    await f.alerts.stop();
    expect((await f.store.alerts.get(alert.id))?.repeats).toBe(57);
  });

  it('a press after acknowledgement reopens the alert at once, never held back', async () => {
    const alert = (await f.alerts.raise(button()))!;
    for (let i = 0; i < 10; i++) await f.alerts.raise(button());
    const acked = await f.alerts.acknowledge(alert.id, { id: 'u-anna', role: 'staff' });
    expect(acked.repeats).toBe(10); // the held repeats went into the acknowledgement's row
    // the same millisecond as the acknowledgement's row: still written and broadcast at once
    const again = await f.alerts.raise(button());
    expect(again).toMatchObject({ state: 'open', repeats: 11, acknowledgedBy: null });
    expect(await f.store.alerts.get(alert.id)).toMatchObject({ state: 'open', repeats: 11 });
    expect(events.at(-1)).toMatchObject({ type: 'repeated', alert: { state: 'open', repeats: 11 } });
  });
});
