import type { Selectable } from 'kysely';
import { type Clock, notFound, systemClock } from '../runtime/index.ts';
import type { Db } from './open.ts';
import type { Tables } from './tables.ts';
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

const toHome = (r: Selectable<Tables['homes']>): Home => ({
  id: r.id,
  label: r.label,
  teamId: r.team_id,
  timezone: r.timezone,
  settings: JSON.parse(r.settings) as Record<string, unknown>,
  test: r.test === 1,
  testUntil: r.test_until ?? null,
  createdAt: r.created_at,
});

const toDevice = (r: Selectable<Tables['devices']>): Device => ({
  id: r.id,
  homeId: r.home_id,
  role: r.role as Device['role'],
  kinds: JSON.parse(r.kinds) as Device['kinds'],
  secretHash: r.secret_hash,
  test: r.test === 1,
  testUntil: r.test_until ?? null,
  reportIntervalS: r.report_interval_s ?? 300,
  createdAt: r.created_at,
});

export function homes(db: Db, clock: Clock = systemClock): HomeRepository {
  const repo: HomeRepository = {
    async create(home) {
      const createdAt = home.createdAt ?? clock.now();
      await db
        .insertInto('homes')
        .values({
          id: home.id,
          label: home.label,
          team_id: home.teamId,
          timezone: home.timezone,
          settings: JSON.stringify(home.settings),
          test: home.test ? 1 : 0,
          test_until: home.testUntil ?? null,
          created_at: createdAt,
        })
        .execute();
      return { ...home, testUntil: home.testUntil ?? null, createdAt };
    },
    async get(id) {
      const r = await db.selectFrom('homes').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toHome(r) : null;
    },
    async list(filter = {}) {
      let q = db.selectFrom('homes').selectAll().orderBy('id');
      if (filter.teamIds) {
        if (filter.teamIds.length === 0) return [];
        q = q.where('team_id', 'in', filter.teamIds);
      }
      return (await q.execute()).map(toHome);
    },
    async update(id, patch) {
      // only what is given is written, so a change made meanwhile by another process to another field stays
      const set: Partial<Tables['homes']> = {};
      if (patch.label !== undefined) set.label = patch.label;
      if (patch.teamId !== undefined) set.team_id = patch.teamId;
      if (patch.timezone !== undefined) set.timezone = patch.timezone;
      if (patch.settings !== undefined) set.settings = JSON.stringify(patch.settings);
      if (patch.test !== undefined) set.test = patch.test ? 1 : 0;
      if (patch.testUntil !== undefined) set.test_until = patch.testUntil;
      if (Object.keys(set).length > 0) {
        const r = await db.updateTable('homes').set(set).where('id', '=', id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw notFound(`home ${id}`);
      }
      const next = await repo.get(id);
      if (!next) throw notFound(`home ${id}`);
      return next;
    },
  };
  return repo;
}

export function devices(db: Db, clock: Clock = systemClock): DeviceRepository {
  const get = async (id: string) => {
    const r = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toDevice(r) : null;
  };
  return {
    async create(device) {
      const createdAt = device.createdAt ?? clock.now();
      await db
        .insertInto('devices')
        .values({
          id: device.id,
          home_id: device.homeId,
          role: device.role,
          kinds: JSON.stringify(device.kinds),
          secret_hash: device.secretHash,
          test: device.test ? 1 : 0,
          test_until: device.testUntil ?? null,
          report_interval_s: device.reportIntervalS ?? 300,
          created_at: createdAt,
        })
        .execute();
      return {
        ...device,
        testUntil: device.testUntil ?? null,
        reportIntervalS: device.reportIntervalS ?? 300,
        createdAt,
      };
    },
    async createMany(list) {
      if (list.length === 0) return [];
      const now = clock.now();
      const created = list.map((device) => ({
        ...device,
        testUntil: null,
        reportIntervalS: device.reportIntervalS ?? 300,
        createdAt: device.createdAt ?? now,
      }));
      // all or none, 500 rows a statement
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < created.length; i += 500) {
          await trx
            .insertInto('devices')
            .values(
              created.slice(i, i + 500).map((d) => ({
                id: d.id,
                home_id: d.homeId,
                role: d.role,
                kinds: JSON.stringify(d.kinds),
                secret_hash: d.secretHash,
                test: d.test ? 1 : 0,
                test_until: null,
                report_interval_s: d.reportIntervalS,
                created_at: d.createdAt,
              })),
            )
            .execute();
        }
      });
      return created;
    },
    get,
    async listByHome(homeId) {
      return (
        await db.selectFrom('devices').selectAll().where('home_id', '=', homeId).orderBy('id').execute()
      ).map(toDevice);
    },
    async listAll() {
      return (await db.selectFrom('devices').selectAll().orderBy('id').execute()).map(toDevice);
    },
    async setSecretHash(id, secretHash) {
      await db.updateTable('devices').set({ secret_hash: secretHash }).where('id', '=', id).execute();
    },
    async replaceSecretHash(id, expected, secretHash) {
      const r = await db
        .updateTable('devices')
        .set({ secret_hash: secretHash })
        .where('id', '=', id)
        .where('secret_hash', '=', expected)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async setHome(id, homeId) {
      await db.updateTable('devices').set({ home_id: homeId }).where('id', '=', id).execute();
    },
    async remove(id) {
      await db.deleteFrom('devices').where('id', '=', id).execute();
    },
    async update(id, patch) {
      const set: Partial<Tables['devices']> = {};
      if (patch.test !== undefined) set.test = patch.test ? 1 : 0;
      if (patch.testUntil !== undefined) set.test_until = patch.testUntil;
      if (patch.reportIntervalS !== undefined) set.report_interval_s = patch.reportIntervalS;
      if (Object.keys(set).length > 0) {
        const r = await db.updateTable('devices').set(set).where('id', '=', id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw notFound(`device ${id}`);
      }
      const next = await get(id);
      if (!next) throw notFound(`device ${id}`);
      return next;
    },
  };
}

