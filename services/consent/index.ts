import {
  type ConsentChangeRequest,
  type ConsentEvent,
  type ConsentScope,
  emptyScope,
  type HomeId,
  type Purpose,
  type ReadingCategory,
} from '../domain/index.ts';
import { type Clock, type Logger, notFound, systemClock } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

export interface ConsentActor {
  id: string;
  role: string;
}

export interface ConsentChange {
  homeId: HomeId;
  event: ConsentEvent;
  scope: ConsentScope;
}

/**
 * The consent registry: the only place consent lives. Changes are append-only events in the store;
 * the current scope per home is derived from them and kept in memory, so `allows()` costs one
 * map lookup on the hot path and a withdrawal takes effect for the very next reading.
 */
export class ConsentRegistry {
  private readonly scopes = new Map<HomeId, ConsentScope>();
  private readonly listeners: Array<(change: ConsentChange) => void> = [];

  private constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  static async load(store: Store, logger: Logger, clock: Clock = systemClock): Promise<ConsentRegistry> {
    const registry = new ConsentRegistry(store, logger, clock);
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

  history(homeId: HomeId): Promise<ConsentEvent[]> {
    return this.store.consent.listByHome(homeId);
  }

  /**
   * Records a grant or withdrawal. The scope in memory changes before this returns, so the
   * next reading is judged by it; listeners (the home's config topic, the dashboard) hear at once.
   */
  async change(homeId: HomeId, request: ConsentChangeRequest, actor: ConsentActor): Promise<ConsentChange> {
    if (!(await this.store.homes.get(homeId))) throw notFound(`home ${homeId}`);
    const event = await this.store.consent.append({
      homeId,
      category: request.category,
      purpose: request.purpose,
      action: request.action,
      actorId: actor.id,
      actorRole: actor.role,
      onBehalfOf: request.onBehalfOf ?? null,
      channel: request.channel,
      textVersion: request.textVersion,
      reference: request.reference ?? null,
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
      },
      'consent changed',
    );
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error({ err }, 'consent listener failed');
      }
    }
    return change;
  }

  onChange(listener: (change: ConsentChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private apply(event: ConsentEvent): void {
    let scope = this.scopes.get(event.homeId);
    if (!scope) {
      scope = emptyScope();
      this.scopes.set(event.homeId, scope);
    }
    scope[event.category][event.purpose] = event.action === 'grant';
  }
}
