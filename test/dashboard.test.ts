import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Dashboard } from '../dashboard/server/index.ts';
import { type AlertCandidate, informationText } from '../services/domain/index.ts';
import { hashSecret } from '../services/runtime/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { startTestDashboard } from './harness/dashboard.ts';
import { eventually } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';

describe('dashboard server: sessions, scoping and the live channel', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let ready = true;
  let url: string;
  const open: LiveClient[] = [];

  const fall = (homeId: string): AlertCandidate => ({
    homeId,
    rule: 'fall',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: f.clock.now(),
    evidence: { readings: [], summary: 'Fall detected' },
  });
  const live = (client: ApiClient, since?: number) => {
    const l = client.live(since);
    open.push(l);
    return l;
  };

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.store.teams.create({ id: 'team-b', name: 'B' });
    await f.home('home-a', ['fall']);
    await f.registry.createHome({ id: 'home-b', label: 'home-b', teamId: 'team-b' });
    for (const h of ['home-a', 'home-b']) await f.setConsent(h, 'emergency', 'alerts');
    const hash = await hashSecret(PASSWORD, 'password');
    const user = (
      username: string,
      role: 'staff' | 'admin' | 'citizen',
      teamIds: string[],
      homeId: string | null = null,
    ) =>
      f.store.users.create({
        id: randomUUID(),
        username,
        displayName: username,
        role,
        passwordHash: hash,
        teamIds,
        homeId,
      });
    await user('anna', 'staff', ['t']);
    await user('bo', 'staff', ['team-b']);
    await user('admin', 'admin', []);
    await user('citizen-a', 'citizen', [], 'home-a');
    dashboard = await startTestDashboard(f, {
      readiness: { influxdb: async () => ready },
      metricsToken: 'operator-token-0123456789',
    });
    url = dashboard.url;
  });
  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    await dashboard?.close();
    await f.close();
  });

  // Login, cookie flags, logout and the timeouts are in sessions.test.ts.

  it('a wrong password and an unknown user get the same answer', async () => {
    const post = (username: string) =>
      fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'nope-nope' }),
      }).then(async (r) => [r.status, await r.json()]);
    expect(await post('anna')).toEqual(await post('nobody-at-all'));
  });

  it('refuses a state change without the CSRF token', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const res = await fetch(`${url}/api/homes/home-a/consent`, {
      method: 'POST',
      headers: { cookie: anna.sessionCookie, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'door',
        purpose: 'alerts',
        action: 'grant',
        channel: 'paper',
        reference: 'x',
        textVersion: 'v1',
      }),
    });
    expect(res.status).toBe(403);
    expect(f.consent.allows('home-a', 'door', 'alerts')).toBe(false);
  });

  it("staff of another team can neither see nor touch team A's alert or home (REST)", async () => {
    const alert = (await f.alerts.raise(fall('home-a')))!;
    const bo = await ApiClient.login(url, 'bo', PASSWORD);
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const boList = await bo.ok<{ alerts: Array<{ id: string }> }>('GET', '/api/alerts');
    expect(boList.alerts.map((a) => a.id)).not.toContain(alert.id);
    const annaList = await anna.ok<{ alerts: Array<{ id: string; homeLabel: string }> }>(
      'GET',
      '/api/alerts',
    );
    expect(annaList.alerts.find((a) => a.id === alert.id)?.homeLabel).toBe('home-a');
    expect((await bo.request('POST', `/api/alerts/${alert.id}/acknowledge`)).status).toBe(404);
    expect(
      (await bo.request('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'false_alarm' })).status,
    ).toBe(404);
    expect((await bo.request('GET', '/api/homes/home-a')).status).toBe(404);
    expect((await bo.request('GET', '/api/homes/home-a/consent')).status).toBe(404);
    expect((await anna.request('POST', `/api/alerts/${alert.id}/acknowledge`)).status).toBe(200);
    expect((await anna.request('POST', `/api/alerts/${alert.id}/acknowledge`)).status).toBe(409);
    const resolved = await anna.ok<{ alert: { state: string; note: string } }>(
      'POST',
      `/api/alerts/${alert.id}/resolve`,
      {
        outcome: 'real_incident',
        note: 'Helped up',
      },
    );
    expect(resolved.alert).toMatchObject({ state: 'resolved', note: 'Helped up' });
  });

  it('the live channel carries an alert to its team only, and each event once, in order', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const bo = await ApiClient.login(url, 'bo', PASSWORD);
    const la = live(anna);
    const lb = live(bo);
    await Promise.all([la.opened, lb.opened]);
    await eventually(() => la.messages.length > 0 && lb.messages.length > 0, { what: 'hello' });
    expect(la.messages[0]).toMatchObject({ type: 'hello' });
    expect(dashboard.watchingTeams()).toEqual(new Set(['t', 'team-b']));
    const a = (await f.alerts.raise(fall('home-a')))!;
    const b = (await f.alerts.raise(fall('home-b')))!;
    await eventually(() => lb.alerts().length === 1, { what: "team B's own alert" });
    await eventually(() => la.alerts().length === 1, { what: "team A's alert" });
    expect(la.alerts().map((m) => m.alert?.id)).toEqual([a.id]);
    expect(lb.alerts().map((m) => m.alert?.id)).toEqual([b.id]);
  });

  it('a dropped socket resumes from the last event it saw: every event arrives once', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    await f.store.homes.list(); // no-op; keeps the flow readable
    await f.registry.createHome({ id: 'home-c', label: 'home-c', teamId: 't' });
    await f.setConsent('home-c', 'environment', 'alerts');
    const smoke = (): AlertCandidate => ({ ...fall('home-c'), rule: 'smoke', category: 'environment' });
    const first = live(anna);
    await first.opened;
    await eventually(() => first.messages.length > 0);
    await f.alerts.raise(smoke());
    f.clock.advance(1000); // a repeat is written and broadcast at most once a second
    await f.alerts.raise(smoke());
    await eventually(() => first.alerts().filter((m) => m.alert?.homeId === 'home-c').length === 2);
    const lastSeen = Math.max(...first.alerts().map((m) => m.seq ?? 0));
    await first.close();
    // while the page is away
    f.clock.advance(1000);
    await f.alerts.raise(smoke());
    const missed = (await f.alerts.list({ homeIds: ['home-c'] }))[0]!;
    await f.alerts.acknowledge(missed.id, { id: 'someone', role: 'staff' });
    const second = live(anna, lastSeen);
    await second.opened;
    await eventually(() => second.alerts().length >= 2, { what: 'the missed events' });
    f.clock.advance(1000);
    await f.alerts.raise(smoke()); // and live again
    await eventually(() => second.alerts().length === 3, { what: 'the live event after resume' });
    const all = [...first.alerts(), ...second.alerts()].filter((m) => m.alert?.homeId === 'home-c');
    expect(all.map((m) => m.event)).toEqual(['opened', 'repeated', 'repeated', 'acknowledged', 'repeated']);
    const seqs = all.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((x, y) => (x ?? 0) - (y ?? 0)));
  });

  it('refuses a /live upgrade from a foreign Origin or without a session', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const attempt = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/live`, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    expect(await attempt({ cookie: anna.sessionCookie, origin: 'https://evil.example' })).toBe(403);
    expect(await attempt({ cookie: anna.sessionCookie })).toBe(403);
    expect(await attempt({ origin: url })).toBe(401);
    expect(await attempt({ cookie: anna.sessionCookie, origin: url })).toBe(101);
  });

  it('a bad body gets a 400 naming the field and the reason, never a stack', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const res = await anna.request('POST', '/api/homes/home-a/consent', {
      category: 'garden',
      purpose: 'alerts',
      action: 'grant',
      textVersion: 'v1',
    });
    expect(res.status).toBe(400);
    const body = res.body as { error: string; issues: Array<{ path: string; message: string }> };
    expect(body.error).toBe('bad_request');
    expect(body.issues.map((i) => i.path)).toContain('category');
    const paper = await anna.request('POST', '/api/homes/home-a/consent', {
      category: 'door',
      purpose: 'alerts',
      action: 'grant',
      channel: 'paper',
      textVersion: 'v1',
    });
    expect((paper.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toContain(
      'reference',
    );
    const raw = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(raw.status).toBe(400);
    expect(await raw.text()).not.toMatch(/at .*\.ts/);
  });

  it('a citizen changes their own consent, recorded with them as actor; not another home', async () => {
    const citizen = await ApiClient.login(url, 'citizen-a', PASSWORD);
    const body = {
      category: 'sleep',
      purpose: 'history',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('sleep', 'history').version,
    };
    const { event } = await citizen.ok<{
      event: { actorId: string; actorRole: string; textVersion: string };
    }>('POST', '/api/homes/home-a/consent', body);
    expect(event).toMatchObject({
      actorId: citizen.user?.id,
      actorRole: 'citizen',
      textVersion: 'sleep-history-2026-1',
    });
    expect(f.consent.allows('home-a', 'sleep', 'history')).toBe(true);
    expect((await citizen.request('POST', '/api/homes/home-b/consent', body)).status).toBe(404);
    const audit = await f.store.audit.listByHome('home-a');
    expect(audit.some((e) => e.action === 'consent.grant' && e.actorId === citizen.user?.id)).toBe(true);
  });

  it('rate-limits login attempts', async () => {
    const post = () =>
      fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bo', password: 'wrong-wrong' }),
      }).then((r) => r.status);
    for (let i = 0; i < 10; i++) expect(await post()).toBe(401);
    expect(await post()).toBe(429);
  });

  it('health, readiness and metrics for the operator', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    ready = false;
    const operator = { headers: { authorization: 'Bearer operator-token-0123456789' } };
    const res = await fetch(`${url}/readyz`, operator);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { influxdb: false } });
    ready = true;
    expect(await (await fetch(`${url}/metrics`, operator)).text()).toContain('tryghed_alerts_total');
  });
});
