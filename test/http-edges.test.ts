import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Dashboard } from '../dashboard/server/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

/** A /live upgrade without a cookie, its refusal as a Response. */
function liveUpgrade(url: string): Promise<Response> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/live`, { headers: { origin: url } });
    ws.on('unexpected-response', (_req, res) => resolve(new Response(null, { status: res.statusCode ?? 0 })));
    ws.on('open', () => {
      ws.terminate();
      resolve(new Response(null, { status: 101 }));
    });
    ws.on('error', () => undefined);
  });
}
const PASSWORD = 'password-123';
const TOKEN = 'prometheus-scrape-token-1234';

describe('the HTTP edge: malformed paths, headers on data, one log line per refusal, ops data behind a token', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let url: string;
  const lines: Array<Record<string, unknown>> = [];
  let ready = true;

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.store.teams.create({ id: 'team-nord', name: 'Team Nord' });
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['team-nord'] });
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    dashboard = await startTestDashboard(f, {
      logger,
      metricsToken: TOKEN,
      readiness: { influxdb: async () => ready },
    });
    url = dashboard.url;
  });
  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  /** the log lines one request writes */
  async function logged(request: () => Promise<Response>) {
    const before = lines.length;
    const res = await request();
    await res.arrayBuffer();
    return { res, lines: lines.slice(before) };
  }

  it('a malformed % in a path is a 400 with the error envelope, not a 500; so is a malformed session cookie', async () => {
    for (const path of ['/api/alerts/%zz', '/api/homes/%E0%A4%A/overview']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: 'bad_request',
        issues: [{ in: 'path', message: 'malformed percent-encoding' }],
      });
    }
    const cookie = await fetch(`${url}/api/alerts`, { headers: { cookie: 'tryghed_session=%zz' } });
    expect(cookie.status).toBe(401);
  });

  it('/api answers, errors included, are not sniffed, cached or framed', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const answers = [
      await fetch(`${url}/api/session/providers`),
      await fetch(`${url}/api/session`, { headers: { cookie: anna.sessionCookie } }),
      await fetch(`${url}/api/alerts`),
      await fetch(`${url}/api/no-such-thing`),
      await fetch(`${url}/api/alerts/%zz`),
      await fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":',
      }),
      await fetch(`${url}/healthz`),
      await fetch(`${url}/readyz`),
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 404, 400, 400, 200, 200, 200]);
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('each refused request writes exactly one log line, with the route and no personal data', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const refusals: Array<[string, () => Promise<Response>, number]> = [
      ['no session', () => fetch(`${url}/api/alerts`), 401],
      [
        'no CSRF token',
        () => fetch(`${url}/api/session`, { method: 'DELETE', headers: { cookie: anna.sessionCookie } }),
        403,
      ],
      ['unknown endpoint', () => fetch(`${url}/api/no-such-thing`), 404],
      ['malformed %', () => fetch(`${url}/api/alerts/%zz`), 400],
      [
        'malformed JSON',
        () =>
          fetch(`${url}/api/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"username": "anna", "password": ',
          }),
        400,
      ],
      [
        'body too large',
        () =>
          fetch(`${url}/api/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'anna', password: 'x'.repeat(70_000) }),
          }),
        413,
      ],
      [
        'wrong password',
        () =>
          fetch(`${url}/api/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'anna', password: 'not-her-password' }),
          }),
        401,
      ],
      ['metrics without the token', () => fetch(`${url}/metrics`), 401],
      ['a /live upgrade without a session', () => liveUpgrade(url), 401],
    ];
    for (const [what, request, status] of refusals) {
      const { res, lines: written } = await logged(request);
      expect(res.status, what).toBe(status);
      expect(written, what).toHaveLength(1);
      const text = JSON.stringify(written[0]);
      expect(text, what).not.toContain('not-her-password');
      expect(text, what).not.toContain(anna.sessionCookie.split('=')[1]!);
    }
    // the line names the route pattern and the outcome
    const { lines: wrongPassword } = await logged(() =>
      fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'anna', password: 'not-her-password' }),
      }),
    );
    expect(wrongPassword[0]).toMatchObject({
      msg: 'request refused',
      status: 401,
      code: 'unauthenticated',
      method: 'POST',
      route: '/api/session',
    });
  });

  it('a failure is logged once too, with its cause: an identity provider that cannot be reached', async () => {
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const withOidc = await startTestDashboard(f, {
      logger,
      // nothing listens on port 9 (discard) here: discovery fails at once
      oidc: { issuer: 'http://127.0.0.1:9', clientId: 'tryghed', clientSecret: '', userClaim: 'sub' },
    });
    try {
      const { res, lines: written } = await logged(() =>
        fetch(`${withOidc.url}/api/session/oidc/start`, { redirect: 'manual' }),
      );
      expect(res.status).toBe(503);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({
        msg: 'request failed',
        status: 503,
        route: '/api/session/oidc/start',
        err: { type: expect.any(String) },
      });
    } finally {
      await withOidc.close();
    }
  });

  it('/metrics needs the bearer token, and says nothing about which team is watching', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const live = anna.live();
    await live.opened;
    try {
      const none = await fetch(`${url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.text()).not.toContain('tryghed_');
      const wrong = await fetch(`${url}/metrics`, {
        headers: { authorization: 'Bearer not-the-token-at-all' },
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status).toBe(200);
      const text = await right.text();
      expect(text).toMatch(/tryghed_dashboard_live_connections\{role="staff"\} 1/);
      expect(text).not.toContain('team-nord');
      expect(text).not.toMatch(/team=/);
    } finally {
      await live.close();
    }
  });

  it('/healthz and /readyz stay open for a load balancer but say only ok or not; the checks are for the token', async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    ready = false;
    try {
      const open = await fetch(`${url}/readyz`);
      expect(open.status).toBe(503);
      expect(await open.json()).toEqual({ status: 'degraded' });
      const operator = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await operator.json()).toEqual({ status: 'degraded', checks: { influxdb: false } });
    } finally {
      ready = true;
    }
  });

  it('without METRICS_TOKEN there are no metrics at all', async () => {
    const off = await startTestDashboard(f);
    try {
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${off.url}/metrics`, { headers: { authorization: 'Bearer ' } })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
