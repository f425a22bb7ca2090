import {
  CONSENT_CATEGORIES,
  type ConsentCategory,
  type ConsentChangeRequest,
  type ConsentEvent,
  type ConsentScope,
  emptyScope,
  type Home,
  type HomeId,
  informationText,
  type LegalBasis,
  type LegalBasisRef,
  legalBasisOf,
  type Purpose,
  type ReadingCategory,
  textVersionStatus,
} from '../domain/index.ts';
import { type ConsentChange, createPlatformBus, type PlatformBus } from '../events/index.ts';
import type { Registry } from '../registry/index.ts';
import { type Clock, forbidden, type Logger, notFound, systemClock, TryghedError } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

/** What consent asks of the registry, the owner of homes and powers of attorney. */
export type ConsentPlaces = Pick<Registry, 'findHome' | 'activePowersOfAttorney'>;

/**
 * Who is changing consent. `system` is the platform itself (demo homes, the simulator's test
 * homes); it is never a logged-in user.
 */
export interface ConsentActor {
  id: string;
  role: string;
  /** a citizen's own home */
  homeId?: string | null;
  /** a staff member's teams */
  teamIds?: readonly string[];
}

/** A § 128 a decision whose review date has come. */
export interface ReviewDue {
  homeId: HomeId;
  category: ConsentCategory;
  purpose: Purpose;
  reviewDue: string;
  reference: string | null;
  overdue: boolean;
}

