import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PendingLogins } from '../dashboard/server/identity/index.ts';
import type { Dashboard, DashboardOptions } from '../dashboard/server/index.ts';
import { addressKey } from '../dashboard/server/login-limit.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';
const MINUTE = 60_000;

describe('login cannot be brute-forced around the limit', () => {
  let f: Fixture;
  const dashboards: Dashboard[] = [];
  const start = async (options: Partial<DashboardOptions> = {}) => {
    const d = await startTestDashboard(f, options);
    dashboards.push(d);
    return d.url;
  };
  const attempt = (url: string, username: string, password: string, forwardedFor?: string) =>
    fetch(`${url}/api/session`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      body: JSON.stringify({ username, password }),
    });
  const status = async (...args: Parameters<typeof attempt>) => (await attempt(...args)).status;

  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 9, 0));
    await addUser(f, 'admin', 'admin', PASSWORD);
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    await addUser(f, 'bo', 'staff', PASSWORD, { teamIds: ['t'] });
  });
  afterEach(async () => {
    for (const d of dashboards.splice(0)) await d.close();
    await f.close();
  });

  it('without TRUST_PROXY a rotating X-Forwarded-For is ignored: 40 wrong admin passwords are refused after 10', async () => {
    const url = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await status(url, 'admin', `guess-${i}`, `10.0.${i}.1`));
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(30).fill(429));
    // locked means locked: the right password too, with when to come back
    const locked = await attempt(url, 'admin', PASSWORD, '10.9.9.9');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('60');
    // and the lock ends by itself
    f.clock.advance(MINUTE);
    expect(await status(url, 'admin', PASSWORD)).toBe(200);
  });

  it('50 usernames from one address: refused after 30, also for a right password from there', async () => {
    const url = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push(await status(url, `user-${i}`, 'wrong-password'));
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(Array(20).fill(429));
    expect(await status(url, 'anna', PASSWORD)).toBe(429);
  });

  it('with TRUST_PROXY the forwarded address counts: limits per address (an IPv6 /64 is one) and per account across addresses', async () => {
    const url = await start({ trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 30; i++) expect(await status(url, `user-${i}`, 'wrong', '203.0.113.7')).toBe(401);
    expect(await status(url, 'anna', PASSWORD, '203.0.113.7')).toBe(429);
    // another client is not held up by that one
    expect(await status(url, 'anna', PASSWORD, '203.0.113.8')).toBe(200);

    for (let i = 1; i <= 30; i++) expect(await status(url, `v6-${i}`, 'wrong', `2001:db8::${i}`)).toBe(401);
    expect(await status(url, 'anna', PASSWORD, '2001:db8::ffff')).toBe(429);
    expect(await status(url, 'anna', PASSWORD, '2001:db8:0:1::1')).toBe(200);

    // one account, guessed at from ten addresses: the eleventh address is refused, right password or not
    for (let i = 1; i <= 10; i++) expect(await status(url, 'bo', 'wrong', `198.51.100.${i}`)).toBe(401);
    expect(await status(url, 'bo', PASSWORD, '198.51.100.200')).toBe(429);
  });

  it('a lock ends by itself: 1, 2, 4, 8, then at most 15 minutes; a success forgets the failures', async () => {
    const url = await start();
    for (let i = 0; i < 10; i++) expect(await status(url, 'anna', 'wrong')).toBe(401);
    const waits: string[] = [];
    for (let round = 0; round < 6; round++) {
      const refused = await attempt(url, 'anna', 'wrong');
      expect(refused.status).toBe(429);
      const seconds = refused.headers.get('retry-after')!;
      waits.push(seconds);
      f.clock.advance(Number(seconds) * 1000);
      // one more guess once the lock has ended, and it locks again for longer
      expect(await status(url, 'anna', 'wrong')).toBe(401);
    }
    expect(waits).toEqual(['60', '120', '240', '480', '900', '900']);
    f.clock.advance(15 * MINUTE);
    expect(await status(url, 'anna', PASSWORD)).toBe(200);
    // the success forgot the account's failures: nine wrong ones later it is not locked
    for (let i = 0; i < 9; i++) expect(await status(url, 'anna', 'wrong')).toBe(401);
    expect(await status(url, 'anna', PASSWORD)).toBe(200);
  });

  it('an unknown username is locked like a known one, so a lock tells nothing about who exists', async () => {
    const url = await start({ trustProxy: ['127.0.0.1'] });
    for (const name of ['anna', 'nobody-here']) {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push(await status(url, name, 'wrong', `192.0.2.${i + 1}`));
      expect(statuses).toEqual([...Array(10).fill(401), 429]);
    }
  });

  it('an administrator ends a lock at once (audited); nobody else may', async () => {
    const url = await start();
    const admin = await ApiClient.login(url, 'admin', PASSWORD);
    const bo = await ApiClient.login(url, 'bo', PASSWORD);
    for (let i = 0; i < 10; i++) expect(await status(url, 'anna', 'wrong')).toBe(401);
    expect(await status(url, 'anna', PASSWORD)).toBe(429);
    expect((await bo.request('DELETE', '/api/users/anna/login-lock')).status).toBe(403);
    expect((await admin.request('DELETE', '/api/users/nobody/login-lock')).status).toBe(404);
    expect((await admin.request('DELETE', '/api/users/anna/login-lock')).status).toBe(204);
    expect(await status(url, 'anna', PASSWORD)).toBe(200);
    const anna = await f.store.users.byUsername('anna');
    // the audit write is not awaited by the route; it is one synchronous SQLite insert
    const db = new Database(f.path, { readonly: true });
    const audit = db.prepare("SELECT * FROM audit WHERE action = 'user.login_unlock'").all();
    db.close();
    expect(audit).toMatchObject([{ actor_role: 'admin', detail: anna!.id, purpose: 'administration' }]);
  });

  it('a burst sent in parallel gets no more guesses than one sent in a row', async () => {
    const url = await start();
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => status(url, 'anna', `g-${i}`)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('the counts are in the store: a second dashboard on the database refuses too, and neither names nor addresses are kept', async () => {
    const first = await start();
    for (let i = 0; i < 10; i++) expect(await status(first, 'anna', 'wrong')).toBe(401);
    const second = await start();
    expect(await status(second, 'anna', PASSWORD)).toBe(429);
    const db = new Database(f.path, { readonly: true });
    const rows = JSON.stringify(db.prepare('SELECT * FROM login_limits').all());
    db.close();
    expect(rows).not.toContain('anna');
    expect(rows).not.toContain('127.0.0.1');
  });

  it('an IPv6 client counts by its /64; an IPv4 address written as IPv6 is the IPv4 address', () => {
    expect(addressKey('2001:db8:0:0:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3');
  });
});

describe('redirect logins in flight are bounded', () => {
  const login = (startedAt: number) => ({ state: 's', nonce: 'n', codeVerifier: 'v', startedAt });

  it('a flood of starts keeps at most the newest; expired ones go; a handle works once', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
    const pending = new PendingLogins(clock, 10 * MINUTE, 3);
    const handles = Array.from({ length: 5 }, () => {
      clock.advance(1000);
      return pending.add(login(clock.now()));
    });
    expect(pending.size).toBe(3);
    // the two oldest made room
    expect(pending.take(handles[0])).toBeUndefined();
    expect(pending.take(handles[1])).toBeUndefined();
    expect(pending.take(handles[4])).toBeDefined();
    expect(pending.take(handles[4])).toBeUndefined();
    // ten minutes on, the rest have expired: taken they are nothing, and a new start sweeps them out
    clock.advance(10 * MINUTE + 1);
    expect(pending.take(handles[2])).toBeUndefined();
    pending.add(login(clock.now()));
    expect(pending.size).toBe(1);
  });
});
