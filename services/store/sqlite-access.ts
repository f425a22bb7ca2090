import { createHmac } from 'node:crypto';
import type { Db } from './sqlite-open.ts';
import type { LoginLimitRepository, LoginLimitState, SessionRepository, StoredSession } from './types.ts';

type Row = Record<string, unknown>;

const toSession = (r: Row): StoredSession => ({
  idHash: r.id_hash as string,
  userId: r.user_id as string,
  csrfToken: r.csrf_token as string,
  createdAt: r.created_at as number,
  lastSeenAt: r.last_seen_at as number,
});

export function sqliteSessions(db: Db): SessionRepository {
  const insert = db.prepare(
    'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
  );
  const select = db.prepare('SELECT * FROM sessions WHERE id_hash = ?');
  const touch = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?');
  const remove = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  const expired = db.prepare(
    'DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ? RETURNING id_hash',
  );
  return {
    async create(s) {
      insert.run(s.idHash, s.userId, s.csrfToken, s.createdAt, s.lastSeenAt);
    },
    async get(idHash) {
      const r = select.get(idHash) as Row | undefined;
      return r ? toSession(r) : null;
    },
    async touch(idHash, lastSeenAt) {
      touch.run(lastSeenAt, idHash, lastSeenAt);
    },
    async delete(idHash) {
      return remove.run(idHash).changes > 0;
    },
    async deleteExpired(idleBefore, createdBefore) {
      return (expired.all(idleBefore, createdBefore) as Row[]).map((r) => r.id_hash as string);
    },
    async deleteOfUser(userId) {
      return (
        db.prepare('DELETE FROM sessions WHERE user_id = ? RETURNING id_hash').all(userId) as Row[]
      ).map((r) => r.id_hash as string);
    },
  };
}

const toLimit = (r: Row): LoginLimitState => ({
  failures: r.failures as number,
  lockLevel: r.lock_level as number,
  lockedUntil: r.locked_until as number,
  lastFailureAt: r.last_failure_at as number,
});

export function sqliteLoginLimits(db: Db): LoginLimitRepository {
  const secret = (
    db.prepare("SELECT key FROM instance_keys WHERE name = 'login_limits'").get() as { key: Buffer }
  ).key;
  const keyOf = (key: string) => createHmac('sha256', secret).update(key).digest('base64url');
  const select = db.prepare('SELECT * FROM login_limits WHERE key = ?');
  const upsert = db.prepare(
    `INSERT INTO login_limits (key, failures, lock_level, locked_until, last_failure_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, lock_level = excluded.lock_level,
       locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at`,
  );
  const remove = db.prepare('DELETE FROM login_limits WHERE key = ?');
  const sweep = db.prepare('DELETE FROM login_limits WHERE last_failure_at < ? AND locked_until < ?');
  const get = (hashed: string) => {
    const r = select.get(hashed) as Row | undefined;
    return r ? toLimit(r) : null;
  };
  return {
    async get(key) {
      return get(keyOf(key));
    },
    async update(key, change) {
      const hashed = keyOf(key);
      return db.transaction(() => {
        const next = change(get(hashed));
        if (next) upsert.run(hashed, next.failures, next.lockLevel, next.lockedUntil, next.lastFailureAt);
        else remove.run(hashed);
        return next;
      })();
    },
    async delete(key) {
      remove.run(keyOf(key));
    },
    async sweep(before) {
      return sweep.run(before, before).changes;
    },
  };
}
