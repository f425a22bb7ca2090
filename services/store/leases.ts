import type { Db } from './open.ts';
import type { Engine } from './tables.ts';
import type { LeaseFence, RuleLeaseRepository } from './types.ts';

/**
 * Inside a write's transaction: the shard is still held by the fence's owner at its epoch. On
 * PostgreSQL the lease row is locked (`FOR SHARE`) until the write commits, so a takeover waits for
 * it and then sees what it wrote, never the other way round.
 */
export async function leaseHeld(trx: Db, engine: Engine, fence: LeaseFence): Promise<boolean> {
  let q = trx.selectFrom('rule_leases').select(['owner', 'epoch']).where('shard', '=', fence.shard);
  if (engine === 'postgres') q = q.forShare();
  const row = await q.executeTakeFirst();
  return row !== undefined && row.owner === fence.owner && Number(row.epoch) === fence.epoch;
}

/**
 * Shard leases (see `services/ownership`). Each write names what it expects to find (a member's
 * beat, a shard's owner and epoch) in its WHERE clause, so of two processes racing for the same row
 * exactly one changes it; PostgreSQL re-checks the condition on the row it locked.
 */
export function ruleLeases(db: Db): RuleLeaseRepository {
  return {
    async view() {
      const [members, shards] = await Promise.all([
        db.selectFrom('rule_lease_members').selectAll().execute(),
        db.selectFrom('rule_leases').selectAll().orderBy('shard').execute(),
      ]);
      return {
        members: members.map((m) => ({ owner: m.owner, beat: Number(m.beat), at: m.at })),
        shards: shards.map((s) => ({
          shard: Number(s.shard),
          owner: s.owner,
          epoch: Number(s.epoch),
          releasedAt: s.released_at,
        })),
      };
    },
    async join(owner, at) {
      await db.insertInto('rule_lease_members').values({ owner, beat: 0, at }).execute();
    },
    async beat(owner, beat, at) {
      const r = await db
        .updateTable('rule_lease_members')
        .set((eb) => ({ beat: eb('beat', '+', 1), at }))
        .where('owner', '=', owner)
        .where('beat', '=', beat)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async evict(owner, beat) {
      const r = await db
        .deleteFrom('rule_lease_members')
        .where('owner', '=', owner)
        .where('beat', '=', beat)
        .executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },
    async claim(shard, owner, from) {
      if (!from) {
        const r = await db
          .insertInto('rule_leases')
          .values({ shard, owner, epoch: 1, released_at: null })
          .onConflict((oc) => oc.column('shard').doNothing())
          .executeTakeFirst();
        return Number(r.numInsertedOrUpdatedRows ?? 0) === 1 ? 1 : null;
      }
      const r = await db
        .updateTable('rule_leases')
        .set({ owner, epoch: from.epoch + 1, released_at: null })
        .where('shard', '=', shard)
        .where('owner', '=', from.owner)
        .where('epoch', '=', from.epoch)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? from.epoch + 1 : null;
    },
    async release(owner, shards, at) {
      if (shards.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const { shard, epoch } of shards) {
          await trx
            .updateTable('rule_leases')
            .set({ owner: '', released_at: at })
            .where('shard', '=', shard)
            .where('owner', '=', owner)
            .where('epoch', '=', epoch)
            .execute();
        }
      });
    },
    async leave(owner) {
      await db.deleteFrom('rule_lease_members').where('owner', '=', owner).execute();
    },
  };
}