export function users(db: Db, clock: Clock = systemClock): UserRepository {
  const toUsers = async (rows: Array<Selectable<Tables['users']>>): Promise<User[]> => {
    if (rows.length === 0) return [];
    const members = await db
      .selectFrom('team_members')
      .select(['user_id', 'team_id'])
      .$if(rows.length <= 100, (q) =>
        q.where(
          'user_id',
          'in',
          rows.map((r) => r.id),
        ),
      )
      .orderBy('team_id')
      .execute();
    const teamsOf = new Map<string, string[]>();
    for (const m of members) {
      const list = teamsOf.get(m.user_id);
      if (list) list.push(m.team_id);
      else teamsOf.set(m.user_id, [m.team_id]);
    }
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      role: r.role as User['role'],
      passwordHash: r.password_hash,
      homeId: r.home_id ?? null,
      teamIds: teamsOf.get(r.id) ?? [],
      createdAt: r.created_at,
      mustChangePassword: r.must_change_password === 1,
    }));
  };
  const one = async (rows: Array<Selectable<Tables['users']>>) => (await toUsers(rows))[0] ?? null;
  return {
    async create(user) {
      const createdAt = user.createdAt ?? clock.now();
      const mustChangePassword = user.mustChangePassword ?? false;
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id: user.id,
            username: user.username,
            display_name: user.displayName,
            role: user.role,
            password_hash: user.passwordHash,
            home_id: user.homeId,
            created_at: createdAt,
            must_change_password: mustChangePassword ? 1 : 0,
          })
          .execute();
        for (const teamId of user.teamIds)
          await trx.insertInto('team_members').values({ user_id: user.id, team_id: teamId }).execute();
      });
      return { ...user, createdAt, mustChangePassword };
    },
    async update(id, patch) {
      const set: Partial<Tables['users']> = {};
      if (patch.displayName !== undefined) set.display_name = patch.displayName;
      if (patch.role !== undefined) set.role = patch.role;
      if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
      if (patch.homeId !== undefined) set.home_id = patch.homeId;
      if (patch.mustChangePassword !== undefined) set.must_change_password = patch.mustChangePassword ? 1 : 0;
      await db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
        if (!found) throw new Error(`no user ${id}`);
        if (Object.keys(set).length > 0)
          await trx.updateTable('users').set(set).where('id', '=', id).execute();
        if (patch.teamIds) {
          await trx.deleteFrom('team_members').where('user_id', '=', id).execute();
          for (const teamId of new Set(patch.teamIds))
            await trx.insertInto('team_members').values({ user_id: id, team_id: teamId }).execute();
        }
      });
      const next = await one(await db.selectFrom('users').selectAll().where('id', '=', id).execute());
      if (!next) throw new Error(`no user ${id}`);
      return next;
    },
    async get(id) {
      return one(await db.selectFrom('users').selectAll().where('id', '=', id).execute());
    },
    async byUsername(username) {
      return one(await db.selectFrom('users').selectAll().where('username', '=', username).execute());
    },
    async list() {
      return toUsers(await db.selectFrom('users').selectAll().orderBy('username').execute());
    },
  };
}

export function teams(db: Db): TeamRepository {
  return {
    async create(team: Team) {
      await db.insertInto('teams').values({ id: team.id, name: team.name }).execute();
      return team;
    },
    async get(id) {
      return (
        (await db.selectFrom('teams').select(['id', 'name']).where('id', '=', id).executeTakeFirst()) ?? null
      );
    },
    async list() {
      return db.selectFrom('teams').select(['id', 'name']).orderBy('id').execute();
    },
    async rename(id, name) {
      const r = await db.updateTable('teams').set({ name }).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new Error(`no team ${id}`);
      return { id, name };
    },
  };
}
