import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type outcomeStatistics, quantile } from '../services/alerts/index.ts';
import type { AlertCandidate, Outcome, RuleKind } from '../services/domain/index.ts';
import { informationText } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

const T0 = Date.UTC(2026, 10, 2, 9, 0);
const DAY = 86_400_000;

describe('quantile', () => {
  it('uses the nearest rank', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(ten, 0.5)).toBe(5);
    expect(quantile(ten, 0.9)).toBe(9);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });
});

/**
 * Outcome statistics per rule kind and per team, over alerts handled on the real platform with a
 * manual clock. Test alerts are left out; nothing is ever broken down per employee.
 */
describe('outcome statistics', () => {
  const dir = tempDir();
  const clock = new ManualClock(T0);
  let platform: Platform;
  let staffA: ApiClient;
  let staffB: ApiClient;
  const password = 'password-123';

  /** opens an alert, acknowledges it after ackS seconds and resolves it resolveS seconds after opening */
  const handled = async (
    homeId: string,
    rule: RuleKind,
    ackS: number,
    resolveS: number | null,
    outcome: Outcome,
    by: string,
    test = false,
  ) => {
    const opened = clock.now();
    const candidate: AlertCandidate = {
      homeId,
      rule,
      category: rule === 'smoke' ? 'environment' : 'emergency',
      severity: 'critical',
      audience: 'care',
      at: opened,
      evidence: { readings: [], summary: 'test' },
      test,
    };
    const alert = await platform.alerts.raise(candidate);
    if (!alert) throw new Error('no alert raised');
    clock.set(opened + ackS * 1000);
    await platform.alerts.acknowledge(alert.id, { id: by, role: 'staff' });
    if (resolveS !== null) {
      clock.set(opened + resolveS * 1000);
      await platform.alerts.resolve(alert.id, { id: by, role: 'staff' }, { outcome, note: '' });
    }
    clock.set(opened + 3_600_000);
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('stats'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const t of ['a', 'b']) {
      await admin.ok('POST', '/api/teams', { id: `team-${t}`, name: t });
      await admin.ok('POST', '/api/homes', { id: `home-${t}`, label: t, teamId: `team-${t}` });
      await admin.ok('POST', '/api/users', {
        username: `staff-${t}`,
        password,
        displayName: t,
        role: 'staff',
        teamIds: [`team-${t}`],
      });
      for (const category of ['emergency', 'environment'])
        await platform.consent.change(
          `home-${t}`,
          {
            category: category as 'emergency',
            purpose: 'alerts',
            action: 'grant',
            channel: 'system',
            textVersion: informationText(category as 'emergency', 'alerts').version,
          },
          { id: 'system', role: 'system' },
        );
    }
    // Team A: three falls (ack 10, 20, 30 s; resolved after 60, 120, 180 s; one false alarm) and a smoke false alarm.
    await handled('home-a', 'fall', 10, 60, 'real_incident', 'u1');
    await handled('home-a', 'fall', 20, 120, 'false_alarm', 'u2');
    await handled('home-a', 'fall', 30, 180, 'no_action_needed', 'u1');
    await handled('home-a', 'smoke', 40, 100, 'false_alarm', 'u2');
    // A test alert of team A: would skew everything if it were counted.
    await handled('home-a', 'fall', 9000, 9999, 'false_alarm', 'u1', true);
    // Team B: one fall acknowledged after 5 s, not yet resolved.
    await handled('home-b', 'fall', 5, null, 'real_incident', 'u3');
    staffA = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    staffB = await ApiClient.login(platform.dashboardUrl, 'staff-b', password);
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('per rule kind and per team: counts, false-alarm rate, median and p90 to acknowledge and resolve', async () => {
    const from = new Date(T0 - DAY).toISOString().slice(0, 10);
    const report = await staffA.ok<ReturnType<typeof outcomeStatistics>>(
      'GET',
      `/api/statistics?from=${from}&to=${new Date(T0 + 30 * DAY).toISOString().slice(0, 10)}`,
    );
    expect(report.byRule.fall).toMatchObject({
      alerts: 3,
      resolved: 3,
      falseAlarmRate: 1 / 3,
      acknowledge: { count: 3, median: 20, p90: 30 },
      resolve: { count: 3, median: 120, p90: 180 },
    });
    expect(report.byRule.smoke).toMatchObject({ alerts: 1, falseAlarmRate: 1 });
    expect(report.byTeam['team-a']).toMatchObject({ alerts: 4, resolved: 4, falseAlarmRate: 0.5 });
    // staff see their own teams' figures only
    expect(report.byTeam['team-b']).toBeUndefined();
    const b = await staffB.ok<ReturnType<typeof outcomeStatistics>>('GET', `/api/statistics?from=${from}`);
    expect(b.byTeam['team-b']).toMatchObject({
      alerts: 1,
      resolved: 0,
      falseAlarmRate: null,
      acknowledge: { count: 1, median: 5 },
    });
  });

  it('never names or counts an employee', async () => {
    const text = JSON.stringify(
      await staffA.ok('GET', `/api/statistics?from=${new Date(T0 - DAY).toISOString().slice(0, 10)}`),
    );
    for (const who of ['u1', 'u2', 'u3', 'acknowledgedBy', 'resolvedBy']) expect(text).not.toContain(who);
  });

  it('refuses a bad date with the field and the reason', async () => {
    const res = (await staffA.request('GET', '/api/statistics?from=yesterday')) as {
      status: number;
      body: { error: string; issues: Array<{ path: string }> };
    };
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.issues[0]?.path).toBe('from');
  });
});
