import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { outcomeStatistics, type StatisticsReport } from '../services/alerts/index.ts';
import type { Alert, RuleKind } from '../services/domain/index.ts';
import { informationText } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

const T0 = Date.UTC(2026, 10, 2, 22, 0);
const S = 1000;
const MIN = 60_000;

/** an alert of a home opened at T0 + `at`, with each step `s` seconds after opening (null: not taken) */
function alert(
  id: string,
  rule: RuleKind,
  homeId: string,
  at: number,
  s: { ack?: number | null; out?: number | null; arrive?: number | null; resolve?: number | null },
): Alert {
  const openedAt = T0 + at;
  const when = (v: number | null | undefined) => (v === null || v === undefined ? null : openedAt + v * S);
  return {
    id,
    homeId,
    rule,
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    state: s.resolve != null ? 'resolved' : s.ack != null ? 'acknowledged' : 'open',
    openedAt,
    lastSeenAt: openedAt,
    repeats: 0,
    evidence: { readings: [], summary: '' },
    acknowledgedBy: s.ack != null ? 'u-anna' : null,
    acknowledgedAt: when(s.ack),
    enRouteBy: s.out != null ? 'u-anna' : null,
    enRouteAt: when(s.out),
    arrivedBy: s.arrive != null ? 'u-anna' : null,
    arrivedAt: when(s.arrive),
    resolvedBy: s.resolve != null ? 'u-anna' : null,
    resolvedAt: when(s.resolve),
    outcome: s.resolve != null ? 'real_incident' : null,
    note: null,
    legalBasis: null,
    test: false,
    escalationLevel: 0,
  };
}

describe('the chain in the statistics: shares within the targets beside the medians', () => {
  const targets = { answerWithinS: 60, arriveWithinS: 30 * 60 };
  const alerts = [
    // team nord: three falls and an alarm button
    alert('f1', 'fall', 'h-nord', 0, { ack: 30, out: 90, arrive: 20 * 60, resolve: 40 * 60 }),
    alert('f2', 'fall', 'h-nord', 1, { ack: 50, out: 60, arrive: 25 * 60, resolve: 50 * 60 }),
    // answered late (90 s) and reached late (45 min)
    alert('f3', 'fall', 'h-nord', 2, { ack: 90, out: 100, arrive: 45 * 60, resolve: 60 * 60 }),
    // taken on with "på vej" (ack and out at once), resolved by phone without anyone arriving:
    // nobody needed to go, so it is not in the reached share
    alert('b1', 'alarm_button', 'h-nord', 3, { ack: 20, out: 20, resolve: 5 * 60 }),
    // team syd: one still open, nobody answered, an hour in: late on both counts
    alert('b2', 'alarm_button', 'h-syd', 4, {}),
  ];
  const teamOf = (homeId: string) => (homeId === 'h-nord' ? 'team-nord' : 'team-syd');
  const now = T0 + 2 * 60 * MIN;
  const report = outcomeStatistics(alerts, T0, now, teamOf, targets, now);

  it('per rule kind: the share answered within 60 s and reached within 30 min, and the medians', () => {
    expect(report.byRule.fall).toMatchObject({
      alerts: 3,
      answeredInTime: 2 / 3,
      reachedInTime: 2 / 3,
      reachable: 3,
      acknowledge: { count: 3, median: 50 },
      enRoute: { count: 3, median: 90 },
      arrive: { count: 3, median: 25 * 60 },
    });
    expect(report.byRule.alarm_button).toMatchObject({
      alerts: 2,
      answeredInTime: 1 / 2,
      // b1 needed nobody; b2 is an hour past the target with nobody there
      reachable: 1,
      reachedInTime: 0,
      arrive: { count: 0, median: null },
    });
  });

  it('per team, and never per employee', () => {
    expect(report.byTeam['team-nord']).toMatchObject({
      alerts: 4,
      answeredInTime: 3 / 4,
      reachedInTime: 2 / 3,
    });
    expect(report.byTeam['team-syd']).toMatchObject({ alerts: 1, answeredInTime: 0, reachedInTime: 0 });
    expect(report.targets).toEqual(targets);
    expect(JSON.stringify(report)).not.toContain('u-anna');
  });

  it('an alert still waiting counts as late only once its target has passed', () => {
    const fresh = [alert('x', 'fall', 'h-nord', 0, {})];
    const early = outcomeStatistics(fresh, T0, T0 + 30 * S, teamOf, targets, T0 + 30 * S);
    expect(early.total).toMatchObject({ answeredInTime: null, reachedInTime: null, reachable: 0 });
    const late = outcomeStatistics(fresh, T0, T0 + 31 * MIN, teamOf, targets, T0 + 31 * MIN);
    expect(late.total).toMatchObject({ answeredInTime: 0, reachedInTime: 0, reachable: 1 });
  });

  it('the targets are settings: the same alerts measured against 2 min and 50 min', () => {
    const other = outcomeStatistics(
      alerts,
      T0,
      now,
      teamOf,
      { answerWithinS: 120, arriveWithinS: 50 * 60 },
      now,
    );
    expect(other.byRule.fall).toMatchObject({ answeredInTime: 1, reachedInTime: 1 });
  });
});

