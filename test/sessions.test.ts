import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Dashboard } from '../dashboard/server/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, cookieOf, setCookieHeader, startTestDashboard } from './harness/dashboard.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';
const MINUTE = 60_000;

/** The status a /live upgrade gets with this cookie: 101 when it opens. */
function upgradeStatus(url: string, cookie: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/live`, { headers: { cookie, origin: url } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('error', () => undefined);
  });
}

describe('sessions: fixation, timeouts on the injected clock, logout, cookie flags', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let url: string;

  const login = (headers: Record<string, string> = {}) =>
    fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username: 'anna', password: PASSWORD }),
    });
  const whoAmI = (cookie: string) =>
    fetch(`${url}/api/session`, { headers: { cookie } }).then((r) => r.status);

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    dashboard = await startTestDashboard(f, { sessionIdleMinutes: 30, sessionAbsoluteHours: 12 });
    url = dashboard.url;
  });
  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  it('a cookie value planted before login is not kept: login issues a new id, and the planted one is worthless', async () => {
    const planted = 'tryghed_session=planted-by-someone-else';
    const res = await login({ cookie: planted });
    expect(res.status).toBe(200);
    const issued = cookieOf(res, 'tryghed_session');
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect(await whoAmI(planted)).toBe(401);
    expect(await whoAmI(issued!)).toBe(200);
  });

  it('logging in again ends the session the browser already had', async () => {
    const first = cookieOf(await login(), 'tryghed_session')!;
    const second = cookieOf(await login({ cookie: first }), 'tryghed_session')!;
    expect(second).not.toBe(first);
    expect(await whoAmI(first)).toBe(401);
    expect(await whoAmI(second)).toBe(200);
  });

  it('ends a session after 30 idle minutes; a request before that keeps it going', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    f.clock.advance(29 * MINUTE);
    expect((await anna.request('GET', '/api/alerts')).status).toBe(200);
    f.clock.advance(29 * MINUTE);
    expect((await anna.request('GET', '/api/alerts')).status).toBe(200);
    f.clock.advance(30 * MINUTE + 1);
    expect((await anna.request('GET', '/api/alerts')).status).toBe(401);
  });

  it('ends a session 12 hours after login even when it is used all the time', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 20) {
      expect((await anna.request('GET', '/api/session')).status).toBe(200);
      f.clock.advance(20 * MINUTE);
    }
    // 12 h have passed, with a request every 20 minutes: it still holds at 12 h, not a moment later
    expect((await anna.request('GET', '/api/session')).status).toBe(200);
    f.clock.advance(1);
    expect((await anna.request('GET', '/api/session')).status).toBe(401);
  });

  it('the timeouts come from the options (the config settings)', async () => {
    const short = await startTestDashboard(f, { sessionIdleMinutes: 5, sessionAbsoluteHours: 1 });
    try {
      const anna = await ApiClient.login(short.url, 'anna', PASSWORD);
      f.clock.advance(6 * MINUTE);
      expect((await anna.request('GET', '/api/session')).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('logout ends the session on the server: the old cookie fails for REST and for the /live upgrade; the same person elsewhere stays logged in', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    // the same person on a second device: a session of its own, with a new id
    const elsewhere = await ApiClient.login(url, 'anna', PASSWORD);
    expect(elsewhere.sessionCookie).not.toBe(anna.sessionCookie);
    const cookie = anna.sessionCookie;
    expect(await upgradeStatus(url, cookie)).toBe(101);
    const res = await fetch(`${url}/api/session`, {
      method: 'DELETE',
      headers: {
        cookie,
        'x-csrf-token': (await anna.ok<{ csrfToken: string }>('GET', '/api/session')).csrfToken,
      },
    });
    expect(res.status).toBe(204);
    // the browser is told to forget it, with the same flags it was set with
    expect(setCookieHeader(res, 'tryghed_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    // a copy of the cookie kept by anyone is worthless now
    expect(await whoAmI(cookie)).toBe(401);
    expect((await anna.request('GET', '/api/alerts')).status).toBe(401);
    expect(await upgradeStatus(url, cookie)).toBe(401);
    expect((await elsewhere.request('GET', '/api/alerts')).status).toBe(200);
  });

  it('logout closes the live feed that session had open', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const live = anna.live();
    await live.opened;
    const closed = new Promise<number>((resolve) => live.socket.once('close', (code) => resolve(code)));
    expect((await anna.request('DELETE', '/api/session')).status).toBe(204);
    expect(await closed).toBe(4401);
    await eventually(() => !dashboard.watchingTeams().has('t'), { what: 'the team no longer watching' });
  });

  it('the sweep runs on the injected clock: an idle session ends, and its live feed closes, without any request', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const live = anna.live();
    await live.opened;
    let code = 0;
    live.socket.once('close', (c) => {
      code = c;
    });
    // sweeps run every minute of clock time; within the idle timeout they end nothing
    await f.clock.advanceAsync(29 * MINUTE);
    expect(code).toBe(0);
    expect(dashboard.watchingTeams().has('t')).toBe(true);
    // the first sweep after 30 idle minutes ends it: nobody made a request
    await f.clock.advanceAsync(2 * MINUTE);
    await eventually(() => code === 4401, { what: 'the live feed closed by the sweep' });
    expect(await whoAmI(anna.sessionCookie)).toBe(401);
  });

  it('cookies are httpOnly and SameSite=Strict; Secure over HTTPS or when configured', async () => {
    const plain = setCookieHeader(await login(), 'tryghed_session');
    expect(plain).toMatch(/HttpOnly/);
    expect(plain).toMatch(/SameSite=Strict/);
    expect(plain).not.toMatch(/Secure/);
    // X-Forwarded-Proto from a client that is not a configured proxy is not believed
    const forged = setCookieHeader(await login({ 'x-forwarded-proto': 'https' }), 'tryghed_session');
    expect(forged).not.toMatch(/Secure/);
    // behind a TLS-terminating proxy on this machine (TRUST_PROXY=loopback)
    const behindProxy = await startTestDashboard(f, { trustProxy: ['loopback'] });
    try {
      const res = await fetch(`${behindProxy.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ username: 'anna', password: PASSWORD }),
      });
      expect(setCookieHeader(res, 'tryghed_session')).toMatch(/; Secure/);
    } finally {
      await behindProxy.close();
    }
    const secure = await startTestDashboard(f, { secureCookies: true });
    try {
      const res = await fetch(`${secure.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'anna', password: PASSWORD }),
      });
      expect(setCookieHeader(res, 'tryghed_session')).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });
});

describe('sessions on the whole platform', () => {
  it('an https PUBLIC_URL makes session cookies Secure, and the timeouts come from the settings', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.now());
    const platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('sessions'),
      clock,
      env: { PUBLIC_URL: 'https://tryghed.kommune.example', SESSION_IDLE_MINUTES: '10' },
    });
    try {
      const res = await fetch(`${platform.dashboardUrl}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(TEST_ADMIN),
      });
      expect(res.status).toBe(200);
      expect(setCookieHeader(res, 'tryghed_session')).toMatch(/; Secure/);
      const cookie = cookieOf(res, 'tryghed_session')!;
      const status = () =>
        fetch(`${platform.dashboardUrl}/api/session`, { headers: { cookie } }).then((r) => r.status);
      clock.advance(9 * MINUTE);
      expect(await status()).toBe(200);
      clock.advance(10 * MINUTE + 1);
      expect(await status()).toBe(401);
    } finally {
      await platform.close();
      dir.remove();
    }
  });
});

