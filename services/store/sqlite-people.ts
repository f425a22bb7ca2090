import { notFound } from '../runtime/index.ts';
import type { Db } from './sqlite-open.ts';
import type {
  Device,
  DeviceRepository,
  Home,
  HomeRepository,
  Team,
  TeamRepository,
  User,
  UserRepository,
} from './types.ts';

type Row = Record<string, unknown>;

const toHome = (r: Row): Home => ({
  id: r.id as string,
  label: r.label as string,
  teamId: r.team_id as string,
  timezone: r.timezone as string,
  settings: JSON.parse(r.settings as string) as Record<string, unknown>,
  test: r.test === 1,
  testUntil: (r.test_until as number | null) ?? null,
  createdAt: r.created_at as number,
});

const toDevice = (r: Row): Device => ({
  id: r.id as string,
  homeId: r.home_id as string,
  role: r.role as Device['role'],
  kinds: JSON.parse(r.kinds as string) as Device['kinds'],
  secretHash: r.secret_hash as string,
  test: r.test === 1,
  testUntil: (r.test_until as number | null) ?? null,
  reportIntervalS: (r.report_interval_s as number) ?? 300,
  createdAt: r.created_at as number,
});

export function sqliteHomes(db: Db): HomeRepository {
  const get = db.prepare('SELECT * FROM homes WHERE id = ?');
  const repo: HomeRepository = {
    async create(home) {
      const createdAt = home.createdAt ?? Date.now();
      db.prepare(
        'INSERT INTO homes (id, label, team_id, timezone, settings, test, test_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        home.id,
        home.label,
        home.teamId,
        home.timezone,
        JSON.stringify(home.settings),
        home.test ? 1 : 0,
        home.testUntil ?? null,
        createdAt,
      );
      return { ...home, testUntil: home.testUntil ?? null, createdAt };
    },
    async get(id) {
      const r = get.get(id) as Row | undefined;
      return r ? toHome(r) : null;
    },
    async list(filter = {}) {
      if (filter.teamIds) {
        if (filter.teamIds.length === 0) return [];
        const marks = filter.teamIds.map(() => '?').join(',');
        return (
          db
            .prepare(`SELECT * FROM homes WHERE team_id IN (${marks}) ORDER BY id`)
            .all(...filter.teamIds) as Row[]
        ).map(toHome);
      }
      return (db.prepare('SELECT * FROM homes ORDER BY id').all() as Row[]).map(toHome);
    },
    async update(id, patch) {
      const current = await repo.get(id);
      if (!current) throw notFound(`home ${id}`);
      const next = { ...current, ...patch };
      db.prepare(
        'UPDATE homes SET label = ?, team_id = ?, timezone = ?, settings = ?, test = ?, test_until = ? WHERE id = ?',
      ).run(
        next.label,
        next.teamId,
        next.timezone,
        JSON.stringify(next.settings),
        next.test ? 1 : 0,
        next.testUntil,
        id,
      );
      return next;
    },
  };
  return repo;
}

