import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertCandidate, AlertEvent } from '../services/domain/index.ts';
import { servicesFixture } from './harness/services.ts';
import { ENGINES } from './harness/store.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

/**
 * Issue 13 point 1: the whole chain, timed. raised → acknowledged → på vej → fremme → resolved, each
 * step stamped with the server's (injected) clock and the person who acted.
 */
describe.each(ENGINES)('the whole chain of an alert on real %s', (engine) => {
  let f: Fixture;
  let events: AlertEvent[];
  const fall = (): AlertCandidate => ({
    homeId: 'h',
    rule: 'fall',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: f.clock.now(),
    evidence: {
      readings: [{ deviceId: 'h-dev', kind: 'fall', value: 1, ts: f.clock.now() }],
      summary: 'Fall',
    },
  });
  const anna = { id: 'u-anna', role: 'staff' };
  const bo = { id: 'u-bo', role: 'staff' };

  beforeEach(async () => {
    f = await servicesFixture(undefined, { engine });
    await f.home('h', ['fall']);
    await f.setConsent('h', 'emergency', 'alerts');
    events = [];
    f.events.on('alert/changed', (e) => events.push(e));
  });
  afterEach(() => f.close());

  it('walks raised → acknowledged → på vej → fremme → resolved, each by the clock and the actor', async () => {
    const raisedAt = f.clock.now();
    const alert = (await f.alerts.raise(fall()))!;
    expect(alert.openedAt).toBe(raisedAt);

    f.clock.advance(40_000);
    const acked = await f.alerts.acknowledge(alert.id, anna);
    expect(acked).toMatchObject({ acknowledgedBy: 'u-anna', acknowledgedAt: raisedAt + 40_000 });
    expect(acked.enRouteAt).toBeNull();

    f.clock.advance(60_000);
    const out = await f.alerts.setOut(alert.id, bo);
    expect(out).toMatchObject({
      state: 'acknowledged',
      // the acknowledgement stays Anna's: setting out does not rewrite who took it on
      acknowledgedBy: 'u-anna',
      acknowledgedAt: raisedAt + 40_000,
      enRouteBy: 'u-bo',
      enRouteAt: raisedAt + 100_000,
      arrivedAt: null,
    });

    f.clock.advance(15 * 60_000);
    const there = await f.alerts.arrive(alert.id, bo);
    expect(there).toMatchObject({
      enRouteAt: raisedAt + 100_000,
      arrivedBy: 'u-bo',
      arrivedAt: raisedAt + 100_000 + 15 * 60_000,
    });

    f.clock.advance(10 * 60_000);
    const done = await f.alerts.resolve(alert.id, bo, { outcome: 'real_incident', note: 'Helped up' });
    expect(done).toMatchObject({ resolvedBy: 'u-bo', resolvedAt: raisedAt + 100_000 + 25 * 60_000 });

    // every step is an event, in order, and the stored row has every timestamp
    expect(events.map((e) => e.type)).toEqual(['opened', 'acknowledged', 'en_route', 'arrived', 'resolved']);
    const stored = (await f.alerts.get(alert.id))!;
    expect(stored).toMatchObject({
      openedAt: raisedAt,
      acknowledgedAt: raisedAt + 40_000,
      enRouteAt: raisedAt + 100_000,
      enRouteBy: 'u-bo',
      arrivedAt: raisedAt + 100_000 + 15 * 60_000,
      arrivedBy: 'u-bo',
      resolvedAt: raisedAt + 100_000 + 25 * 60_000,
    });
    // a board resuming its feed reads the same steps back
    const replay = await f.alerts.eventsSince(0);
    expect(replay.map((e) => e.type)).toEqual(['opened', 'acknowledged', 'en_route', 'arrived', 'resolved']);
    expect(replay[2]!.alert.enRouteAt).toBe(raisedAt + 100_000);
  });

  it('"på vej" on an open alert is also its acknowledgement, and stops escalation from counting it as unanswered', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(20_000);
    const out = await f.alerts.setOut(alert.id, anna);
    expect(out).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'u-anna',
      acknowledgedAt: out.enRouteAt,
      enRouteBy: 'u-anna',
    });
    expect(await f.alerts.escalate(alert.id, 1)).toBeNull();
  });

  it('"fremme" without "på vej" leaves when they set out unknown, never invented', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(5 * 60_000);
    const there = await f.alerts.arrive(alert.id, anna);
    expect(there).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'u-anna', arrivedBy: 'u-anna' });
    expect(there.enRouteAt).toBeNull();
    expect(there.enRouteBy).toBeNull();
    // and "på vej" after arriving changes nothing
    f.clock.advance(60_000);
    expect((await f.alerts.setOut(alert.id, anna)).enRouteAt).toBeNull();
  });

  it('a second tap changes nothing: no new time, no new event', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(1000);
    const first = await f.alerts.setOut(alert.id, anna);
    f.clock.advance(30_000);
    const again = await f.alerts.setOut(alert.id, bo);
    expect(again.enRouteAt).toBe(first.enRouteAt);
    expect(again.enRouteBy).toBe('u-anna');
    const arrived = await f.alerts.arrive(alert.id, anna);
    f.clock.advance(30_000);
    expect((await f.alerts.arrive(alert.id, bo)).arrivedAt).toBe(arrived.arrivedAt);
    expect(events.map((e) => e.type)).toEqual(['opened', 'en_route', 'arrived']);
  });

  it('a resolved alert refuses the steps with a stable reason', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    await f.alerts.resolve(alert.id, anna, { outcome: 'false_alarm', note: '' });
    await expect(f.alerts.setOut(alert.id, anna)).rejects.toMatchObject({
      code: 'conflict',
      reason: 'alert_already_resolved',
    });
    await expect(f.alerts.arrive(alert.id, anna)).rejects.toMatchObject({
      code: 'conflict',
      reason: 'alert_already_resolved',
    });
    await expect(f.alerts.arrive('nope', anna)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('concurrent taps by two responders make one step, the first one', async () => {
    const alert = (await f.alerts.raise(fall()))!;
    f.clock.advance(1000);
    const results = await Promise.all([f.alerts.setOut(alert.id, anna), f.alerts.setOut(alert.id, bo)]);
    expect(results[0]!.enRouteAt).toBe(results[1]!.enRouteAt);
    expect(results[0]!.enRouteBy).toBe(results[1]!.enRouteBy);
    expect(events.filter((e) => e.type === 'en_route')).toHaveLength(1);
  });
});
