import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StartError } from '../runtime/index.ts';
import { MIGRATIONS } from './schema.ts';

export type Db = Database.Database;

/** Opens (creating when needed) a SQLite file and brings its schema up to date. */
export function openSqlite(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (only an OS crash can lose the last transactions), which is what we want for alerts.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  if (version > MIGRATIONS.length) {
    throw new StartError(
      `database schema version ${version} is newer than this program knows (${MIGRATIONS.length}); upgrade Tryghed`,
    );
  }
  while (version < MIGRATIONS.length) {
    const sql = MIGRATIONS[version]!;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
    })();
    version++;
  }
}
