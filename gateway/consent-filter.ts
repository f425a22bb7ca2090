import { z } from 'zod';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory,
  type GatewayScope,
  type ReadingCategory,
} from '../services/domain/index.ts';
import { type Clock, type Logger, type Metrics, systemClock, type Timer } from '../services/runtime/index.ts';

/**
 * One category's grants as far as the gateway cares: whether its readings may leave the home. Other
 * purposes the platform may publish (a newer platform's) are ignored, not refused: refusing would
 * keep an older scope, and with it a withdrawal from taking effect.
 */
// `night_round` defaults to false so a scope from a platform before the night round still reads
const Grant = z.object({
  alerts: z.boolean(),
  history: z.boolean(),
  night_round: z.boolean().default(false),
});

/**
 * The home's retained config as the platform publishes it (services/domain HomeConfig): the consent
 * scope and when it was made. `night_round` per category sits beside `consent`, so gateways of older
 * releases (a strict grant schema) still accept the message; a platform of the release before sent
 * it inside each grant, which is read too.
 */
export const HomeConfigMessage = z.object({
  consent: z.strictObject(
    Object.fromEntries(CONSENT_CATEGORIES.map((c) => [c, Grant])) as Record<ConsentCategory, typeof Grant>,
  ),
  night_round: z
    .object(
      Object.fromEntries(CONSENT_CATEGORIES.map((c) => [c, z.boolean().default(false)])) as Record<
        ConsentCategory,
        z.ZodDefault<z.ZodBoolean>
      >,
    )
    .optional(),
  /** platform time (epoch ms) the scope was published; an older one never replaces a newer */
  at: z.number().int().nonnegative().optional(),
});

/** the scope a message says, the night round's grants from beside `consent` folded into each category */
function scopeOf(message: z.infer<typeof HomeConfigMessage>): GatewayScope {
  const scope = {} as GatewayScope;
  for (const c of CONSENT_CATEGORIES) {
    const grant = message.consent[c];
    scope[c] = { ...grant, night_round: grant.night_round || message.night_round?.[c] === true };
  }
  return scope;
}

interface KnownScope {
  scope: GatewayScope;
  at: number;
}

/** where the filter keeps the last good scope, so a restart during an outage still knows it */
export interface ScopeMemory {
  getValue(key: string): string | undefined;
  setValue(key: string, value: string): void;
}

const KEY = 'consent';
const SUMMARY_EVERY_MS = 60_000;

/**
 * Consent at the source: the gateway holds back every category the home has not consented to
 * (neither alerts nor history), so those readings never leave the home. The scope comes from the
 * home's retained config topic; a message that does not validate is refused and the last good scope
 * is kept (and survives restarts). Until a scope is known, nothing is sent: the platform publishes
 * the scope the moment the gateway subscribes, and holding is not losing. Technical data (battery,
 * heartbeat, device status) needs no consent. Drops are counted and logged by category only.
 */
export class ConsentFilter {
  private known: KnownScope | null = null;
  private readonly pendingLog = new Map<ReadingCategory, number>();
  private summaryTimer: Timer | null = null;
  private readonly droppedTotal;
  private readonly configs;

  constructor(
    private readonly memory: ScopeMemory,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly clock: Clock = systemClock,
  ) {
    this.droppedTotal = metrics.counter(
      'tryghed_gateway_consent_dropped_total',
      'Readings kept in the home because the home has not consented to their category',
      ['category'],
    );
    this.configs = metrics.counter('tryghed_gateway_config_total', 'Home config messages by outcome', [
      'outcome',
    ]);
    const saved = memory.getValue(KEY);
    if (saved) {
      try {
        const parsed = HomeConfigMessage.parse(JSON.parse(saved));
        this.known = { scope: scopeOf(parsed), at: parsed.at ?? 0 };
      } catch {
        logger.warn('the saved consent scope is unreadable; waiting for the platform to send it');
      }
    }
  }

  /** null while no scope is known; then whether readings of `category` may leave the home */
  allows(category: ReadingCategory): boolean | null {
    if (category === 'technical') return true;
    if (!this.known) return null;
    const grant = this.known.scope[category];
    // the night round's summary is made on the platform from what the home sends
    return grant.alerts || grant.history || grant.night_round;
  }

  get hasScope(): boolean {
    return this.known !== null;
  }

  /** a message on the home's config topic */
  onConfig(payload: Buffer): 'applied' | 'invalid' | 'stale' {
    let parsed: z.infer<typeof HomeConfigMessage>;
    try {
      parsed = HomeConfigMessage.parse(JSON.parse(payload.toString('utf8')));
    } catch (err) {
      this.configs.inc({ outcome: 'invalid' });
      const issues = err instanceof z.ZodError ? err.issues.map((i) => i.path.join('.') || i.message) : [];
      this.logger.warn(
        { issues: issues.slice(0, 5), kept: this.known ? 'last good scope' : 'none yet' },
        'home config refused; the last good consent scope stays in force',
      );
      return 'invalid';
    }
    const at = parsed.at ?? 0;
    if (this.known && at < this.known.at) {
      this.configs.inc({ outcome: 'stale' });
      this.logger.info('an older home config was ignored');
      return 'stale';
    }
    const scope = scopeOf(parsed);
    this.known = { scope, at };
    this.memory.setValue(KEY, JSON.stringify({ consent: scope, at }));
    this.configs.inc({ outcome: 'applied' });
    const allowed = CONSENT_CATEGORIES.filter((c) => this.allows(c));
    this.logger.info({ allowed }, 'consent scope in force');
    return 'applied';
  }

  /** counts (and, in a summary a minute later, logs) a reading kept in the home */
  dropped(category: ReadingCategory): void {
    this.droppedTotal.inc({ category });
    this.pendingLog.set(category, (this.pendingLog.get(category) ?? 0) + 1);
    if (!this.summaryTimer) {
      this.logger.info({ category }, 'reading kept in the home: no consent for its category');
      // a quiet home must not be kept awake by a log timer
      this.summaryTimer = this.clock.setTimeout(() => this.summarise(), SUMMARY_EVERY_MS).unref();
    }
  }

  stop(): void {
    this.summaryTimer?.cancel();
    this.summaryTimer = null;
  }

  private summarise(): void {
    this.summaryTimer = null;
    if (this.pendingLog.size === 0) return;
    const byCategory = Object.fromEntries(this.pendingLog);
    this.pendingLog.clear();
    this.logger.info({ byCategory }, 'readings kept in the home in the last minute: no consent');
  }
}
