import type {
  Alert,
  AuditEntry,
  ConsentEvent,
  Home,
  LegalBasis,
  Outcome,
  User,
  UserRole,
} from '../../services/domain/index.ts';
import { forbidden, notFound } from '../../services/runtime/index.ts';
import { type Access, canSeeAlert, canSeeHome } from './access.ts';
import type { DashboardContext } from './context.ts';

/**
 * What a citizen (or their relative) is shown about their own home: the consent history, the
 * alerts, who looked at their data, in words a person can follow. Names are shown only where the
 * citizen has a right to them: their own relatives, and the care staff who looked at their data.
 */

/**
 * Why someone read or changed a home's data, by their role; recorded in the audit log and shown to
 * the citizen in words. The one list of these purposes: every route that audits a read uses it.
 */
export function purposeOf(role: UserRole): string {
  switch (role) {
    case 'citizen':
      return 'own_data';
    case 'relative':
      return 'power_of_attorney';
    case 'staff':
      return 'care';
    case 'technician':
      return 'maintenance';
    case 'admin':
      return 'administration';
  }
}

/** Who may call the routes of a citizen's record; `recordHome` then decides per home. */
export const RECORD_ROLES = ['citizen', 'relative', 'staff', 'admin'] as const satisfies Access;
/** Who may call the access log and the export; `accessLogHome` then decides per home. */
export const OWN_DATA_ROLES = ['citizen', 'relative', 'admin'] as const satisfies Access;

/**
 * The citizen's record (consent, alerts, erasures): the citizen, their relatives, the home's staff
 * and administrators. Technicians look after devices, not people: 403. Anyone who may not see the
 * home at all gets 404, so an id never reveals that a home exists.
 */
export function recordHome(ctx: DashboardContext, user: User, homeId: string): Home {
  const home = ctx.registry.home(homeId);
  if (!home || !canSeeHome(user, homeId, ctx.registry)) throw notFound('home');
  if (user.role === 'technician') throw forbidden("technicians do not see a citizen's record");
  return home;
}

/**
 * Who looked at the home: the citizen, their relatives and administrators (for a data access
 * request). Not staff: the platform does not let colleagues watch each other.
 */
export function accessLogHome(ctx: DashboardContext, user: User, homeId: string): Home {
  const home = recordHome(ctx, user, homeId);
  if (user.role === 'staff') throw forbidden('the access log is for the citizen and their relatives');
  return home;
}

/** Resolves user ids to the names a citizen may see, once per request. */
export class NameBook {
  private readonly users = new Map<string, Promise<User | null>>();
  private relatives: Promise<Set<string>> | null = null;

  constructor(
    private readonly ctx: DashboardContext,
    private readonly homeId: string,
  ) {}

  private user(id: string): Promise<User | null> {
    let u = this.users.get(id);
    if (!u) {
      u = this.ctx.people.user(id);
      this.users.set(id, u);
    }
    return u;
  }

  /** relatives who hold or held a power of attorney for this home */
  private relativesOfHome(): Promise<Set<string>> {
    this.relatives ??= this.ctx.registry
      .powersOfAttorney(this.homeId)
      .then((ps) => new Set(ps.map((p) => p.relativeUserId)));
    return this.relatives;
  }

  /** a relative's or the citizen's own name; null for anyone else */
  async ownPeople(id: string, role: string): Promise<string | null> {
    if (role === 'citizen') {
      const u = await this.user(id);
      return u?.homeId === this.homeId ? u.displayName : null;
    }
    if (role === 'relative' && (await this.relativesOfHome()).has(id))
      return (await this.user(id))?.displayName ?? null;
    return null;
  }

  /** as ownPeople, and also the care staff's display name (who looked at the citizen's data) */
  async ownPeopleAndStaff(id: string, role: string): Promise<string | null> {
    if (role === 'staff') {
      const u = await this.user(id);
      return u?.role === 'staff' ? u.displayName : null;
    }
    return this.ownPeople(id, role);
  }
}

export interface ConsentHistoryEntry {
  id: number;
  at: number;
  category: ConsentEvent['category'];
  purpose: ConsentEvent['purpose'];
  action: ConsentEvent['action'];
  actorRole: string;
  /** only for the citizen and their own relatives */
  actorName: string | null;
  /** the change was made for the citizen by someone else */
  onBehalfOfCitizen: boolean;
  channel: ConsentEvent['channel'];
  basis: LegalBasis | null;
  reference: string | null;
  reviewDue: string | null;
  textVersion: string;
}

