import { createHmac } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Db } from './open.ts';
import type { Engine, Tables } from './tables.ts';
import type { LoginLimitRepository, LoginLimitState, SessionRepository, StoredSession } from './types.ts';

const toSession = (r: Selectable<Tables['sessions']>): StoredSession => ({
  idHash: r.id_hash,
  userId: r.user_id,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

export function sessions(db: Db): SessionRepository {
  return {
    async create(s) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: s.idHash,
          user_id: s.userId,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
        })
        .execute();
    },
    async get(idHash) {
      const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return r ? toSession(r) : null;
    },
    async touch(idHash, lastSeenAt) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: lastSeenAt })
        .where('id_hash', '=', idHash)
        .where('last_seen_at', '<', lastSeenAt)
        .execute();
    },
    async delete(idHash) {
      const r = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async deleteExpired(idleBefore, createdBefore) {
      const rows = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)]))
        .returning('id_hash')
        .execute();
      return rows.map((r) => r.id_hash);
    },
    async deleteOfUser(userId) {
      const rows = await db
        .deleteFrom('sessions')
        .where('user_id', '=', userId)
        .returning('id_hash')
        .execute();
      return rows.map((r) => r.id_hash);
    },
  };
}

const toLimit = (r: Selectable<Tables['login_limits']>): LoginLimitState => ({
  failures: r.failures,
  lockLevel: r.lock_level,
  lockedUntil: r.locked_until,
  lastFailureAt: r.last_failure_at,
});

export async function loginLimits(db: Db, engine: Engine): Promise<LoginLimitRepository> {
  const { key: secret } = await db
    .selectFrom('instance_keys')
    .select('key')
    .where('name', '=', 'login_limits')
    .executeTakeFirstOrThrow();
  const keyOf = (key: string) => createHmac('sha256', secret).update(key).digest('base64url');
  const get = async (trx: Db, hashed: string) => {
    const r = await trx.selectFrom('login_limits').selectAll().where('key', '=', hashed).executeTakeFirst();
    return r ? toLimit(r) : null;
  };
  return {
    async get(key) {
      return get(db, keyOf(key));
    },
    async update(key, change) {
      const hashed = keyOf(key);
      return db.transaction().execute(async (trx) => {
        // Several processes count one account's failures: the key's lock makes read, change and
        // write one step (a row lock cannot, while the row does not exist yet). SQLite has one writer.
        if (engine === 'postgres')
          await sql`SELECT pg_advisory_xact_lock(hashtextextended(${hashed}, 0))`.execute(trx);
        const next = change(await get(trx, hashed));
        if (next) {
          const row = {
            failures: next.failures,
            lock_level: next.lockLevel,
            locked_until: next.lockedUntil,
            last_failure_at: next.lastFailureAt,
          };
          await trx
            .insertInto('login_limits')
            .values({ key: hashed, ...row })
            .onConflict((oc) => oc.column('key').doUpdateSet(row))
            .execute();
        } else await trx.deleteFrom('login_limits').where('key', '=', hashed).execute();
        return next;
      });
    },
    async delete(key) {
      await db.deleteFrom('login_limits').where('key', '=', keyOf(key)).execute();
    },
    async sweep(before) {
      const r = await db
        .deleteFrom('login_limits')
        .where('last_failure_at', '<', before)
        .where('locked_until', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
