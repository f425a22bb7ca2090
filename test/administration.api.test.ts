import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { loadConfig } from '../platform/config.ts';
import { settingsInForce } from '../platform/settings-in-force.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';

const SECRETS = {
  FALLBACK_WEBHOOK_URL: 'https://hooks.example.org/fallback-secret-path',
  SMS_GATEWAY_URL: 'https://sms.example.org/send',
  SMS_GATEWAY_TOKEN: 'tok-very-secret-123',
  SMS_FALLBACK_NUMBERS: 'vagt=+4512345678,+4587654321',
  TEAM_WEBHOOKS: '{"t":"https://hooks.example.org/team-t-secret"}',
  TECHNICIAN_WEBHOOK_URL: 'https://hooks.example.org/tech-secret',
  ESCALATE_HIGH_S: '240',
};

describe('administration: users, teams, homes, password reset, settings in force', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let url: string;
  let admin: ApiClient;
  /** the audit entries written so far, oldest first */
  const auditLog = () => {
    const db = new Database(f.path, { readonly: true });
    try {
      return db
        .prepare('SELECT action, home_id, purpose, detail, actor_role FROM audit ORDER BY id')
        .all() as Array<{
        action: string;
        home_id: string | null;
        purpose: string;
        detail: string | null;
        actor_role: string;
      }>;
    } finally {
      db.close();
    }
  };
  // the audit write is not awaited by the route; give it its turn
  const settled = () => new Promise((r) => setTimeout(r, 50));

  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 9, 0));
    await addUser(f, 'admin', 'admin', PASSWORD);
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    await addUser(f, 'tekla', 'technician', PASSWORD);
    dashboard = await startTestDashboard(f, { settingsInForce: settingsInForce(loadConfig({}, SECRETS)) });
    url = dashboard.url;
    admin = await ApiClient.login(url, 'admin', PASSWORD);
  });
  afterEach(async () => {
    await dashboard.close();
    await f.close();
  });

  it('only an administrator may list, change, reset or see the settings: staff and technicians get 403', async () => {
    const anna = await f.store.users.byUsername('anna');
    await admin.ok('POST', '/api/homes', { id: 'home-1', label: 'Hjem 1', teamId: 't' });
    for (const who of ['anna', 'tekla']) {
      const c = await ApiClient.login(url, who, PASSWORD);
      const calls: Array<[string, string, unknown?]> = [
        ['GET', '/api/users'],
        ['PATCH', `/api/users/${anna!.id}`, { role: 'admin' }],
        ['POST', `/api/users/${anna!.id}/password-reset`, {}],
        ['PATCH', '/api/teams/t', { name: 'Overtaget' }],
        ['PATCH', '/api/homes/home-1/details', { teamId: 't', label: 'x' }],
        ['GET', '/api/administration/settings'],
      ];
      for (const [method, path, body] of calls) {
        expect((await c.request(method, path, body)).status, `${who} ${method} ${path}`).toBe(403);
      }
    }
    expect((await f.store.users.byUsername('anna'))!.role).toBe('staff');
    expect((await f.store.teams.get('t'))!.name).toBe('T');
  });

  it('a Monday: a new team, a staff user in it, moved and renamed; a home moved to the team; each change audited', async () => {
    await admin.ok('POST', '/api/teams', { id: 'team-syd', name: 'Team Syd' });
    const { user } = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
      username: 'bent',
      password: PASSWORD,
      displayName: 'Bent',
      role: 'staff',
      teamIds: ['t'],
    });
    const { users } = await admin.ok<{ users: Array<{ username: string; mustChangePassword: boolean }> }>(
      'GET',
      '/api/users',
    );
    expect(users.map((u) => u.username)).toEqual(['admin', 'anna', 'bent', 'tekla']);

    const updated = await admin.ok<{ user: { teamIds: string[]; displayName: string; role: string } }>(
      'PATCH',
      `/api/users/${user.id}`,
      { teamIds: ['team-syd'], displayName: 'Bent Hansen' },
    );
    expect(updated.user).toMatchObject({ teamIds: ['team-syd'], displayName: 'Bent Hansen', role: 'staff' });
    // an unknown team is refused in words, and nothing changes
    const bad = await admin.request('PATCH', `/api/users/${user.id}`, { teamIds: ['nope'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('no team nope');
    // a citizen needs a home
    expect((await admin.request('PATCH', `/api/users/${user.id}`, { role: 'citizen' })).status).toBe(400);

    const team = await admin.ok<{ team: { name: string } }>('PATCH', '/api/teams/team-syd', { name: 'Syd' });
    expect(team.team.name).toBe('Syd');
    expect((await admin.request('PATCH', '/api/teams/nope', { name: 'x' })).status).toBe(404);

    await admin.ok('POST', '/api/homes', { id: 'home-1', label: 'Hjem 1', teamId: 't' });
    const moved = await admin.ok<{ home: { teamId: string; label: string; timezone: string } }>(
      'PATCH',
      '/api/homes/home-1/details',
      { teamId: 'team-syd', label: 'Hjem Et', timezone: 'Europe/Copenhagen' },
    );
    expect(moved.home).toMatchObject({ teamId: 'team-syd', label: 'Hjem Et' });
    expect(f.registry.home('home-1')!.teamId).toBe('team-syd');
    expect((await admin.request('PATCH', '/api/homes/home-1/details', { teamId: 'nope' })).status).toBe(400);

    // Bent now sees the home his new team cares for
    const bent = await ApiClient.login(url, 'bent', PASSWORD);
    const seen = await bent.ok<{ homes: Array<{ id: string }> }>('GET', '/api/homes');
    expect(seen.homes.map((h) => h.id)).toEqual(['home-1']);

    await settled();
    const log = auditLog().filter((e) => e.actor_role === 'admin');
    expect(log.map((e) => [e.action, e.detail])).toEqual(
      expect.arrayContaining([
        ['team.create', 'team-syd'],
        ['user.create', user.id],
        ['user.update', `${user.id} displayName,teamIds=team-syd`],
        ['team.update', 'team-syd name'],
        ['home.update', 'label,teamId'],
      ]),
    );
    // the home's own log (what the citizen is shown) has the move
    expect(log.find((e) => e.action === 'home.update')!.home_id).toBe('home-1');
    // refused changes are not recorded as changes
    expect(log.filter((e) => e.action === 'user.update')).toHaveLength(1);
  });

  it('a new account may have to choose its own password at the first login', async () => {
    await admin.ok('POST', '/api/users', {
      username: 'ny',
      password: PASSWORD,
      displayName: 'Ny',
      role: 'staff',
      teamIds: ['t'],
      mustChangePassword: true,
    });
    const ny = await ApiClient.login(url, 'ny', PASSWORD);
    expect(ny.user).toMatchObject({ mustChangePassword: true });
    expect((await ny.request('GET', '/api/alerts')).body).toMatchObject({
      error: 'password_change_required',
    });
    await ny.ok('POST', '/api/session/password', {
      currentPassword: PASSWORD,
      newPassword: 'my-own-password',
    });
    expect((await ny.request('GET', '/api/alerts')).status).toBe(200);
  });

  it('a session cannot guess its own password: wrong current passwords lock like wrong logins', async () => {
    const anna = await ApiClient.login(url, 'anna', PASSWORD);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await anna.request('POST', '/api/session/password', {
        currentPassword: `guess-${i}`,
        newPassword: 'a-new-password-1',
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // locked means locked: the right one too, and the password is unchanged
    const right = await anna.request('POST', '/api/session/password', {
      currentPassword: PASSWORD,
      newPassword: 'a-new-password-1',
    });
    expect(right.status).toBe(429);
    // once the lock ends, the old password still logs in: nothing was changed
    f.clock.advance(60_000);
    await ApiClient.login(url, 'anna', PASSWORD);
  });

  it("a changed role ends the person's sessions: a demoted administrator loses the rights at once", async () => {
    const other = await addUser(f, 'admin2', 'admin', PASSWORD);
    const second = await ApiClient.login(url, 'admin2', PASSWORD);
    expect((await second.request('GET', '/api/users')).status).toBe(200);
    await admin.ok('PATCH', `/api/users/${other.id}`, { role: 'staff', teamIds: ['t'] });
    expect((await second.request('GET', '/api/users')).status).toBe(401);
    const again = await ApiClient.login(url, 'admin2', PASSWORD);
    expect((await again.request('GET', '/api/users')).status).toBe(403);
  });

  it('the last administrator keeps the role', async () => {
    const me = await f.store.users.byUsername('admin');
    const res = await admin.request('PATCH', `/api/users/${me!.id}`, { role: 'staff' });
    expect(res.status).toBe(409);
    expect((await f.store.users.get(me!.id))!.role).toBe('admin');
  });

  it('after a reset the login only lets the person change the password; then everything works again', async () => {
    const anna = (await f.store.users.byUsername('anna'))!;
    const before = await ApiClient.login(url, 'anna', PASSWORD);
    const beforeLive = before.live();
    await beforeLive.opened;
    const closed = new Promise<number>((resolve) => beforeLive.socket.once('close', (code) => resolve(code)));
    const { temporaryPassword } = await admin.ok<{ temporaryPassword: string }>(
      'POST',
      `/api/users/${anna.id}/password-reset`,
      {},
    );
    expect(temporaryPassword).toMatch(/^[\w-]{16}$/);
    // the old password is gone
    await expect(ApiClient.login(url, 'anna', PASSWORD)).rejects.toThrow(/401/);
    // a session from before the reset is ended, and its live feed closed
    expect((await before.request('GET', '/api/alerts')).status).toBe(401);
    expect(await closed).toBe(4401);

    const limited = await ApiClient.login(url, 'anna', temporaryPassword);
    expect(limited.user).toMatchObject({ mustChangePassword: true });
    for (const [method, path] of [
      ['GET', '/api/alerts'],
      ['GET', '/api/homes'],
      ['GET', '/api/teams'],
    ] as const) {
      const res = await limited.request(method, path);
      expect(res.status, path).toBe(403);
      expect(res.body).toMatchObject({ error: 'password_change_required' });
    }
    expect((await limited.request('GET', '/api/session')).status).toBe(200);
    // the live board is closed too
    await expect(limited.live().opened).rejects.toThrow();

    // a wrong current password, or the same one again, is refused in words
    const wrong = await limited.request('POST', '/api/session/password', {
      currentPassword: 'not-it-at-all',
      newPassword: 'a-new-password-1',
    });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('currentPassword');
    const same = await limited.request('POST', '/api/session/password', {
      currentPassword: temporaryPassword,
      newPassword: temporaryPassword,
    });
    expect(same.status).toBe(400);

    expect(
      (
        await limited.request('POST', '/api/session/password', {
          currentPassword: temporaryPassword,
          newPassword: 'a-new-password-1',
        })
      ).status,
    ).toBe(204);
    expect((await limited.request('GET', '/api/alerts')).status).toBe(200);
    const again = await ApiClient.login(url, 'anna', 'a-new-password-1');
    expect(again.user).toMatchObject({ mustChangePassword: false });

    // an administrator may set the temporary password themselves
    const set = await admin.ok<{ temporaryPassword: string }>(
      'POST',
      `/api/users/${anna.id}/password-reset`,
      {
        password: 'chosen-temp-1',
      },
    );
    expect(set.temporaryPassword).toBe('chosen-temp-1');
    await settled();
    const log = auditLog();
    expect(
      log.filter((e) => e.action === 'user.password_reset').map((e) => [e.actor_role, e.detail]),
    ).toEqual([
      ['admin', anna.id],
      ['admin', anna.id],
    ]);
    expect(
      log.filter((e) => e.action === 'user.password_change').map((e) => [e.actor_role, e.detail]),
    ).toEqual([['staff', anna.id]]);
    // never a password in the log
    expect(JSON.stringify(log)).not.toContain(temporaryPassword);
    expect(JSON.stringify(log)).not.toContain('chosen-temp-1');
  });

  it('the settings in force say what is set up, never a URL, token or phone number', async () => {
    await admin.ok('POST', '/api/teams', { id: 'team-syd', name: 'Team Syd' });
    const res = await admin.request('GET', '/api/administration/settings');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      settings: {
        escalation: { deadlineS: { critical: 60, high: 240, medium: 900, low: 0 }, renotifyMinS: 60 },
        notifiers: {
          fallbackWebhook: true,
          sms: { gateway: true, recipients: 2 },
          teamWebhooks: [
            { teamId: 't', configured: true },
            { teamId: 'team-syd', configured: false },
          ],
          technicianWebhook: true,
        },
      },
    });
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/https?:|example\.org|secret|tok-|\+45|12345678|vagt/);
  });
});