export async function consentHistory(ctx: DashboardContext, homeId: string): Promise<ConsentHistoryEntry[]> {
  const names = new NameBook(ctx, homeId);
  const events = await ctx.consent.history(homeId);
  return Promise.all(
    events.map(async (e) => ({
      id: e.id,
      at: e.at,
      category: e.category,
      purpose: e.purpose,
      action: e.action,
      actorRole: e.actorRole,
      actorName: await names.ownPeople(e.actorId, e.actorRole),
      onBehalfOfCitizen: e.onBehalfOf !== null,
      channel: e.channel,
      basis: e.basis,
      reference: e.reference,
      reviewDue: e.reviewDue,
      textVersion: e.textVersion,
    })),
  );
}

export interface CitizenAlert {
  id: string;
  rule: Alert['rule'];
  category: Alert['category'];
  severity: Alert['severity'];
  state: Alert['state'];
  openedAt: number;
  repeats: number;
  acknowledgedAt: number | null;
  /** when staff set out ("på vej") and arrived ("fremme"): what the citizen is told, no more */
  enRouteAt: number | null;
  arrivedAt: number | null;
  resolvedAt: number | null;
  outcome: Outcome | null;
  /** the professional note: it is about the citizen, so the citizen may read it */
  note: string | null;
  /** the staff member who resolved it (or acknowledged it, while open) */
  handledBy: string | null;
  legalBasis: LegalBasis | null;
  /** a test alert (only administrators are shown them): marked "Test" wherever it is shown */
  test: boolean;
}

/** The home's care alerts this user may see, newest first. */
export async function homeAlerts(ctx: DashboardContext, user: User, homeId: string): Promise<CitizenAlert[]> {
  return (await homeAlertPage(ctx, user, homeId, { limit: 10_000 })).alerts;
}

/**
 * One page of the home's care alerts this user may see, newest first (the home's alert history),
 * and the cursor (`openedAt_id`) of the next page, null on the last.
 */
export async function homeAlertPage(
  ctx: DashboardContext,
  user: User,
  homeId: string,
  page: { limit: number; before?: { openedAt: number; id: string } },
): Promise<{ alerts: CitizenAlert[]; next: string | null }> {
  const names = new NameBook(ctx, homeId);
  const rows = await ctx.alerts.listCareOfHome({
    homeId,
    includeTest: user.role === 'admin',
    limit: page.limit,
    ...(page.before ? { before: page.before } : {}),
  });
  // the query keeps to care alerts (and no tests but for administrators); the usual check on top
  const alerts = rows.filter((a) => canSeeAlert(user, a, ctx.registry));
  const last = rows.at(-1);
  const next = rows.length === page.limit && last ? `${last.openedAt}_${last.id}` : null;
  return { alerts: await Promise.all(alerts.map((a) => toCitizenAlert(names, a))), next };
}

async function toCitizenAlert(names: NameBook, a: Alert): Promise<CitizenAlert> {
  const handler = a.resolvedBy ?? a.acknowledgedBy;
  return {
    id: a.id,
    rule: a.rule,
    category: a.category,
    severity: a.severity,
    state: a.state,
    openedAt: a.openedAt,
    repeats: a.repeats,
    acknowledgedAt: a.acknowledgedAt,
    enRouteAt: a.enRouteAt,
    arrivedAt: a.arrivedAt,
    resolvedAt: a.resolvedAt,
    outcome: a.outcome,
    note: a.note,
    handledBy: handler ? await names.ownPeopleAndStaff(handler, 'staff') : null,
    legalBasis: a.legalBasis?.basis ?? null,
    test: a.test === true,
  };
}

export interface AccessLogEntry {
  id: number;
  at: number;
  actorRole: string;
  /** care staff and the citizen's own relatives by name; technicians and administrators by role */
  actorName: string | null;
  action: string;
  purpose: string;
  detail: string | null;
}

/**
 * Who read or changed the home's data, newest first, from the append-only audit log. The citizen's
 * own reads and changes are left out: they are recorded, but the citizen knows what they did, and
 * they are not "someone looking". The same holds for whoever is asking (`viewerId`): a relative
 * is not shown their own visits. A relative's reads stay visible to the citizen (and to other
 * relatives): they act under a power of attorney, and the citizen has a right to see it used.
 * Reads are already coalesced when recorded (`services/audit/read-log.ts`), so a polling page is one line per
 * 15 minutes. The export (`viewerId` absent) leaves out only the citizen's own entries.
 */
export async function accessLog(
  ctx: DashboardContext,
  homeId: string,
  limit = 500,
  viewerId?: string,
): Promise<AccessLogEntry[]> {
  const names = new NameBook(ctx, homeId);
  const entries: AuditEntry[] = (await ctx.auditLog.ofHome(homeId, limit)).filter(
    (e) => e.actorRole !== 'citizen' && e.actorId !== viewerId,
  );
  return Promise.all(
    entries.map(async (e) => ({
      id: e.id,
      at: e.at,
      actorRole: e.actorRole,
      actorName: await names.ownPeopleAndStaff(e.actorId, e.actorRole),
      action: e.action,
      purpose: e.purpose,
      detail: e.detail,
    })),
  );
}
