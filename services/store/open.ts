import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { StartError } from '../runtime/index.ts';
import { type Checkpointer, startCheckpointer } from './checkpointer.ts';
import { migrations, runStep } from './schema.ts';
import type { Engine, Tables } from './tables.ts';

export type Db = Kysely<Tables>;

export interface OpenedDatabase {
  db: Db;
  engine: Engine;
  /** a SQLite file's log checkpoints, off the main thread: stopped before `db` is destroyed */
  checkpointer?: Checkpointer;
}

/** closes what `openDatabase` opened: the checkpoint worker first, then the connection(s) */
export async function closeDatabase(opened: OpenedDatabase): Promise<void> {
  await opened.checkpointer?.stop();
  await opened.db.destroy();
}

/** Where the store lives: a SQLite file (`:memory:` for a throwaway one) or a PostgreSQL URL. */
export type StoreLocation = { sqlitePath: string } | { databaseUrl: string };

/** Opens the database (creating a SQLite file when needed) and brings its schema up to date. */
export async function openDatabase(location: StoreLocation): Promise<OpenedDatabase> {
  const opened =
    'databaseUrl' in location ? openPostgres(location.databaseUrl) : openSqlite(location.sqlitePath);
  try {
    await migrate(opened);
  } catch (err) {
    await closeDatabase(opened).catch(() => undefined);
    if (err instanceof StartError || !('databaseUrl' in location)) throw err;
    throw new StartError(
      `cannot open the store in PostgreSQL at ${serverOf(location.databaseUrl)} (DATABASE_URL): ${(err as Error).message}`,
      { setting: 'DATABASE_URL', cause: err },
    );
  }
  return opened;
}

/** host, port and database of a PostgreSQL URL: what a message may name (never the password) */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the server in DATABASE_URL';
  }
}

function openSqlite(path: string): OpenedDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (only an OS crash can lose the last transactions), which is what we want for alerts.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  return {
    db: new Kysely<Tables>({ dialect: new SqliteDialect({ database: cached(raw) }) }),
    engine: 'sqlite',
    ...(path !== ':memory:' ? { checkpointer: startCheckpointer(raw, path) } : {}),
  };
}

/**
 * The query layer prepares each statement it runs; better-sqlite3 keeps a prepared statement for
 * reuse, so the same SQL text is prepared once (the store builds the same few hundred texts over
 * and over on the hot paths).
 */
function cached(raw: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (!statement) {
        statement = raw.prepare(text);
        // texts with a list of values (`IN (?, ?, …)`) vary; keep the cache bounded
        if (statements.size >= 1000) statements.delete(statements.keys().next().value as string);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/** BIGINT (epoch ms, ids, counts) read back as numbers: every value the store keeps fits in 2^53. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function openPostgres(url: string): OpenedDatabase {
  const pool = new pg.Pool({ connectionString: url, types, max: 10, connectionTimeoutMillis: 10_000 });
  // an idle connection the server dropped must not take the process down; the next query reconnects
  pool.on('error', () => undefined);
  // nor one dropped while checked out between two statements (a transaction in progress): its
  // pending and next queries fail and are handled where they were made
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres' };
}

/** An arbitrary constant: the advisory lock processes starting at once take to migrate one at a time. */
const MIGRATION_LOCK = 7_427_001;

async function migrate({ db, engine }: OpenedDatabase): Promise<void> {
  const steps = migrations(engine);
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      if (engine === 'postgres') await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`.execute(trx);
      const row = await trx.selectFrom('schema_version').select('version').executeTakeFirst();
      if (!row) await trx.insertInto('schema_version').values({ version: 0 }).execute();
      const version = row?.version ?? 0;
      if (version > steps.length) {
        throw new StartError(
          `database schema version ${version} is newer than this program knows (${steps.length}); upgrade Tryghed`,
        );
      }
      if (version === steps.length) return true;
      for (const step of steps[version]!) await runStep(trx, step);
      await trx
        .updateTable('schema_version')
        .set({ version: version + 1 })
        .execute();
      return false;
    });
    if (done) return;
  }
}

/** The schema version a database has reached (0 for an empty one). */
export async function schemaVersion(db: Db): Promise<number> {
  const row = await db.selectFrom('schema_version').select('version').executeTakeFirst();
  return row?.version ?? 0;
}
