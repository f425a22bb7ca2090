import { type Insertable, type Selectable, sql } from 'kysely';
import type {
  Alert,
  AlertEvent,
  ConsentEvent,
  NotificationAttempt,
  PowerOfAttorney,
} from '../domain/index.ts';
import { type Clock, conflict, notFound, systemClock } from '../runtime/index.ts';
import { leaseHeld } from './leases.ts';
import type { Db } from './open.ts';
import { PreparedQuery } from './prepared.ts';
import type { Engine, Tables } from './tables.ts';
import type {
  AlertRepository,
  AuditEntry,
  AuditRepository,
  ConsentEventRepository,
  NotificationRepository,
  PowerOfAttorneyRepository,
} from './types.ts';

const toConsent = (r: Selectable<Tables['consent_events']>): ConsentEvent => ({
  id: r.id,
  homeId: r.home_id,
  category: r.category as ConsentEvent['category'],
  purpose: r.purpose as ConsentEvent['purpose'],
  action: r.action as ConsentEvent['action'],
  actorId: r.actor_id,
  actorRole: r.actor_role,
  onBehalfOf: r.on_behalf_of ?? null,
  channel: r.channel as ConsentEvent['channel'],
  textVersion: r.text_version,
  reference: r.reference ?? null,
  // a grant recorded before the basis column existed was the citizen's own consent
  basis: (r.basis as ConsentEvent['basis']) ?? (r.action === 'grant' ? 'own_consent' : null),
  reviewDue: r.review_due ?? null,
  at: r.at,
});

