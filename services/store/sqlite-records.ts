import type {
  Alert,
  AlertEvent,
  ConsentEvent,
  NotificationAttempt,
  PowerOfAttorney,
} from '../domain/index.ts';
import type { Db } from './sqlite-open.ts';
import type {
  AlertRepository,
  AuditEntry,
  AuditRepository,
  ConsentEventRepository,
  NotificationRepository,
  PowerOfAttorneyRepository,
} from './types.ts';

type Row = Record<string, unknown>;

const toConsent = (r: Row): ConsentEvent => ({
  id: r.id as number,
  homeId: r.home_id as string,
  category: r.category as ConsentEvent['category'],
  purpose: r.purpose as ConsentEvent['purpose'],
  action: r.action as ConsentEvent['action'],
  actorId: r.actor_id as string,
  actorRole: r.actor_role as string,
  onBehalfOf: (r.on_behalf_of as string | null) ?? null,
  channel: r.channel as ConsentEvent['channel'],
  textVersion: r.text_version as string,
  reference: (r.reference as string | null) ?? null,
  // a grant recorded before the basis column existed was the citizen's own consent
  basis: (r.basis as ConsentEvent['basis']) ?? (r.action === 'grant' ? 'own_consent' : null),
  reviewDue: (r.review_due as string | null) ?? null,
  at: r.at as number,
});