export function sqliteDevices(db: Db): DeviceRepository {
  const get = db.prepare('SELECT * FROM devices WHERE id = ?');
  return {
    async create(device) {
      const createdAt = device.createdAt ?? Date.now();
      db.prepare(
        'INSERT INTO devices (id, home_id, role, kinds, secret_hash, test, test_until, report_interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        device.id,
        device.homeId,
        device.role,
        JSON.stringify(device.kinds),
        device.secretHash,
        device.test ? 1 : 0,
        device.testUntil ?? null,
        device.reportIntervalS ?? 300,
        createdAt,
      );
      return {
        ...device,
        testUntil: device.testUntil ?? null,
        reportIntervalS: device.reportIntervalS ?? 300,
        createdAt,
      };
    },
    async createMany(devices) {
      const insert = db.prepare(
        'INSERT INTO devices (id, home_id, role, kinds, secret_hash, test, report_interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const now = Date.now();
      return db.transaction(() =>
        devices.map((device) => {
          const createdAt = device.createdAt ?? now;
          const reportIntervalS = device.reportIntervalS ?? 300;
          insert.run(
            device.id,
            device.homeId,
            device.role,
            JSON.stringify(device.kinds),
            device.secretHash,
            device.test ? 1 : 0,
            reportIntervalS,
            createdAt,
          );
          return { ...device, testUntil: null, reportIntervalS, createdAt };
        }),
      )();
    },
    async get(id) {
      const r = get.get(id) as Row | undefined;
      return r ? toDevice(r) : null;
    },
    async listByHome(homeId) {
      return (db.prepare('SELECT * FROM devices WHERE home_id = ? ORDER BY id').all(homeId) as Row[]).map(
        toDevice,
      );
    },
    async listAll() {
      return (db.prepare('SELECT * FROM devices ORDER BY id').all() as Row[]).map(toDevice);
    },
    async setSecretHash(id, secretHash) {
      db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(secretHash, id);
    },
    async replaceSecretHash(id, expected, secretHash) {
      return (
        db
          .prepare('UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?')
          .run(secretHash, id, expected).changes === 1
      );
    },
    async setHome(id, homeId) {
      db.prepare('UPDATE devices SET home_id = ? WHERE id = ?').run(homeId, id);
    },
    async remove(id) {
      db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    },
    async update(id, patch) {
      const current = get.get(id) as Row | undefined;
      if (!current) throw notFound(`device ${id}`);
      const next = { ...toDevice(current), ...patch };
      db.prepare('UPDATE devices SET test = ?, test_until = ?, report_interval_s = ? WHERE id = ?').run(
        next.test ? 1 : 0,
        next.testUntil,
        next.reportIntervalS,
        id,
      );
      return next;
    },
  };
}

export function sqliteUsers(db: Db): UserRepository {
  const teamsOf = db.prepare('SELECT team_id FROM team_members WHERE user_id = ? ORDER BY team_id');
  const toUser = (r: Row): User => ({
    id: r.id as string,
    username: r.username as string,
    displayName: r.display_name as string,
    role: r.role as User['role'],
    passwordHash: r.password_hash as string,
    homeId: (r.home_id as string | null) ?? null,
    teamIds: (teamsOf.all(r.id) as Array<{ team_id: string }>).map((t) => t.team_id),
    createdAt: r.created_at as number,
    mustChangePassword: r.must_change_password === 1,
  });
  return {
    async create(user) {
      const createdAt = user.createdAt ?? Date.now();
      const mustChangePassword = user.mustChangePassword ?? false;
      db.transaction(() => {
        db.prepare(
          'INSERT INTO users (id, username, display_name, role, password_hash, home_id, created_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          user.id,
          user.username,
          user.displayName,
          user.role,
          user.passwordHash,
          user.homeId,
          createdAt,
          mustChangePassword ? 1 : 0,
        );
        const member = db.prepare('INSERT INTO team_members (user_id, team_id) VALUES (?, ?)');
        for (const teamId of user.teamIds) member.run(user.id, teamId);
      })();
      return { ...user, createdAt, mustChangePassword };
    },
    async update(id, patch) {
      const r = db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new Error(`no user ${id}`);
      const next = { ...toUser(r), ...patch };
      db.transaction(() => {
        db.prepare(
          'UPDATE users SET display_name = ?, role = ?, password_hash = ?, home_id = ?, must_change_password = ? WHERE id = ?',
        ).run(
          next.displayName,
          next.role,
          next.passwordHash,
          next.homeId,
          next.mustChangePassword ? 1 : 0,
          id,
        );
        if (patch.teamIds) {
          db.prepare('DELETE FROM team_members WHERE user_id = ?').run(id);
          const member = db.prepare('INSERT INTO team_members (user_id, team_id) VALUES (?, ?)');
          for (const teamId of new Set(patch.teamIds)) member.run(id, teamId);
        }
      })();
      return { ...next, teamIds: patch.teamIds ? [...new Set(patch.teamIds)].sort() : next.teamIds };
    },
    async get(id) {
      const r = db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
      return r ? toUser(r) : null;
    },
    async byUsername(username) {
      const r = db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
      return r ? toUser(r) : null;
    },
    async list() {
      return (db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(toUser);
    },
  };
}

export function sqliteTeams(db: Db): TeamRepository {
  return {
    async create(team: Team) {
      db.prepare('INSERT INTO teams (id, name) VALUES (?, ?)').run(team.id, team.name);
      return team;
    },
    async get(id) {
      return (db.prepare('SELECT id, name FROM teams WHERE id = ?').get(id) as Team | undefined) ?? null;
    },
    async list() {
      return db.prepare('SELECT id, name FROM teams ORDER BY id').all() as Team[];
    },
    async rename(id, name) {
      if (db.prepare('UPDATE teams SET name = ? WHERE id = ?').run(name, id).changes === 0)
        throw new Error(`no team ${id}`);
      return { id, name };
    },
  };
}
