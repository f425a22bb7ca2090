import { type Kysely, sql } from 'kysely';
import { conflict } from '../runtime/index.ts';
import { closeDatabase, type OpenedDatabase, openDatabase, type StoreLocation } from './open.ts';
import { DATA_TABLES, SEQUENCED } from './tables.ts';

export interface CopyReport {
  /** rows copied per table, the same count read back from the target */
  tables: Array<{ table: string; rows: number }>;
}

const BATCH = 500;

/**
 * Copies a whole store to another database, e.g. an embedded SQLite file to PostgreSQL. Both are
 * brought to the current schema first (the source too: stop the platform before copying). The
 * target must be empty; every row keeps its id, the target's id sequences continue after the
 * copied ones, and the row counts of every table are compared at the end. All or nothing: the copy
 * runs in one transaction on the target.
 */
export async function copyStore(from: StoreLocation, to: StoreLocation): Promise<CopyReport> {
  const source = await openDatabase(from);
  let target: OpenedDatabase | undefined;
  try {
    target = await openDatabase(to);
    const src = source.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const dst = target.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const engine = target.engine;
    for (const table of DATA_TABLES) {
      // a fresh database holds only its own random keys, which the copy replaces
      if (table === 'instance_keys') continue;
      if ((await count(dst, table)) > 0)
        throw conflict(
          `the target store is not empty (table ${table} has rows): copy only into a new database`,
        );
    }
    await dst.transaction().execute(async (trx) => {
      await trx.deleteFrom('instance_keys').execute();
      for (const table of DATA_TABLES) {
        for (let offset = 0; ; offset += BATCH) {
          const rows = await src
            .selectFrom(table)
            .selectAll()
            .orderBy(sql.raw(keyOrder(table)))
            .limit(BATCH)
            .offset(offset)
            .execute();
          if (rows.length > 0) await trx.insertInto(table).values(rows).execute();
          if (rows.length < BATCH) break;
        }
      }
      if (engine === 'postgres') {
        for (const [table, column] of SEQUENCED) {
          // the next id after the largest copied one (or 1 for an empty table)
          await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}),
            COALESCE((SELECT MAX(${sql.ref(column)}) FROM ${sql.table(table)}), 0) + 1, false)`.execute(trx);
        }
      }
    });
    const tables: CopyReport['tables'] = [];
    for (const table of DATA_TABLES) {
      const rows = await count(src, table);
      const copied = await count(dst, table);
      if (copied !== rows)
        throw new Error(`copy check failed: ${table} has ${rows} rows, the copy ${copied}`);
      tables.push({ table, rows });
    }
    return { tables };
  } finally {
    await closeDatabase(source);
    if (target) await closeDatabase(target);
  }
}

/** A stable order to page through a table in: its primary key. */
function keyOrder(table: (typeof DATA_TABLES)[number]): string {
  switch (table) {
    case 'team_members':
      return 'user_id, team_id';
    case 'alert_events':
      return 'seq';
    case 'sessions':
      return 'id_hash';
    case 'login_limits':
      return 'key';
    case 'instance_keys':
      return 'name';
    case 'responder_cards':
      return 'home_id';
    case 'rule_state':
      return 'rule, key';
    case 'escalation_deadlines':
      return 'alert_id';
    case 'resend_windows':
      return 'device_id';
    case 'notice_outbox':
      return 'id';
    case 'night_round_times':
      return 'home_id';
    case 'night_round_escalations':
      return 'home_id, round_at';
    case 'night_round_latest':
      return 'home_id, kind';
    default:
      return 'id';
  }
}

async function count(db: Kysely<Record<string, Record<string, unknown>>>, table: string): Promise<number> {
  const r = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
