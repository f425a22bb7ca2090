import type {
  LookMark,
  NightRoundLatest,
  NightRoundLook,
  NightRoundTimes,
  SensorKind,
} from '../domain/index.ts';
import type { Db } from './open.ts';
import type { NightRoundRepository } from './types.ts';

/** The night round's tables (services/night-round owns them). */
export function nightRound(db: Db): NightRoundRepository {
  const toLook = (r: {
    id: number;
    home_id: string;
    round_at: number;
    looked_at: number;
    looked_by: string;
    looked_by_role: string;
    mark: string;
  }): NightRoundLook => ({
    id: Number(r.id),
    homeId: r.home_id,
    roundAt: Number(r.round_at),
    lookedAt: Number(r.looked_at),
    lookedBy: r.looked_by,
    lookedByRole: r.looked_by_role,
    mark: r.mark as LookMark,
  });
  return {
    async allTimes() {
      const rows = await db.selectFrom('night_round_times').selectAll().execute();
      return rows.map(
        (r): NightRoundTimes => ({
          homeId: r.home_id,
          times: JSON.parse(r.times) as string[],
          updatedAt: Number(r.updated_at),
          updatedBy: r.updated_by,
        }),
      );
    },
    async setTimes(t) {
      const row = { times: JSON.stringify(t.times), updated_at: t.updatedAt, updated_by: t.updatedBy };
      await db
        .insertInto('night_round_times')
        .values({ home_id: t.homeId, ...row })
        .onConflict((oc) => oc.column('home_id').doUpdateSet(row))
        .execute();
    },
    async addLook(look) {
      const { id } = await db
        .insertInto('night_round_looks')
        .values({
          home_id: look.homeId,
          round_at: look.roundAt,
          looked_at: look.lookedAt,
          looked_by: look.lookedBy,
          looked_by_role: look.lookedByRole,
          mark: look.mark,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...look, id: Number(id) };
    },
    async looksSince(roundAtFrom) {
      const rows = await db
        .selectFrom('night_round_looks')
        .selectAll()
        .where('round_at', '>=', roundAtFrom)
        .orderBy('id')
        .execute();
      return rows.map(toLook);
    },
    async markEscalated(homeId, roundAt, at) {
      const r = await db
        .insertInto('night_round_escalations')
        .values({ home_id: homeId, round_at: roundAt, escalated_at: at })
        .onConflict((oc) => oc.columns(['home_id', 'round_at']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async escalationsSince(roundAtFrom) {
      const rows = await db
        .selectFrom('night_round_escalations')
        .selectAll()
        .where('round_at', '>=', roundAtFrom)
        .execute();
      return rows.map((r) => ({
        homeId: r.home_id,
        roundAt: Number(r.round_at),
        escalatedAt: Number(r.escalated_at),
      }));
    },
    async saveLatest(l) {
      const row = { value: l.value, since: l.since, last_at: l.lastAt };
      await db
        .insertInto('night_round_latest')
        .values({ home_id: l.homeId, kind: l.kind, ...row })
        .onConflict((oc) => oc.columns(['home_id', 'kind']).doUpdateSet(row))
        .execute();
    },
    async allLatest() {
      const rows = await db.selectFrom('night_round_latest').selectAll().execute();
      return rows.map(
        (r): NightRoundLatest => ({
          homeId: r.home_id,
          kind: r.kind as SensorKind,
          value: Number(r.value),
          since: Number(r.since),
          lastAt: Number(r.last_at),
        }),
      );
    },
    async forgetLatest(homeId, kinds) {
      if (kinds.length === 0) return;
      await db
        .deleteFrom('night_round_latest')
        .where('home_id', '=', homeId)
        .where('kind', 'in', [...kinds])
        .execute();
    },
  };
}