describe('sessions survive a restart of the platform', () => {
  const login = (url: string) =>
    fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TEST_ADMIN),
    });

  it('the same cookie and CSRF token work after a restart, /live opens with it, and the store holds only its hash', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.now());
    const database = uniqueDatabase('sessions');
    let platform = await startTestPlatform({ dataDir: dir.path, database, clock });
    try {
      const res = await login(platform.dashboardUrl);
      expect(res.status).toBe(200);
      const cookie = cookieOf(res, 'tryghed_session')!;
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      await platform.close();

      // the database knows the session only by the SHA-256 of the cookie's value
      const value = cookie.slice('tryghed_session='.length);
      const db = new Database(`${dir.path}/tryghed.sqlite`, { readonly: true });
      const rows = db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
      db.close();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id_hash).toBe(createHash('sha256').update(value).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(value);

      clock.advance(5 * MINUTE);
      platform = await startTestPlatform({ dataDir: dir.path, database, clock });
      const url = platform.dashboardUrl;
      const me = await fetch(`${url}/api/session`, { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { csrfToken: string }).csrfToken).toBe(csrfToken);
      // a state change with the token from before the restart
      const team = await fetch(`${url}/api/teams`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'team-after', name: 'After the restart' }),
      });
      expect(team.status).toBe(201);
      // the board on the wall reconnects to /live with its cookie
      expect(await upgradeStatus(url, cookie)).toBe(101);

      // logout ends it, and a restart does not bring it back
      const out = await fetch(`${url}/api/session`, {
        method: 'DELETE',
        headers: { cookie, 'x-csrf-token': csrfToken },
      });
      expect(out.status).toBe(204);
      await platform.close();
      platform = await startTestPlatform({ dataDir: dir.path, database, clock });
      expect((await fetch(`${platform.dashboardUrl}/api/session`, { headers: { cookie } })).status).toBe(401);
      expect(await upgradeStatus(platform.dashboardUrl, cookie)).toBe(401);
    } finally {
      await platform.close();
      dir.remove();
    }
  });

  it('a session that timed out while the platform was down stays ended; activity not yet written is kept by a clean stop', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.now());
    const database = uniqueDatabase('sessions');
    let platform = await startTestPlatform({ dataDir: dir.path, database, clock });
    try {
      const idle = cookieOf(await login(platform.dashboardUrl), 'tryghed_session')!;
      const busy = cookieOf(await login(platform.dashboardUrl), 'tryghed_session')!;
      // 30 s after login: activity that is not written to the store at once (writes are throttled)
      clock.advance(30_000);
      expect(
        (await fetch(`${platform.dashboardUrl}/api/session`, { headers: { cookie: busy } })).status,
      ).toBe(200);
      await platform.close();
      // down for a while: 30 min 15 s after login, 29 min 45 s after the busy session's last request
      clock.advance(29 * MINUTE + 45_000);
      platform = await startTestPlatform({ dataDir: dir.path, database, clock });
      // the start swept the ended session out of the store, before anyone asked for it
      const db = new Database(`${dir.path}/tryghed.sqlite`, { readonly: true });
      const left = db.prepare('SELECT id_hash FROM sessions').all() as Array<{ id_hash: string }>;
      db.close();
      const hashOf = (cookie: string) =>
        createHash('sha256').update(cookie.slice('tryghed_session='.length)).digest('hex');
      expect(left.map((r) => r.id_hash)).toEqual([hashOf(busy)]);
      const status = (cookie: string) =>
        fetch(`${platform.dashboardUrl}/api/session`, { headers: { cookie } }).then((r) => r.status);
      expect(await status(idle)).toBe(401);
      expect(await status(busy)).toBe(200);
    } finally {
      await platform.close();
      dir.remove();
    }
  });
});