export function sqliteConsent(db: Db): ConsentEventRepository {
  const insert = db.prepare(
    `INSERT INTO consent_events (home_id, category, purpose, action, actor_id, actor_role, on_behalf_of, channel, text_version, reference, basis, review_due, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    async append(e) {
      const info = insert.run(
        e.homeId,
        e.category,
        e.purpose,
        e.action,
        e.actorId,
        e.actorRole,
        e.onBehalfOf,
        e.channel,
        e.textVersion,
        e.reference,
        e.basis,
        e.reviewDue,
        e.at,
      );
      return { ...e, id: Number(info.lastInsertRowid) };
    },
    async listByHome(homeId) {
      return (
        db.prepare('SELECT * FROM consent_events WHERE home_id = ? ORDER BY id').all(homeId) as Row[]
      ).map(toConsent);
    },
    async listAll() {
      return (db.prepare('SELECT * FROM consent_events ORDER BY id').all() as Row[]).map(toConsent);
    },
  };
}

const toAlert = (r: Row): Alert => ({
  id: r.id as string,
  homeId: r.home_id as string,
  rule: r.rule as Alert['rule'],
  category: r.category as Alert['category'],
  severity: r.severity as Alert['severity'],
  audience: r.audience as Alert['audience'],
  state: r.state as Alert['state'],
  openedAt: r.opened_at as number,
  lastSeenAt: r.last_seen_at as number,
  repeats: r.repeats as number,
  evidence: JSON.parse(r.evidence as string) as Alert['evidence'],
  acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
  acknowledgedAt: (r.acknowledged_at as number | null) ?? null,
  resolvedBy: (r.resolved_by as string | null) ?? null,
  resolvedAt: (r.resolved_at as number | null) ?? null,
  outcome: (r.outcome as Alert['outcome']) ?? null,
  note: (r.note as string | null) ?? null,
  legalBasis: r.legal_basis ? (JSON.parse(r.legal_basis as string) as Alert['legalBasis']) : null,
  test: r.test === 1,
  escalationLevel: (r.escalation_level as number) ?? 0,
});

const toEvent = (r: Row): AlertEvent => ({
  seq: r.seq as number,
  type: r.type as AlertEvent['type'],
  alert: JSON.parse(r.alert as string) as Alert,
});

function inClause(column: string, values: string[] | undefined, params: unknown[]): string {
  if (!values) return '';
  if (values.length === 0) return ' AND 0';
  params.push(...values);
  return ` AND ${column} IN (${values.map(() => '?').join(',')})`;
}

export function sqliteAlerts(db: Db): AlertRepository {
  const insert = db.prepare(
    `INSERT INTO alerts (id, home_id, rule, category, severity, audience, state, opened_at, last_seen_at, repeats, evidence,
       acknowledged_by, acknowledged_at, resolved_by, resolved_at, outcome, note, legal_basis, test, escalation_level)
     VALUES (@id, @homeId, @rule, @category, @severity, @audience, @state, @openedAt, @lastSeenAt, @repeats, @evidence,
       @acknowledgedBy, @acknowledgedAt, @resolvedBy, @resolvedAt, @outcome, @note, @legalBasis, @test, @escalationLevel)`,
  );
  const save = db.prepare(
    `UPDATE alerts SET state = @state, last_seen_at = @lastSeenAt, repeats = @repeats, evidence = @evidence,
       acknowledged_by = @acknowledgedBy, acknowledged_at = @acknowledgedAt, resolved_by = @resolvedBy,
       resolved_at = @resolvedAt, outcome = @outcome, note = @note, severity = @severity,
       escalation_level = @escalationLevel
     WHERE id = @id`,
  );
  const event = db.prepare(
    'INSERT INTO alert_events (alert_id, home_id, type, alert, at) VALUES (?, ?, ?, ?, ?)',
  );
  const params = (a: Alert) => ({
    ...a,
    evidence: JSON.stringify(a.evidence),
    legalBasis: a.legalBasis ? JSON.stringify(a.legalBasis) : null,
    test: a.test ? 1 : 0,
  });
  const record = (a: Alert, type: AlertEvent['type']): AlertEvent => {
    const info = event.run(a.id, a.homeId, type, JSON.stringify(a), Date.now());
    return { seq: Number(info.lastInsertRowid), type, alert: a };
  };
  return {
    async open(alert) {
      return db.transaction(() => {
        insert.run(params(alert));
        return record(alert, 'opened');
      })();
    },
    async update(alert, type) {
      return db.transaction(() => {
        save.run(params(alert));
        return record(alert, type);
      })();
    },
    async get(id) {
      const r = db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as Row | undefined;
      return r ? toAlert(r) : null;
    },
    async findActive(homeId, rule) {
      const r = db
        .prepare("SELECT * FROM alerts WHERE home_id = ? AND rule = ? AND state <> 'resolved'")
        .get(homeId, rule) as Row | undefined;
      return r ? toAlert(r) : null;
    },
    async list(filter = {}) {
      const p: unknown[] = [];
      let sql = 'SELECT * FROM alerts WHERE 1';
      sql += inClause('home_id', filter.homeIds, p);
      sql += inClause('state', filter.states, p);
      sql += ' ORDER BY opened_at DESC LIMIT ?';
      p.push(filter.limit ?? 500);
      return (db.prepare(sql).all(...p) as Row[]).map(toAlert);
    },
    async eventsSince(seq, filter = {}) {
      const p: unknown[] = [seq];
      let sql = 'SELECT * FROM alert_events WHERE seq > ?';
      sql += inClause('home_id', filter.homeIds, p);
      sql += ' ORDER BY seq LIMIT ?';
      p.push(filter.limit ?? 1000);
      return (db.prepare(sql).all(...p) as Row[]).map(toEvent);
    },
    async openedBetween(from, to, options = {}) {
      const sql = `SELECT * FROM alerts WHERE opened_at >= ? AND opened_at < ?${options.includeTest ? '' : ' AND test = 0'} ORDER BY opened_at`;
      return (db.prepare(sql).all(from, to) as Row[]).map(toAlert);
    },
    async listResolved(filter) {
      const p: unknown[] = [filter.since];
      let sql = "SELECT * FROM alerts WHERE state = 'resolved' AND resolved_at >= ?";
      sql += inClause('home_id', filter.homeIds, p);
      if (filter.audience === 'care') sql += " AND audience = 'care' AND test = 0";
      if (filter.audience === 'technical') sql += " AND (audience = 'technical' OR test = 1)";
      if (filter.before) {
        sql += ' AND (resolved_at < ? OR (resolved_at = ? AND id < ?))';
        p.push(filter.before.resolvedAt, filter.before.resolvedAt, filter.before.id);
      }
      sql += ' ORDER BY resolved_at DESC, id DESC LIMIT ?';
      p.push(filter.limit);
      return (db.prepare(sql).all(...p) as Row[]).map(toAlert);
    },
    async listCareOfHome(filter) {
      const p: unknown[] = [filter.homeId];
      let sql = "SELECT * FROM alerts WHERE home_id = ? AND audience = 'care'";
      if (!filter.includeTest) sql += ' AND test = 0';
      if (filter.before) {
        sql += ' AND (opened_at < ? OR (opened_at = ? AND id < ?))';
        p.push(filter.before.openedAt, filter.before.openedAt, filter.before.id);
      }
      sql += ' ORDER BY opened_at DESC, id DESC LIMIT ?';
      p.push(filter.limit);
      return (db.prepare(sql).all(...p) as Row[]).map(toAlert);
    },
    async lastEventSeq() {
      const r = db.prepare('SELECT MAX(seq) AS seq FROM alert_events').get() as { seq: number | null };
      return r.seq ?? 0;
    },
  };
}

const toPowerOfAttorney = (r: Row): PowerOfAttorney => ({
  id: r.id as number,
  relativeUserId: r.relative_user_id as string,
  homeId: r.home_id as string,
  verifiedBy: r.verified_by as string,
  verifiedAt: r.verified_at as number,
  reference: r.reference as string,
  revokedAt: (r.revoked_at as number | null) ?? null,
  revokedBy: (r.revoked_by as string | null) ?? null,
});

export function sqlitePowersOfAttorney(db: Db): PowerOfAttorneyRepository {
  return {
    async add(p) {
      const info = db
        .prepare(
          'INSERT INTO powers_of_attorney (relative_user_id, home_id, verified_by, verified_at, reference) VALUES (?, ?, ?, ?, ?)',
        )
        .run(p.relativeUserId, p.homeId, p.verifiedBy, p.verifiedAt, p.reference);
      return { ...p, id: Number(info.lastInsertRowid), revokedAt: null, revokedBy: null };
    },
    async revoke(id, by, at) {
      const info = db
        .prepare(
          'UPDATE powers_of_attorney SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
        )
        .run(at, by, id);
      return info.changes === 1;
    },
    async listByHome(homeId) {
      return (
        db.prepare('SELECT * FROM powers_of_attorney WHERE home_id = ? ORDER BY id').all(homeId) as Row[]
      ).map(toPowerOfAttorney);
    },
    async activeForRelative(userId) {
      return (
        db
          .prepare(
            'SELECT * FROM powers_of_attorney WHERE relative_user_id = ? AND revoked_at IS NULL ORDER BY id',
          )
          .all(userId) as Row[]
      ).map(toPowerOfAttorney);
    },
  };
}

export function sqliteNotifications(db: Db): NotificationRepository {
  const insert = db.prepare(
    'INSERT INTO alert_notifications (alert_id, at, notifier, target, level, attempt, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    async record(n) {
      const info = insert.run(n.alertId, n.at, n.notifier, n.target, n.level, n.attempt, n.result, n.detail);
      return { ...n, id: Number(info.lastInsertRowid) };
    },
    async listByAlert(alertId) {
      return (
        db.prepare('SELECT * FROM alert_notifications WHERE alert_id = ? ORDER BY id').all(alertId) as Row[]
      ).map(
        (r): NotificationAttempt => ({
          id: r.id as number,
          alertId: r.alert_id as string,
          at: r.at as number,
          notifier: r.notifier as string,
          target: r.target as string,
          level: r.level as number,
          attempt: r.attempt as number,
          result: r.result as NotificationAttempt['result'],
          detail: (r.detail as string | null) ?? null,
        }),
      );
    },
  };
}

export function sqliteAudit(db: Db): AuditRepository {
  const insert = db.prepare(
    'INSERT INTO audit (at, actor_id, actor_role, action, home_id, purpose, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    async append(e) {
      const info = insert.run(e.at, e.actorId, e.actorRole, e.action, e.homeId, e.purpose, e.detail);
      return { ...e, id: Number(info.lastInsertRowid) };
    },
    async listByHome(homeId, limit = 500) {
      return (
        db
          .prepare('SELECT * FROM audit WHERE home_id = ? ORDER BY id DESC LIMIT ?')
          .all(homeId, limit) as Row[]
      ).map(
        (r): AuditEntry => ({
          id: r.id as number,
          at: r.at as number,
          actorId: r.actor_id as string,
          actorRole: r.actor_role as string,
          action: r.action as string,
          homeId: (r.home_id as string | null) ?? null,
          purpose: r.purpose as string,
          detail: (r.detail as string | null) ?? null,
        }),
      );
    },
  };
}
