import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { READ_COALESCE_MS, ReadCoalescer } from '../services/audit/index.ts';
import type { AlertCandidate } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';
const MIN = 60_000;

interface AlertBody {
  id: string;
  homeId: string;
  state: string;
  outcome: string | null;
  note: string | null;
  resolvedAt: number | null;
  team: { id: string; name: string };
  acknowledgedByName: string | null;
}
interface ErrorBody {
  error: string;
  issues?: Array<{ path: string; message: string }>;
}
interface AccessEntry {
  actorRole: string;
  actorName: string | null;
  action: string;
}

/** Issue 11 points 2 and 7: alerts as a worked list, and an access log that says who looked. */
describe('alerts as a worked list; the access log says who looked', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let anna: ApiClient; // staff of team t
  let bo: ApiClient; // staff of team-b
  let both: ApiClient; // staff of both teams
  let tech: ApiClient;
  let citizen: ApiClient;
  let relative: ApiClient;

  const candidate = (homeId: string, rule: 'fall' | 'alarm_button' = 'fall'): AlertCandidate => ({
    homeId,
    rule,
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: f.clock.now(),
    evidence: { readings: [], summary: 'Fall detected' },
  });
  const raise = async (homeId: string, rule: 'fall' | 'alarm_button' = 'fall') =>
    (await f.alerts.raise(candidate(homeId, rule)))!;
  const auditOf = async (homeId: string) => f.store.audit.listByHome(homeId, 10_000);

  beforeAll(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 8, 0));
    await f.store.teams.create({ id: 'team-b', name: 'Hjemmeplejen Syd' });
    await f.home('home-a', ['fall', 'alarm_button']);
    await f.registry.createHome({ id: 'home-b', label: 'home-b', teamId: 'team-b' });
    for (const h of ['home-a', 'home-b']) await f.setConsent(h, 'emergency', 'alerts');
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    await addUser(f, 'bo', 'staff', PASSWORD, { teamIds: ['team-b'] });
    await addUser(f, 'both', 'staff', PASSWORD, { teamIds: ['t', 'team-b'] });
    await addUser(f, 'tech', 'technician', PASSWORD);
    await addUser(f, 'citizen', 'citizen', PASSWORD, { homeId: 'home-a' });
    const rel = await addUser(f, 'relative', 'relative', PASSWORD);
    await f.registry.grantPowerOfAttorney({
      relativeUserId: rel.id,
      homeId: 'home-a',
      verifiedBy: 'admin',
      reference: 'doc-1',
      at: f.clock.now(),
    });
    dashboard = await startTestDashboard(f);
    await loginAll();
  });

  /** sessions end with time: after the clock jumps days ahead, everyone logs in again */
  const loginAll = async () => {
    const login = (u: string) => ApiClient.login(dashboard.url, u, PASSWORD);
    [anna, bo, both, tech, citizen, relative] = (await Promise.all(
      ['anna', 'bo', 'both', 'tech', 'citizen', 'relative'].map(login),
    )) as [ApiClient, ApiClient, ApiClient, ApiClient, ApiClient, ApiClient];
  };

  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  it('each alert carries its team, and "I\'m on it" by name, to those who handle it', async () => {
    const a = await raise('home-a');
    const b = await raise('home-b');
    await anna.ok('POST', `/api/alerts/${a.id}/acknowledge`, {});
    const { alerts } = await both.ok<{ alerts: AlertBody[] }>('GET', '/api/alerts');
    expect(alerts.find((x) => x.id === a.id)).toMatchObject({
      team: { id: 't', name: 'T' },
      acknowledgedByName: 'anna',
    });
    expect(alerts.find((x) => x.id === b.id)).toMatchObject({
      team: { id: 'team-b', name: 'Hjemmeplejen Syd' },
      acknowledgedByName: null,
    });
    // the other team never sees the alert, so never who took it on
    const ofB = await bo.ok<{ alerts: AlertBody[] }>('GET', '/api/alerts');
    expect(ofB.alerts.map((x) => x.id)).toEqual([b.id]);
    await anna.ok('POST', `/api/alerts/${a.id}/resolve`, { outcome: 'real_incident', note: 'Helped up' });
    await bo.ok('POST', `/api/alerts/${b.id}/resolve`, { outcome: 'false_alarm' });
  });

  it('the resolve form is checked on the server: an outcome is required, a long note is refused, never cut', async () => {
    const a = await raise('home-a');
    const missing = await anna.request('POST', `/api/alerts/${a.id}/resolve`, { note: 'x' });
    expect(missing.status).toBe(400);
    expect((missing.body as ErrorBody).issues?.map((i) => i.path)).toContain('outcome');
    const long = await anna.request('POST', `/api/alerts/${a.id}/resolve`, {
      outcome: 'false_alarm',
      note: 'x'.repeat(2001),
    });
    expect(long.status).toBe(400);
    expect((long.body as ErrorBody).issues?.map((i) => i.path)).toContain('note');
    expect((await f.alerts.get(a.id))?.state).toBe('open');
    const full = 'æ'.repeat(2000);
    const { alert } = await anna.ok<{ alert: AlertBody }>('POST', `/api/alerts/${a.id}/resolve`, {
      outcome: 'false_alarm',
      note: full,
    });
    expect(alert.note).toBe(full);
  });

  it("a home's alert history has outcomes and notes, for the home's team only, and is audited", async () => {
    const { alerts } = await anna.ok<{ alerts: AlertBody[] }>('GET', '/api/homes/home-a/alerts');
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    expect(alerts.find((a) => a.note === 'Helped up')).toMatchObject({ outcome: 'real_incident' });
    // a page at a time, newest first, nothing twice
    const first = await anna.ok<{ alerts: AlertBody[]; next: string | null }>(
      'GET',
      '/api/homes/home-a/alerts?limit=1',
    );
    expect(first.alerts).toHaveLength(1);
    const second = await anna.ok<{ alerts: AlertBody[]; next: string | null }>(
      'GET',
      `/api/homes/home-a/alerts?limit=1&before=${encodeURIComponent(first.next!)}`,
    );
    expect(second.alerts.map((a) => a.id)).toEqual([alerts[1]!.id]);
    expect(first.alerts.map((a) => a.id)).toEqual([alerts[0]!.id]);
    expect((await bo.request('GET', '/api/homes/home-a/alerts')).status).toBe(404);
    expect((await tech.request('GET', '/api/homes/home-a/alerts')).status).toBe(403);
    const entries = await auditOf('home-a');
    expect(entries.some((e) => e.action === 'alerts.read' && e.actorRole === 'staff')).toBe(true);
  });

  it('recently resolved alerts: team-scoped, by period, paginated on the server, audited', async () => {
    // three more resolved on home-a, spread over time; one resolved 3 days ago
    const old = await raise('home-a', 'alarm_button');
    await f.alerts.resolve(old.id, { id: 'x', role: 'staff' }, { outcome: 'no_action_needed', note: '' });
    f.clock.advance(3 * 24 * 60 * MIN);
    await loginAll();
    for (let i = 0; i < 3; i++) {
      const a = await raise('home-a');
      f.clock.advance(MIN);
      await f.alerts.resolve(a.id, { id: 'x', role: 'staff' }, { outcome: 'false_alarm', note: `n${i}` });
    }
    const day = await anna.ok<{ alerts: AlertBody[]; next: string | null }>('GET', '/api/resolved-alerts');
    expect(day.alerts.map((a) => a.note)).toEqual(['n2', 'n1', 'n0']);
    expect(day.alerts.every((a) => a.homeId === 'home-a' && a.state === 'resolved')).toBe(true);
    expect(day.next).toBeNull();
    // the week reaches back further, one page at a time, newest first, nothing seen twice
    const seen: AlertBody[] = [];
    let next: string | null = null;
    do {
      const page: { alerts: AlertBody[]; next: string | null } = await anna.ok(
        'GET',
        `/api/resolved-alerts?period=7d&limit=2${next ? `&before=${encodeURIComponent(next)}` : ''}`,
      );
      expect(page.alerts.length).toBeLessThanOrEqual(2);
      seen.push(...page.alerts);
      next = page.next;
    } while (next);
    const label = (a: AlertBody) => (a.note && a.note.length > 20 ? 'long' : a.note);
    expect(seen.slice(0, 3).map(label)).toEqual(['n2', 'n1', 'n0']);
    // three resolved in the same millisecond: the cursor's id breaks the tie, none lost or repeated
    expect(seen.slice(3).map(label).sort()).toEqual(['Helped up', 'long', null].sort());
    expect(new Set(seen.map((a) => a.id)).size).toBe(seen.length);
    // the other team sees only its own; a citizen has no such list
    const ofB = await bo.ok<{ alerts: AlertBody[] }>('GET', '/api/resolved-alerts?period=7d');
    expect(ofB.alerts.every((a) => a.homeId === 'home-b')).toBe(true);
    expect(ofB.alerts).toHaveLength(1);
    // care alerts are not the technician's
    expect((await tech.ok<{ alerts: AlertBody[] }>('GET', '/api/resolved-alerts?period=7d')).alerts).toEqual(
      [],
    );
    expect((await citizen.request('GET', '/api/resolved-alerts')).status).toBe(403);
    expect((await anna.request('GET', '/api/resolved-alerts?before=1;DROP')).status).toBe(400);
    expect((await auditOf('home-a')).some((e) => e.action === 'alerts.list' && e.detail === 'resolved')).toBe(
      true,
    );
  });

  it('a page polled every 5 s for 20 minutes is two entries, not 240; changes are each recorded', async () => {
    for (let i = 0; i < 240; i++) {
      await tech.ok('GET', '/api/homes/home-b/devices');
      f.clock.advance(5_000);
    }
    const techReads = (await auditOf('home-b')).filter(
      (e) => e.action === 'devices.read' && e.actorRole === 'technician',
    );
    expect(techReads).toHaveLength(2);
    expect(techReads[0]!.at - techReads[1]!.at).toBe(READ_COALESCE_MS);
    // a different person is their own line
    await bo.ok('GET', '/api/homes/home-b/devices');
    expect((await auditOf('home-b')).filter((e) => e.action === 'devices.read')).toHaveLength(3);
    // a change is never folded into anything: two acknowledgements in the same minute are two lines
    for (const rule of ['fall', 'alarm_button'] as const) {
      const a = await raise('home-b', rule);
      await bo.ok('POST', `/api/alerts/${a.id}/acknowledge`, {});
    }
    const acks = (await auditOf('home-b')).filter(
      (e) => e.action === 'alert.acknowledge' && e.at === f.clock.now(),
    );
    expect(acks).toHaveLength(2);
  });

  it("the citizen's access log: not the citizen, not the asking relative; the relative shown to the citizen", async () => {
    await citizen.ok('GET', '/api/homes/home-a/overview');
    await relative.ok('GET', '/api/homes/home-a/overview');
    await anna.ok('GET', '/api/homes/home-a');
    const forRelative = await relative.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/home-a/access-log');
    expect(forRelative.entries.some((e) => e.actorRole === 'relative')).toBe(false);
    expect(forRelative.entries.some((e) => e.actorRole === 'citizen')).toBe(false);
    expect(forRelative.entries.some((e) => e.actorName === 'anna' && e.action === 'home.read')).toBe(true);
    const forCitizen = await citizen.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/home-a/access-log');
    expect(forCitizen.entries.some((e) => e.actorRole === 'citizen')).toBe(false);
    expect(
      forCitizen.entries.find((e) => e.actorRole === 'relative' && e.action === 'home.overview'),
    ).toMatchObject({ actorName: 'relative' });
    // the relative opening the log three times in a row is one look
    await relative.ok('GET', '/api/homes/home-a/access-log');
    await relative.ok('GET', '/api/homes/home-a/access-log');
    const logReads = (await auditOf('home-a')).filter(
      (e) => e.action === 'access_log.read' && e.actorRole === 'relative',
    );
    expect(logReads).toHaveLength(1);
    // still recorded: the log itself is complete
    expect((await auditOf('home-a')).some((e) => e.actorRole === 'citizen')).toBe(true);
  });
});

describe('ReadCoalescer', () => {
  const read = { actorId: 'u', homeId: 'h', purpose: 'care', action: 'home.read' };

  it('records a read once per window, counted from the recorded one', () => {
    const c = new ReadCoalescer(15 * MIN);
    const recorded = [];
    for (let t = 0; t < 20 * MIN; t += 5_000) if (c.shouldRecord(read, t)) recorded.push(t);
    expect(recorded).toEqual([0, 15 * MIN]);
    expect(c.shouldRecord({ ...read, homeId: 'other' }, 20 * MIN)).toBe(true);
    expect(c.shouldRecord({ ...read, purpose: 'maintenance' }, 20 * MIN)).toBe(true);
  });

  it('stays bounded, and a forgotten key records again rather than staying silent', () => {
    const c = new ReadCoalescer(15 * MIN, 3);
    for (let i = 0; i < 10; i++) c.shouldRecord({ ...read, actorId: `u${i}` }, i);
    expect(c.size).toBe(3);
    expect(c.shouldRecord({ ...read, actorId: 'u0' }, 20)).toBe(true);
    expect(c.shouldRecord({ ...read, actorId: 'u9' }, 20)).toBe(false);
  });
});
