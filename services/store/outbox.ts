import type { Db } from './open.ts';
import type { Tables } from './tables.ts';
import type { NoticeOutboxRepository, OutboxRow, OutboxState } from './types.ts';

type Raw = Tables['notice_outbox'];

function toRow(r: Raw): OutboxRow {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    channel: r.channel,
    alertId: r.alert_id,
    homeId: r.home_id,
    payload: r.payload,
    state: r.state as OutboxState,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    settledAt: r.settled_at,
    lastError: r.last_error,
    claimedBy: r.claimed_by,
    claimedUntil: r.claimed_until,
  };
}

export function noticeOutbox(db: Db): NoticeOutboxRepository {
  return {
    async enqueue(n) {
      const result = await db
        .insertInto('notice_outbox')
        .values({
          id: n.id,
          idempotency_key: n.idempotencyKey,
          channel: n.channel,
          alert_id: n.alertId,
          home_id: n.homeId,
          payload: n.payload,
          state: 'pending',
          attempts: 0,
          next_attempt_at: n.createdAt,
          created_at: n.createdAt,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async claim(owner, now, until, limit) {
      const candidates = await db
        .selectFrom('notice_outbox')
        .select('id')
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
      const won: string[] = [];
      for (const { id } of candidates) {
        // conditional: another process that claimed (or settled) the row since we read it wins
        const result = await db
          .updateTable('notice_outbox')
          .set({ claimed_by: owner, claimed_until: until })
          .where('id', '=', id)
          .where('state', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) won.push(id);
      }
      if (won.length === 0) return [];
      const rows = await db
        .selectFrom('notice_outbox')
        .selectAll()
        .where('id', 'in', won)
        .where('claimed_by', '=', owner)
        .orderBy('next_attempt_at')
        .execute();
      return rows.map(toRow);
    },

    async delivered(id, owner, at, attempts) {
      const result = await db
        .updateTable('notice_outbox')
        .set({
          state: 'delivered',
          attempts,
          delivered_at: at,
          settled_at: at,
          last_error: null,
          claimed_by: null,
          claimed_until: null,
        })
        .where('id', '=', id)
        .where('claimed_by', '=', owner)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async retryAt(id, owner, attempts, nextAttemptAt, error) {
      const result = await db
        .updateTable('notice_outbox')
        .set({
          attempts,
          next_attempt_at: nextAttemptAt,
          last_error: error,
          claimed_by: null,
          claimed_until: null,
        })
        .where('id', '=', id)
        .where('claimed_by', '=', owner)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async giveUp(id, owner, at, attempts, error) {
      const result = await db
        .updateTable('notice_outbox')
        .set({
          state: 'given_up',
          attempts,
          settled_at: at,
          last_error: error,
          claimed_by: null,
          claimed_until: null,
        })
        .where('id', '=', id)
        .where('claimed_by', '=', owner)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async cancelForAlert(alertId, channels, at, reason) {
      if (channels.length === 0) return 0;
      const result = await db
        .updateTable('notice_outbox')
        .set({
          state: 'cancelled',
          settled_at: at,
          last_error: reason,
          claimed_by: null,
          claimed_until: null,
        })
        .where('alert_id', '=', alertId)
        .where('channel', 'in', channels)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async undelivered({ since, pendingBefore, homeIds, alertId, limit }) {
      if (homeIds && homeIds.length === 0) return [];
      let q = db
        .selectFrom('notice_outbox')
        .selectAll()
        // made in the period, or given up in it (a notice given up for its age was made before)
        .where((eb) => eb.or([eb('created_at', '>=', since), eb('settled_at', '>=', since)]))
        .where((eb) =>
          eb.or([
            eb('state', '=', 'given_up'),
            eb.and([eb('state', '=', 'pending'), eb('created_at', '<=', pendingBefore)]),
          ]),
        );
      if (homeIds) q = q.where('home_id', 'in', homeIds);
      if (alertId !== undefined) q = q.where('alert_id', '=', alertId);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(toRow);
    },

    async byKey(key) {
      const row = await db
        .selectFrom('notice_outbox')
        .selectAll()
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return row ? toRow(row) : null;
    },

    async pendingStats() {
      const row = await db
        .selectFrom('notice_outbox')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('state', '=', 'pending')
        .executeTakeFirstOrThrow();
      const oldest = row.oldest as number | string | null;
      return { pending: Number(row.n), oldestCreatedAt: oldest === null ? null : Number(oldest) };
    },
  };
}