export function consent(db: Db): ConsentEventRepository {
  return {
    async append(e) {
      const { id } = await db
        .insertInto('consent_events')
        .values({
          home_id: e.homeId,
          category: e.category,
          purpose: e.purpose,
          action: e.action,
          actor_id: e.actorId,
          actor_role: e.actorRole,
          on_behalf_of: e.onBehalfOf,
          channel: e.channel,
          text_version: e.textVersion,
          reference: e.reference,
          basis: e.basis,
          review_due: e.reviewDue,
          at: e.at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...e, id };
    },
    async listByHome(homeId) {
      return (
        await db
          .selectFrom('consent_events')
          .selectAll()
          .where('home_id', '=', homeId)
          .orderBy('id')
          .execute()
      ).map(toConsent);
    },
    async listAll() {
      return (await db.selectFrom('consent_events').selectAll().orderBy('id').execute()).map(toConsent);
    },
  };
}

/**
 * An alert as read from the store carries its row version (not part of the alert as people see
 * it); a copy made with `{ ...alert }` keeps it, so the update that follows names the version it
 * was read as.
 */
const toAlert = (r: Selectable<Tables['alerts']>): Alert => ({
  id: r.id,
  homeId: r.home_id,
  rule: r.rule as Alert['rule'],
  category: r.category as Alert['category'],
  severity: r.severity as Alert['severity'],
  audience: r.audience as Alert['audience'],
  state: r.state as Alert['state'],
  openedAt: r.opened_at,
  lastSeenAt: r.last_seen_at,
  repeats: r.repeats,
  evidence: JSON.parse(r.evidence) as Alert['evidence'],
  acknowledgedBy: r.acknowledged_by ?? null,
  acknowledgedAt: r.acknowledged_at ?? null,
  enRouteBy: r.en_route_by ?? null,
  enRouteAt: r.en_route_at ?? null,
  arrivedBy: r.arrived_by ?? null,
  arrivedAt: r.arrived_at ?? null,
  resolvedBy: r.resolved_by ?? null,
  resolvedAt: r.resolved_at ?? null,
  outcome: (r.outcome as Alert['outcome']) ?? null,
  note: r.note ?? null,
  legalBasis: r.legal_basis ? (JSON.parse(r.legal_basis) as Alert['legalBasis']) : null,
  test: r.test === 1,
  escalationLevel: r.escalation_level ?? 0,
  version: r.version,
});

const toEvent = (r: Selectable<Tables['alert_events']>): AlertEvent => ({
  seq: r.seq,
  type: r.type as AlertEvent['type'],
  // an event written before the chain was timed has no "på vej"/"fremme" fields
  alert: { ...CHAIN_UNSET, ...(JSON.parse(r.alert) as Alert) },
});

const CHAIN_UNSET = { enRouteBy: null, enRouteAt: null, arrivedBy: null, arrivedAt: null } as const;

const alertColumns = (a: Alert) => ({
  state: a.state,
  last_seen_at: a.lastSeenAt,
  repeats: a.repeats,
  evidence: JSON.stringify(a.evidence),
  acknowledged_by: a.acknowledgedBy,
  acknowledged_at: a.acknowledgedAt,
  en_route_by: a.enRouteBy,
  en_route_at: a.enRouteAt,
  arrived_by: a.arrivedBy,
  arrived_at: a.arrivedAt,
  resolved_by: a.resolvedBy,
  resolved_at: a.resolvedAt,
  outcome: a.outcome,
  note: a.note,
  severity: a.severity,
  escalation_level: a.escalationLevel,
});

/**
 * PostgreSQL hands out event numbers when a row is inserted, not when it commits: two processes
 * writing at once could commit number 11 before 10, and a board resuming after 11 would never see
 * 10. Alert writes take this lock first, so numbers commit in order. (SQLite has one writer.)
 */
const ALERT_EVENTS_LOCK = 7_427_002;

/**
 * The home's unresolved alert for a rule: asked on every alarm. `resolved` is a literal, not a
 * parameter, so the partial index of active alerts (`alerts_one_active`) matches the statement as
 * prepared: SQLite otherwise prepares it again for each bound value to find that index (23 against
 * 8 µs a lookup, measured on a home with 2,000 alerts), and a generic plan on PostgreSQL never can.
 */
export const activeAlertQuery = (db: Db, homeId: string, rule: string) =>
  db
    .selectFrom('alerts')
    .selectAll()
    .where('home_id', '=', homeId)
    .where('rule', '=', rule)
    .where('state', '<>', sql.lit('resolved'));

/** The statements an alarm's alert is written with, compiled once (`prepared.ts`). */
const activeAlert = new PreparedQuery((db: Db, v: { homeId: string; rule: string }) =>
  activeAlertQuery(db, v.homeId, v.rule),
);
const insertAlert = new PreparedQuery((db: Db, row: Insertable<Tables['alerts']>) =>
  db.insertInto('alerts').values(row),
);
const insertAlertEvent = new PreparedQuery((db: Db, row: Insertable<Tables['alert_events']>) =>
  db.insertInto('alert_events').values(row).returning('seq'),
);
/** written only if the alert is still the version it was read as */
const updateAlertVersion = new PreparedQuery(
  (db: Db, v: ReturnType<typeof alertColumns> & { id: string; expected: number }) => {
    const { id, expected, ...columns } = v;
    return db
      .updateTable('alerts')
      .set({ ...columns, version: sql<number>`version + 1` })
      .where('id', '=', id)
      .where('version', '=', expected);
  },
);

export function alerts(db: Db, engine: Engine, clock: Clock = systemClock): AlertRepository {
  // an event tells what the alert became, as people see it: without the row version
  const record = async (trx: Db, written: Alert, type: AlertEvent['type']): Promise<AlertEvent> => {
    const { version: _version, ...a } = written;
    const { rows } = await insertAlertEvent.execute(trx, engine, {
      alert_id: a.id,
      home_id: a.homeId,
      type,
      alert: JSON.stringify(a),
      at: clock.now(),
    });
    const seq = rows[0]?.seq;
    if (seq === undefined) throw new Error('an alert event was written without its number');
    return { seq, type, alert: a };
  };
  const inOrder = async (trx: Db) => {
    if (engine === 'postgres') await sql`SELECT pg_advisory_xact_lock(${ALERT_EVENTS_LOCK})`.execute(trx);
  };
  return {
    async open(alert) {
      try {
        return await db.transaction().execute(async (trx) => {
          await inOrder(trx);
          await insertAlert.execute(trx, engine, {
            ...alertColumns(alert),
            id: alert.id,
            home_id: alert.homeId,
            rule: alert.rule,
            category: alert.category,
            audience: alert.audience,
            opened_at: alert.openedAt,
            legal_basis: alert.legalBasis ? JSON.stringify(alert.legalBasis) : null,
            test: alert.test ? 1 : 0,
            version: 0,
          });
          return record(trx, alert, 'opened');
        });
      } catch (err) {
        // another process opened this home's alert for the rule first (one unresolved alert each)
        if (isUniqueViolation(err)) throw conflict('an alert for this home and rule is already open');
        throw err;
      }
    },
    async update(alert, type, fence) {
      return db.transaction().execute(async (trx) => {
        await inOrder(trx);
        if (fence && !(await leaseHeld(trx, engine, fence)))
          throw conflict("this process no longer holds the home's lease", 'lease_lost');
        // Written only if the alert is still the version it was read as: of two processes changing
        // one alert at once, the second is refused instead of overwriting the first.
        const expected = alert.version;
        let updated: bigint | undefined;
        if (expected !== undefined)
          ({ numAffectedRows: updated } = await updateAlertVersion.execute(trx, engine, {
            ...alertColumns(alert),
            id: alert.id,
            expected,
          }));
        else
          ({ numUpdatedRows: updated } = await trx
            .updateTable('alerts')
            .set({ ...alertColumns(alert), version: sql<number>`version + 1` })
            .where('id', '=', alert.id)
            .executeTakeFirst());
        if (Number(updated ?? 0) === 0) {
          const exists = await trx
            .selectFrom('alerts')
            .select('id')
            .where('id', '=', alert.id)
            .executeTakeFirst();
          if (!exists) throw notFound('alert');
          throw conflict('the alert was changed by someone else meanwhile');
        }
        return record(trx, alert, type);
      });
    },
    async get(id) {
      const r = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toAlert(r) : null;
    },
    async findActive(homeId, rule) {
      const [r] = (await activeAlert.execute(db, engine, { homeId, rule })).rows;
      return r ? toAlert(r) : null;
    },
    async list(filter = {}) {
      if (filter.homeIds?.length === 0 || filter.states?.length === 0) return [];
      let q = db.selectFrom('alerts').selectAll();
      if (filter.homeIds) q = q.where('home_id', 'in', filter.homeIds);
      if (filter.states) q = q.where('state', 'in', filter.states);
      return (
        await q
          .orderBy('opened_at', 'desc')
          .limit(filter.limit ?? 500)
          .execute()
      ).map(toAlert);
    },
    async eventsSince(seq, filter = {}) {
      if (filter.homeIds?.length === 0) return [];
      let q = db.selectFrom('alert_events').selectAll().where('seq', '>', seq);
      if (filter.homeIds) q = q.where('home_id', 'in', filter.homeIds);
      return (
        await q
          .orderBy('seq')
          .limit(filter.limit ?? 1000)
          .execute()
      ).map(toEvent);
    },
    async openedBetween(from, to, options = {}) {
      let q = db.selectFrom('alerts').selectAll().where('opened_at', '>=', from).where('opened_at', '<', to);
      if (!options.includeTest) q = q.where('test', '=', 0);
      return (await q.orderBy('opened_at').execute()).map(toAlert);
    },
    async listResolved(filter) {
      if (filter.homeIds?.length === 0) return [];
      let q = db
        .selectFrom('alerts')
        .selectAll()
        .where('state', '=', 'resolved')
        .where('resolved_at', '>=', filter.since);
      if (filter.homeIds) q = q.where('home_id', 'in', filter.homeIds);
      if (filter.audience === 'care') q = q.where('audience', '=', 'care').where('test', '=', 0);
      if (filter.audience === 'technical')
        q = q.where((eb) => eb.or([eb('audience', '=', 'technical'), eb('test', '=', 1)]));
      const before = filter.before;
      if (before)
        q = q.where((eb) =>
          eb.or([
            eb('resolved_at', '<', before.resolvedAt),
            eb.and([eb('resolved_at', '=', before.resolvedAt), eb('id', '<', before.id)]),
          ]),
        );
      return (await q.orderBy('resolved_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()).map(
        toAlert,
      );
    },
    async listCareOfHome(filter) {
      let q = db
        .selectFrom('alerts')
        .selectAll()
        .where('home_id', '=', filter.homeId)
        .where('audience', '=', 'care');
      if (!filter.includeTest) q = q.where('test', '=', 0);
      const before = filter.before;
      if (before)
        q = q.where((eb) =>
          eb.or([
            eb('opened_at', '<', before.openedAt),
            eb.and([eb('opened_at', '=', before.openedAt), eb('id', '<', before.id)]),
          ]),
        );
      return (await q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()).map(
        toAlert,
      );
    },
    async lastEventSeq() {
      const r = await db
        .selectFrom('alert_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      return r?.seq ?? 0;
    },
  };
}

/** A unique index refused the row (SQLite and PostgreSQL say so differently). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === '23505'
  );
}

const toPowerOfAttorney = (r: Selectable<Tables['powers_of_attorney']>): PowerOfAttorney => ({
  id: r.id,
  relativeUserId: r.relative_user_id,
  homeId: r.home_id,
  verifiedBy: r.verified_by,
  verifiedAt: r.verified_at,
  reference: r.reference,
  revokedAt: r.revoked_at ?? null,
  revokedBy: r.revoked_by ?? null,
});

export function powersOfAttorney(db: Db): PowerOfAttorneyRepository {
  return {
    async add(p) {
      const { id } = await db
        .insertInto('powers_of_attorney')
        .values({
          relative_user_id: p.relativeUserId,
          home_id: p.homeId,
          verified_by: p.verifiedBy,
          verified_at: p.verifiedAt,
          reference: p.reference,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...p, id, revokedAt: null, revokedBy: null };
    },
    async revoke(id, by, at) {
      const r = await db
        .updateTable('powers_of_attorney')
        .set({ revoked_at: at, revoked_by: by })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async listByHome(homeId) {
      return (
        await db
          .selectFrom('powers_of_attorney')
          .selectAll()
          .where('home_id', '=', homeId)
          .orderBy('id')
          .execute()
      ).map(toPowerOfAttorney);
    },
    async activeForRelative(userId) {
      return (
        await db
          .selectFrom('powers_of_attorney')
          .selectAll()
          .where('relative_user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .orderBy('id')
          .execute()
      ).map(toPowerOfAttorney);
    },
  };
}

export function notifications(db: Db): NotificationRepository {
  return {
    async record(n) {
      const { id } = await db
        .insertInto('alert_notifications')
        .values({
          alert_id: n.alertId,
          at: n.at,
          notifier: n.notifier,
          target: n.target,
          level: n.level,
          attempt: n.attempt,
          result: n.result,
          detail: n.detail,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...n, id };
    },
    async listByAlert(alertId) {
      return (
        await db
          .selectFrom('alert_notifications')
          .selectAll()
          .where('alert_id', '=', alertId)
          .orderBy('id')
          .execute()
      ).map(
        (r): NotificationAttempt => ({
          id: r.id,
          alertId: r.alert_id,
          at: r.at,
          notifier: r.notifier,
          target: r.target,
          level: r.level,
          attempt: r.attempt,
          result: r.result as NotificationAttempt['result'],
          detail: r.detail ?? null,
        }),
      );
    },
  };
}

export function audit(db: Db): AuditRepository {
  return {
    async append(e) {
      const { id } = await db
        .insertInto('audit')
        .values({
          at: e.at,
          actor_id: e.actorId,
          actor_role: e.actorRole,
          action: e.action,
          home_id: e.homeId,
          purpose: e.purpose,
          detail: e.detail,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...e, id };
    },
    async listByHome(homeId, limit = 500) {
      return (
        await db
          .selectFrom('audit')
          .selectAll()
          .where('home_id', '=', homeId)
          .orderBy('id', 'desc')
          .limit(limit)
          .execute()
      ).map(
        (r): AuditEntry => ({
          id: r.id,
          at: r.at,
          actorId: r.actor_id,
          actorRole: r.actor_role,
          action: r.action,
          homeId: r.home_id ?? null,
          purpose: r.purpose,
          detail: r.detail ?? null,
        }),
      );
    },
  };
}