/**
 * Through the platform: the responder's taps over HTTP, stamped by the server's clock and session,
 * audited, in the statistics, and the arrival target on the alert the board reads.
 */
describe('the chain over the API', () => {
  const dir = tempDir();
  const clock = new ManualClock(T0);
  let platform: Platform;
  let staff: ApiClient;
  let admin: ApiClient;
  let userId: string;

  beforeAll(async () => {
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('chain'),
      clock,
      env: { ARRIVAL_TARGET_MIN: '20', ANSWER_TARGET_S: '45' },
    });
    admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-nord', name: 'Nord' });
    await admin.ok('POST', '/api/homes', { id: 'h-nord', label: 'Nordvej 1', teamId: 'team-nord' });
    const created = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
      username: 'anna',
      password: 'password-123',
      displayName: 'Anna',
      role: 'staff',
      teamIds: ['team-nord'],
    });
    userId = created.user.id;
    await platform.consent.change(
      'h-nord',
      {
        category: 'emergency',
        purpose: 'alerts',
        action: 'grant',
        channel: 'system',
        textVersion: informationText('emergency', 'alerts').version,
      },
      { id: 'system', role: 'system' },
    );
    staff = await ApiClient.login(platform.dashboardUrl, 'anna', 'password-123');
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  const raise = async () => {
    const a = await platform.alerts.raise({
      homeId: 'h-nord',
      rule: 'alarm_button',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: clock.now(),
      evidence: { readings: [], summary: 'pressed' },
    });
    if (!a) throw new Error('no alert');
    return a;
  };

  it('taps på vej and fremme: the server stamps its own time and the session user, a sent time or person is refused', async () => {
    const a = await raise();
    const opened = clock.now();
    type View = {
      alert: {
        state: string;
        enRouteAt: number | null;
        enRouteBy: string | null;
        enRouteByName: string | null;
        arrivedAt: number | null;
        arrivedBy: string | null;
        arrivalDueAt: number | null;
        acknowledgedBy: string | null;
      };
    };
    const before = await staff.ok<View>('GET', `/api/alerts/${a.id}`);
    // the arrival target is the setting (20 min), on the alert for the board's mark
    expect(before.alert.arrivalDueAt).toBe(opened + 20 * MIN);

    clock.set(opened + 2 * MIN);
    // a client claiming another time or person is refused, and nothing is recorded
    const forged = await staff.request('POST', `/api/alerts/${a.id}/en-route`, {
      at: opened,
      by: 'u-someone-else',
    });
    expect(forged.status).toBe(400);
    expect((await platform.alerts.get(a.id))?.enRouteAt).toBeNull();

    const out = await staff.ok<View>('POST', `/api/alerts/${a.id}/en-route`);
    expect(out.alert).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: userId,
      enRouteBy: userId,
      enRouteByName: 'Anna',
      enRouteAt: opened + 2 * MIN,
    });
    clock.set(opened + 25 * MIN);
    const there = await staff.ok<View>('POST', `/api/alerts/${a.id}/arrived`, {});
    expect(there.alert).toMatchObject({
      arrivedBy: userId,
      arrivedAt: opened + 25 * MIN,
      arrivalDueAt: null,
    });
    // a second tap: the same alert back, the time unchanged
    clock.set(opened + 26 * MIN);
    const again = await staff.ok<View>('POST', `/api/alerts/${a.id}/arrived`);
    expect(again.alert.arrivedAt).toBe(opened + 25 * MIN);

    // each step once in the home's audit log, by the person from the session
    const steps = await eventually(async () => {
      const log = await admin.ok<{ entries: Array<{ action: string; actorName: string | null }> }>(
        'GET',
        '/api/homes/h-nord/access-log',
      );
      const found = log.entries.filter((e) => e.action === 'alert.en_route' || e.action === 'alert.arrived');
      return found.length >= 2 && found;
    });
    expect(steps.map((e) => [e.action, e.actorName]).sort()).toEqual([
      ['alert.arrived', 'Anna'],
      ['alert.en_route', 'Anna'],
    ]);

    await staff.ok('POST', `/api/alerts/${a.id}/resolve`, { outcome: 'real_incident', note: '' });
    const refused = (await staff.request('POST', `/api/alerts/${a.id}/en-route`)) as {
      status: number;
      body: { error: string; reason: string };
    };
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', reason: 'alert_already_resolved' });

    // answered in 2 min (target 45 s: late), reached in 25 min (target 20: late)
    const stats = await staff.ok<StatisticsReport>('GET', '/api/statistics');
    expect(stats.targets).toEqual({ answerWithinS: 45, arriveWithinS: 20 * 60 });
    expect(stats.byRule.alarm_button).toMatchObject({
      alerts: 1,
      answeredInTime: 0,
      reachedInTime: 0,
      enRoute: { median: 120 },
      arrive: { median: 25 * 60 },
    });
    expect(stats.byTeam['team-nord']).toMatchObject({ alerts: 1 });
  });
});