/** The date (YYYY-MM-DD) at `at` in a time zone. */
export function localDate(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const badRequest = (message: string, path: string) =>
  new TryghedError('bad_request', message, { issues: [{ path, message }] });

/**
 * Which legal bases an actor may record, and the basis a grant gets when none is named. Enforced
 * here, not only in the API, so no path into the registry can record a basis its actor lacks.
 */
async function checkStanding(
  places: ConsentPlaces,
  home: Home,
  request: ConsentChangeRequest,
  actor: ConsentActor,
): Promise<{
  basis: LegalBasis | null;
  onBehalfOf: string | null;
  channel: ConsentChangeRequest['channel'];
}> {
  const grant = request.action === 'grant';
  const citizen = `citizen:${home.id}`;
  switch (actor.role) {
    case 'system':
      return { basis: grant ? (request.basis ?? 'own_consent') : null, onBehalfOf: null, channel: 'system' };
    case 'citizen': {
      if (actor.homeId !== home.id) throw forbidden('a citizen may change consent only for their own home');
      if (grant && request.basis && request.basis !== 'own_consent')
        throw badRequest('a citizen grants their own consent', 'basis');
      return { basis: grant ? 'own_consent' : null, onBehalfOf: null, channel: 'web' };
    }
    case 'relative': {
      const powers = await places.activePowersOfAttorney(actor.id);
      if (!powers.some((p) => p.homeId === home.id))
        throw forbidden('a relative needs a verified power of attorney for this citizen');
      if (grant && request.basis && request.basis !== 'power_of_attorney')
        throw badRequest('a relative grants under their power of attorney', 'basis');
      return { basis: grant ? 'power_of_attorney' : null, onBehalfOf: citizen, channel: 'web' };
    }
    case 'staff':
    case 'admin': {
      if (actor.role === 'staff' && !actor.teamIds?.includes(home.teamId))
        throw forbidden("only staff of the home's team may record consent for it");
      if (!grant) {
        // a withdrawal told to staff (by phone, in person, on paper) is recorded as such
        return {
          basis: null,
          onBehalfOf: citizen,
          channel: request.channel === 'web' ? 'in_person' : request.channel,
        };
      }
      switch (request.basis) {
        case 'paper_form':
          return { basis: 'paper_form', onBehalfOf: citizen, channel: 'paper' };
        case 'municipal_decision':
          return { basis: 'municipal_decision', onBehalfOf: citizen, channel: request.channel };
        case 'own_consent':
          if (request.channel !== 'phone' && request.channel !== 'in_person')
            throw badRequest(
              "staff record a citizen's own consent only as given by phone or in person",
              'channel',
            );
          return { basis: 'own_consent', onBehalfOf: citizen, channel: request.channel };
        case 'power_of_attorney':
          throw badRequest('a relative with power of attorney grants for themselves', 'basis');
        default:
          throw badRequest(
            'staff must name the legal basis: paper_form, municipal_decision or own_consent',
            'basis',
          );
      }
    }
    default:
      throw forbidden('your role may not change consent');
  }
}

/** A kind of alert the home has switched off: since when, and who did it. */
export interface AlertsOff {
  category: ConsentCategory;
  /** epoch ms of the withdrawal */
  since: number;
  /** the role of whoever recorded it: citizen, relative, staff, admin, system */
  actorRole: string;
  /** recorded for the citizen by someone else (a relative, staff from a phone call) */
  onBehalfOfCitizen: boolean;
  channel: ConsentEvent['channel'];
}

/** Whether one category's alerts are on now, and the change that made it so (null: never asked). */
export interface AlertsState {
  category: ConsentCategory;
  on: boolean;
  /** epoch ms of the latest change, or null when consent was never given or withdrawn */
  since: number | null;
  actorRole: string | null;
  onBehalfOfCitizen: boolean;
}

/**
 * The text a change was made with in view must be one the platform showed for that category and
 * purpose. A grant needs the current one: agreeing to words that have since changed is not informed
 * consent, so it is refused with the current text, to be shown and decided on again. A withdrawal is
 * never held up by a text change (GDPR art. 7(3): as easy as giving), so an earlier version is
 * accepted there and recorded as it was shown; a version never shown is refused for both.
 */
function checkTextVersion(request: ConsentChangeRequest): void {
  const status = textVersionStatus(request.category, request.purpose, request.textVersion);
  if (status === 'current') return;
  const current = informationText(request.category, request.purpose);
  if (status === 'outdated' && request.action === 'withdraw') return;
  if (status === 'outdated')
    throw new TryghedError(
      'conflict',
      'the information text has changed since it was shown; show the current one and ask again',
      {
        issues: [{ path: 'textVersion', message: 'outdated' }],
        detail: {
          reason: 'outdated_text_version',
          currentVersion: current.version,
          currentTitleDa: current.title.da,
          currentTitleEn: current.title.en,
          currentTextDa: current.body.da,
          currentTextEn: current.body.en,
        },
      },
    );
  throw new TryghedError(
    'bad_request',
    `not a version of the information text for ${request.category}/${request.purpose}`,
    {
      issues: [{ path: 'textVersion', message: 'unknown' }],
      detail: { reason: 'unknown_text_version', currentVersion: current.version },
    },
  );
}

/**
 * The consent registry: the only place consent lives. Changes are append-only events in the store;
 * the current scope per home is derived from them and kept in memory, so `allows()` costs one
 * map lookup on the hot path and a withdrawal takes effect for the very next reading.
 */
export class ConsentRegistry {
  private readonly scopes = new Map<HomeId, ConsentScope>();
  /** per home, the grant each allowed category/purpose rests on */
  private readonly grants = new Map<HomeId, Map<string, ConsentEvent>>();
  /** per home, the latest event per category/purpose: when and by whom it became what it is */
  private readonly latest = new Map<HomeId, Map<string, ConsentEvent>>();

  private constructor(
    private readonly store: Pick<Store, 'consent'>,
    private readonly places: ConsentPlaces,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly events: PlatformBus,
  ) {}

  /**
   * `store` gives the consent events, this registry's own table; homes and powers of attorney are
   * the registry's (`places`), asked through its interface. Each later change goes out on `events`
   * as `consent/changed`.
   */
  static async load(
    store: Pick<Store, 'consent'>,
    places: ConsentPlaces,
    logger: Logger,
    clock: Clock = systemClock,
    events: PlatformBus = createPlatformBus({ logger }),
  ): Promise<ConsentRegistry> {
    const registry = new ConsentRegistry(store, places, logger, clock, events);
    for (const e of await store.consent.listAll()) registry.apply(e);
    return registry;
  }

  /**
   * May data of this category be used for this purpose in this home? Technical data (heartbeat,
   * battery) is operational and always allowed; it is stated openly to the citizen.
   */
  allows(homeId: HomeId, category: ReadingCategory, purpose: Purpose): boolean {
    if (category === 'technical') return true;
    const scope = this.scopes.get(homeId);
    return scope ? scope[category][purpose] : false;
  }

  /** The current scope of a home; nothing granted when it has no events. A copy. */
  scope(homeId: HomeId): ConsentScope {
    return structuredClone(this.scopes.get(homeId) ?? emptyScope());
  }

  /** The legal basis data of this category may be used under for this purpose; null when none. */
  basis(homeId: HomeId, category: ReadingCategory, purpose: Purpose): LegalBasisRef | null {
    if (category === 'technical') return null;
    const event = this.grants.get(homeId)?.get(`${category}/${purpose}`);
    return event ? legalBasisOf(event) : null;
  }

  /** Every legal basis in force for a home, keyed `category/purpose`. */
  bases(homeId: HomeId): Record<string, LegalBasisRef> {
    const out: Record<string, LegalBasisRef> = {};
    for (const [key, event] of this.grants.get(homeId) ?? []) {
      const ref = legalBasisOf(event);
      if (ref) out[key] = ref;
    }
    return out;
  }

  /**
   * The categories whose alerts are off by an explicit "no" (the latest change was a withdrawal):
   * what care staff must know will not reach them, and since when (issue 7 item 12). A category
   * nobody ever answered for is not in it (nothing was ever expected from it); `alertsState` tells
   * those apart.
   */
  alertsOff(homeId: HomeId): AlertsOff[] {
    const out: AlertsOff[] = [];
    for (const s of this.alertsState(homeId)) {
      const event = this.latest.get(homeId)?.get(`${s.category}/alerts`);
      if (s.on || !event || event.action !== 'withdraw') continue;
      out.push({
        category: s.category,
        since: event.at,
        actorRole: event.actorRole,
        onBehalfOfCitizen: event.onBehalfOf !== null,
        channel: event.channel,
      });
    }
    return out;
  }

  /** Every category's alerts: on or off, and since when. */
  alertsState(homeId: HomeId): AlertsState[] {
    const latest = this.latest.get(homeId);
    return CONSENT_CATEGORIES.map((category) => {
      const event = latest?.get(`${category}/alerts`);
      return {
        category,
        on: this.allows(homeId, category, 'alerts'),
        since: event?.at ?? null,
        actorRole: event?.actorRole ?? null,
        onBehalfOfCitizen: event ? event.onBehalfOf !== null : false,
      };
    });
  }

  /** When a category's purpose last changed (grant or withdrawal), or null if it never did. */
  changedAt(homeId: HomeId, category: ConsentCategory, purpose: Purpose): number | null {
    return this.latest.get(homeId)?.get(`${category}/${purpose}`)?.at ?? null;
  }

  /**
   * § 128 a decisions in force among these homes whose review date is within `withinDays` of
   * `today` (YYYY-MM-DD, the municipality's date), oldest first; `overdue` when it has passed.
   */
  reviewsDue(homeIds: Iterable<HomeId>, today: string, withinDays = 30): ReviewDue[] {
    const horizon = new Date(`${today}T00:00:00Z`);
    horizon.setUTCDate(horizon.getUTCDate() + withinDays);
    const limit = horizon.toISOString().slice(0, 10);
    const out: ReviewDue[] = [];
    for (const homeId of homeIds) {
      for (const [key, event] of this.grants.get(homeId) ?? []) {
        if (event.basis !== 'municipal_decision' || !event.reviewDue || event.reviewDue > limit) continue;
        const [category, purpose] = key.split('/') as [ConsentCategory, Purpose];
        out.push({
          homeId,
          category,
          purpose,
          reviewDue: event.reviewDue,
          reference: event.reference,
          overdue: event.reviewDue < today,
        });
      }
    }
    return out.sort((a, b) => a.reviewDue.localeCompare(b.reviewDue));
  }

  history(homeId: HomeId): Promise<ConsentEvent[]> {
    return this.store.consent.listByHome(homeId);
  }

  /**
   * Records a grant or withdrawal. The scope in memory changes before this returns, so the
   * next reading is judged by it; listeners (the home's config topic, the dashboard) hear at once.
   */
  async change(homeId: HomeId, request: ConsentChangeRequest, actor: ConsentActor): Promise<ConsentChange> {
    const home = await this.places.findHome(homeId);
    if (!home) throw notFound(`home ${homeId}`);
    const standing = await checkStanding(this.places, home, request, actor);
    checkTextVersion(request);
    const referenced =
      standing.basis === 'paper_form' ||
      standing.basis === 'municipal_decision' ||
      standing.channel === 'paper';
    if (request.reference !== undefined && !referenced)
      throw badRequest('a reference belongs only to a paper form or a § 128 a decision', 'reference');
    if (standing.basis === 'municipal_decision') {
      const today = localDate(this.clock.now(), home.timezone);
      if (!request.reviewDue || request.reviewDue <= today)
        throw badRequest('the review date of a § 128 a decision must lie in the future', 'reviewDue');
    }
    const event = await this.store.consent.append({
      homeId,
      category: request.category,
      purpose: request.purpose,
      action: request.action,
      actorId: actor.id,
      actorRole: actor.role,
      onBehalfOf: standing.onBehalfOf,
      channel: standing.channel,
      textVersion: request.textVersion,
      reference: referenced ? (request.reference ?? null) : null,
      basis: standing.basis,
      reviewDue: standing.basis === 'municipal_decision' ? (request.reviewDue ?? null) : null,
      at: this.clock.now(),
    });
    this.apply(event);
    const change = { homeId, event, scope: this.scope(homeId) };
    this.logger.info(
      {
        homeId,
        category: event.category,
        purpose: event.purpose,
        action: event.action,
        channel: event.channel,
        basis: event.basis,
      },
      'consent changed',
    );
    this.events.emit('consent/changed', change);
    return change;
  }

  /**
   * Another process changed this home's consent: its events are read again from the store, the
   * one truth, so this process judges the next reading by the same scope.
   */
  async reloadHome(homeId: HomeId): Promise<void> {
    const events = await this.store.consent.listByHome(homeId);
    this.scopes.delete(homeId);
    this.grants.delete(homeId);
    this.latest.delete(homeId);
    for (const e of [...events].sort((x, y) => x.id - y.id)) this.apply(e);
  }

  /** Every home's consent read again from the store (after changes made elsewhere may have been missed). */
  async reloadAll(): Promise<void> {
    const events = await this.store.consent.listAll();
    this.scopes.clear();
    this.grants.clear();
    this.latest.clear();
    for (const e of events) this.apply(e);
  }

  private apply(event: ConsentEvent): void {
    let scope = this.scopes.get(event.homeId);
    if (!scope) {
      scope = emptyScope();
      this.scopes.set(event.homeId, scope);
    }
    scope[event.category][event.purpose] = event.action === 'grant';
    let grants = this.grants.get(event.homeId);
    if (!grants) {
      grants = new Map();
      this.grants.set(event.homeId, grants);
    }
    const key = `${event.category}/${event.purpose}`;
    if (event.action === 'grant') grants.set(key, event);
    else grants.delete(key);
    let latest = this.latest.get(event.homeId);
    if (!latest) {
      latest = new Map();
      this.latest.set(event.homeId, latest);
    }
    latest.set(key, event);
  }
}
