import { leaseHeld } from './leases.ts';
import type { Db } from './open.ts';
import type { Engine } from './tables.ts';
import type {
  EscalationDeadlineRepository,
  ResendWindowRepository,
  RuleStateRepository,
  RuleStateRow,
} from './types.ts';

/** rows per statement when many are written at once (well under SQLite's variable limit) */
const CHUNK = 100;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export function ruleState(db: Db, engine: Engine): RuleStateRepository {
  const toRow = (r: { rule: string; key: string; home_id: string; state: string; updated_at: number }) => ({
    rule: r.rule,
    key: r.key,
    homeId: r.home_id,
    state: r.state,
    updatedAt: r.updated_at,
  });
  return {
    async ofHomes(homeIds) {
      const out: RuleStateRow[] = [];
      for (let i = 0; i < homeIds.length; i += 500) {
        const part = homeIds.slice(i, i + 500);
        const rows = await db.selectFrom('rule_state').selectAll().where('home_id', 'in', part).execute();
        for (const r of rows) out.push(toRow(r));
      }
      return out;
    },
    async *all(pageSize = 5000) {
      let after: { rule: string; key: string } | null = null;
      for (;;) {
        let q = db.selectFrom('rule_state').selectAll().orderBy('rule').orderBy('key').limit(pageSize);
        if (after) {
          const { rule, key } = after;
          q = q.where((eb) =>
            eb.or([eb('rule', '>', rule), eb.and([eb('rule', '=', rule), eb('key', '>', key)])]),
          );
        }
        const rows = await q.execute();
        if (rows.length === 0) return;
        yield rows.map(toRow);
        if (rows.length < pageSize) return;
        const last = rows.at(-1)!;
        after = { rule: last.rule, key: last.key };
      }
    },
    async save(put, remove, fence) {
      if (put.length === 0 && remove.length === 0) return 0;
      return await db.transaction().execute(async (trx) => {
        let skipped = 0;
        let rows = put;
        let gone = remove;
        if (fence) {
          // the lease rows are locked until this commits: a takeover waits for it, then loads what it wrote
          let q = trx.selectFrom('rule_leases').select(['shard', 'epoch']).where('owner', '=', fence.owner);
          if (engine === 'postgres') q = q.forShare();
          const held = new Map((await q.execute()).map((r) => [Number(r.shard), Number(r.epoch)]));
          const stillHeld = (shard: number | undefined) =>
            shard === undefined ||
            (held.get(shard) !== undefined && held.get(shard) === fence.epochs.get(shard));
          rows = put.filter((r) => stillHeld(r.shard));
          gone = remove.filter((r) => stillHeld(r.shard));
          skipped = put.length - rows.length + remove.length - gone.length;
        }
        for (const part of chunks(gone)) {
          await trx
            .deleteFrom('rule_state')
            .where((eb) => eb.or(part.map((r) => eb.and([eb('rule', '=', r.rule), eb('key', '=', r.key)]))))
            .execute();
        }
        for (const part of chunks(rows)) {
          await trx
            .insertInto('rule_state')
            .values(
              part.map((r) => ({
                rule: r.rule,
                key: r.key,
                home_id: r.homeId,
                state: r.state,
                updated_at: r.updatedAt,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['rule', 'key']).doUpdateSet((eb) => ({
                home_id: eb.ref('excluded.home_id'),
                state: eb.ref('excluded.state'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
        return skipped;
      });
    },
    async removeHome(homeId) {
      await db.deleteFrom('rule_state').where('home_id', '=', homeId).execute();
    },
  };
}

export function escalationDeadlines(db: Db, engine: Engine): EscalationDeadlineRepository {
  return {
    async all() {
      const rows = await db.selectFrom('escalation_deadlines').selectAll().execute();
      return rows.map((r) => ({
        alertId: r.alert_id,
        dueAt: r.due_at,
        level: r.level,
        reminders: r.reminders,
        updatedAt: r.updated_at,
      }));
    },
    async put(d, fence) {
      const row = { due_at: d.dueAt, level: d.level, reminders: d.reminders, updated_at: d.updatedAt };
      const write = (q: Db) =>
        q
          .insertInto('escalation_deadlines')
          .values({ alert_id: d.alertId, ...row })
          .onConflict((oc) => oc.column('alert_id').doUpdateSet(row))
          .execute();
      if (!fence) {
        await write(db);
        return true;
      }
      return db.transaction().execute(async (trx) => {
        if (!(await leaseHeld(trx, engine, fence))) return false;
        await write(trx);
        return true;
      });
    },
    async delete(alertId) {
      await db.deleteFrom('escalation_deadlines').where('alert_id', '=', alertId).execute();
    },
  };
}

export function resendWindows(db: Db): ResendWindowRepository {
  return {
    async heardSince(since) {
      const rows = await db.selectFrom('resend_windows').selectAll().where('heard_at', '>=', since).execute();
      return rows.map((r) => ({ deviceId: r.device_id, state: r.state, heardAt: r.heard_at }));
    },
    async save(put, forgetBefore) {
      await db.transaction().execute(async (trx) => {
        for (const part of chunks(put)) {
          await trx
            .insertInto('resend_windows')
            .values(part.map((r) => ({ device_id: r.deviceId, state: r.state, heard_at: r.heardAt })))
            .onConflict((oc) =>
              oc.column('device_id').doUpdateSet((eb) => ({
                state: eb.ref('excluded.state'),
                heard_at: eb.ref('excluded.heard_at'),
              })),
            )
            .execute();
        }
        await trx.deleteFrom('resend_windows').where('heard_at', '<', forgetBefore).execute();
      });
    },
  };
}
