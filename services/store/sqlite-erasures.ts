import type { Db } from './sqlite-open.ts';
import type { ErasureRequest, ErasureRequestRepository } from './types.ts';

type Row = Record<string, unknown>;

const toErasure = (r: Row): ErasureRequest => ({
  id: r.id as number,
  homeId: r.home_id as string,
  requestedBy: r.requested_by as string,
  requesterRole: r.requester_role as string,
  onBehalfOf: (r.on_behalf_of as string | null) ?? null,
  scope: r.scope as ErasureRequest['scope'],
  requestedAt: r.requested_at as number,
  completedAt: r.completed_at as number,
  result: r.result as ErasureRequest['result'],
  detail: (r.detail as string | null) ?? null,
});

export function sqliteErasures(db: Db): ErasureRequestRepository {
  const insert = db.prepare(
    `INSERT INTO erasure_requests (home_id, requested_by, requester_role, on_behalf_of, scope, requested_at, completed_at, result, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    async record(e) {
      const info = insert.run(
        e.homeId,
        e.requestedBy,
        e.requesterRole,
        e.onBehalfOf,
        e.scope,
        e.requestedAt,
        e.completedAt,
        e.result,
        e.detail,
      );
      return { ...e, id: Number(info.lastInsertRowid) };
    },
    async listByHome(homeId) {
      return (
        db.prepare('SELECT * FROM erasure_requests WHERE home_id = ? ORDER BY id').all(homeId) as Row[]
      ).map(toErasure);
    },
  };
}
