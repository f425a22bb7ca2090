import type { Selectable } from 'kysely';
import type { Db } from './open.ts';
import type { Tables } from './tables.ts';
import type { ErasureRequest, ErasureRequestRepository } from './types.ts';

const toErasure = (r: Selectable<Tables['erasure_requests']>): ErasureRequest => ({
  id: r.id,
  homeId: r.home_id,
  requestedBy: r.requested_by,
  requesterRole: r.requester_role,
  onBehalfOf: r.on_behalf_of ?? null,
  scope: r.scope as ErasureRequest['scope'],
  requestedAt: r.requested_at,
  completedAt: r.completed_at,
  result: r.result as ErasureRequest['result'],
  detail: r.detail ?? null,
});

export function erasures(db: Db): ErasureRequestRepository {
  return {
    async record(e) {
      const { id } = await db
        .insertInto('erasure_requests')
        .values({
          home_id: e.homeId,
          requested_by: e.requestedBy,
          requester_role: e.requesterRole,
          on_behalf_of: e.onBehalfOf,
          scope: e.scope,
          requested_at: e.requestedAt,
          completed_at: e.completedAt,
          result: e.result,
          detail: e.detail,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...e, id };
    },
    async listByHome(homeId) {
      return (
        await db
          .selectFrom('erasure_requests')
          .selectAll()
          .where('home_id', '=', homeId)
          .orderBy('id')
          .execute()
      ).map(toErasure);
    },
    async listSince(requestedFrom) {
      return (
        await db
          .selectFrom('erasure_requests')
          .selectAll()
          .where('requested_at', '>=', requestedFrom)
          .orderBy('id')
          .execute()
      ).map(toErasure);
    },
  };
}
