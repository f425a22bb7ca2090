import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface Body {
  range: string;
  timezone: string;
  from: number;
  to: number;
  series: Array<{
    deviceId: string;
    summary: { count: number };
    points: Array<{ ts: number; value: number }>;
  }>;
}
interface Refusal {
  error: string;
  issues?: Array<{ in: string; path: string; message: string }>;
}

/**
 * The readings route's periods: 24 h, 7 and 30 days, or a chosen period of whole days in the home's
 * time zone. A bad period is a 400 naming the field; history consent is still required; each
 * request is audited once with its period.
 */
describe('readings: a choice of period', () => {
  const dir = tempDir();
  // 2026-11-28 12:00 in Copenhagen (UTC+1)
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 11, 0, 0));
  let platform: Platform;
  let staff: ApiClient;
  const password = 'password-123';

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('periods'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes/home-a/devices', { id: 'pir-1', kinds: ['motion', 'temperature'] });
    for (const [username, role, homeId] of [
      ['staff-a', 'staff', null],
      ['citizen-a', 'citizen', 'home-a'],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password,
        displayName: username,
        role,
        teamIds: role === 'staff' ? ['team-a'] : [],
        ...(homeId ? { homeId } : {}),
      });
    }
    const citizen = await ApiClient.login(platform.dashboardUrl, 'citizen-a', password);
    await citizen.ok('POST', '/api/homes/home-a/consent', {
      category: 'activity',
      purpose: 'history',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('activity', 'history').version,
    });
    staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    const at = (iso: string) => Date.parse(iso);
    const motion = (ts: number, value: number, seq: number) => ({
      homeId: 'home-a',
      deviceId: 'pir-1',
      kind: 'motion' as const,
      category: 'activity' as const,
      value,
      ts,
      seq,
      receivedAt: ts,
    });
    await platform.readings.write([
      // 40 days ago: outside 30 days
      motion(clock.now() - 40 * 86_400_000, 1, 1),
      // 20 days ago: inside 30 days, outside 7
      motion(clock.now() - 20 * 86_400_000, 1, 2),
      // 2026-11-20 00:30 local (23:30 UTC the day before): belongs to the 20th in Copenhagen
      motion(at('2026-11-19T23:30:00Z'), 1, 3),
      // 2026-11-20 23:30 local: the 20th too; 2026-11-21 00:30 local: the 21st
      motion(at('2026-11-20T22:30:00Z'), 1, 4),
      motion(at('2026-11-20T23:30:00Z'), 1, 5),
      // repeated "off" reports say nothing new: only the first after an "on" is sent
      motion(at('2026-11-20T22:31:00Z'), 0, 6),
      motion(at('2026-11-20T22:32:00Z'), 0, 7),
      motion(at('2026-11-20T22:33:00Z'), 0, 8),
    ]);
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  const get = (q: string) => staff.request('GET', `/api/homes/home-a/readings?${q}`);

  it('30 days reach further than 7; the answer names the home time zone', async () => {
    const d30 = await eventually(
      async () => {
        const b = await staff.ok<Body>('GET', '/api/homes/home-a/readings?kind=motion&range=30d');
        return b.series[0]?.summary.count === 7 && b;
      },
      { what: 'the motion readings in InfluxDB' },
    );
    expect(d30).toMatchObject({ range: '30d', timezone: 'Europe/Copenhagen', to: clock.now() });
    expect(d30.from).toBe(clock.now() - 30 * 86_400_000);
    const d7 = await staff.ok<Body>('GET', '/api/homes/home-a/readings?kind=motion&range=7d');
    // the newest is eight days old: nothing in the last 7 days
    expect(d7.series).toEqual([]);
    // an on/off kind comes as its events: the on reports and the first off after each
    expect(d30.series[0]!.points.map((p) => p.value)).toEqual([1, 1, 1, 0, 1]);
  });

  it('a chosen period is whole days in the home time zone', async () => {
    const res = await get('kind=motion&range=custom&from=2026-11-20&to=2026-11-20');
    expect(res.status).toBe(200);
    const body = res.body as Body;
    // Copenhagen is UTC+1 in November: the 20th runs from 23:00 UTC on the 19th
    expect(body.from).toBe(Date.parse('2026-11-19T23:00:00Z'));
    expect(body.to).toBe(Date.parse('2026-11-20T23:00:00Z'));
    expect(body.series[0]!.points.map((p) => p.ts)).toEqual([
      Date.parse('2026-11-19T23:30:00Z'),
      Date.parse('2026-11-20T22:30:00Z'),
      Date.parse('2026-11-20T22:31:00Z'),
    ]);
    // a period running into today ends now
    const open = (await get('kind=motion&range=custom&from=2026-11-27&to=2026-11-28')).body as Body;
    expect(open.to).toBe(clock.now());
  });

  it('a bad period is a 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['kind=motion&range=custom&to=2026-11-20', 'from'],
      ['kind=motion&range=custom&from=2026-11-20', 'to'],
      ['kind=motion&range=custom&from=2026-11-21&to=2026-11-20', 'from'],
      ['kind=motion&range=custom&from=2026-02-30&to=2026-03-02', 'from'],
      ['kind=motion&range=custom&from=20-11-2026&to=2026-11-20', 'from'],
      ['kind=motion&range=7d&from=2026-11-20', 'from'],
      ['kind=motion&range=90d', 'range'],
      // longer than 90 days
      ['kind=motion&range=custom&from=2026-08-01&to=2026-11-20', 'to'],
      // nothing to show from the future
      ['kind=motion&range=custom&from=2026-11-29&to=2026-11-30', 'from'],
    ];
    for (const [q, field] of cases) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      const body = res.body as Refusal;
      expect(body.error, q).toBe('bad_request');
      expect(
        body.issues?.map((i) => i.path),
        q,
      ).toContain(field);
    }
    // 90 days exactly is allowed
    expect((await get('kind=motion&range=custom&from=2026-08-23&to=2026-11-20')).status).toBe(200);
  });

  it('consent is still required for a chosen period, and a look is audited once with its period', async () => {
    // past the access log's coalescing window, so this look is a line of its own
    clock.advance(16 * 60_000);
    const before = (await platform.store.audit.listByHome('home-a')).filter(
      (e) => e.action === 'readings.read',
    );
    const refused = await get('kind=temperature&range=custom&from=2026-11-01&to=2026-11-20');
    expect(refused).toMatchObject({
      status: 403,
      body: { error: 'no_history_consent', detail: { category: 'environment' } },
    });
    expect((await get('kind=temperature&range=30d')).status).toBe(403);
    expect((await get('kind=motion&range=custom&from=2026-11-01&to=2026-11-20')).status).toBe(200);
    const after = (await platform.store.audit.listByHome('home-a')).filter(
      (e) => e.action === 'readings.read',
    );
    expect(after.length - before.length).toBe(1);
    expect(
      after.some((e) => e.actorId === staff.user?.id && e.detail === 'motion/2026-11-01..2026-11-20'),
    ).toBe(true);
  });
});
