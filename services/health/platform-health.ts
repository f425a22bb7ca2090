import type { PlatformBus } from '../events/index.ts';
import { type Clock, type Logger, type Metrics, systemClock, type Timer } from '../runtime/index.ts';

/**
 * Why the platform may be degraded. Codes, so the dashboard and the notifiers can say them in
 * Danish and English:
 * - `readings_not_stored`: the last write to InfluxDB failed or hangs, or the spool cannot be written
 * - `broker_down`: the MQTT broker is not accepting devices
 * - `rules_lagging`: the rules' tick runs late, so time-based rules fire late
 * - `devices_silent`: at least half of all sensors went silent (a network or broker outage)
 * - `broker_cluster_down`: the Redis that several brokers share (REDIS_URL) does not answer
 * - `events_link_down`: the Redis the platform processes tell each other their events through does not answer
 */
export type DegradedReason =
  | 'readings_not_stored'
  | 'broker_down'
  | 'rules_lagging'
  | 'devices_silent'
  | 'broker_cluster_down'
  | 'events_link_down'
  | (string & {});

/** What other parts need to know about the platform's health. */
export interface HealthView {
  /** the reasons the platform is degraded now, sorted; empty when healthy */
  degraded(): string[];
}

/**
 * Collects degradation signals from the parts that know them (ingest, broker, rules), each a
 * cheap synchronous check polled on a timer, and says `health/changed` when the set changes. A check
 * that throws counts as degraded: a health check that cannot answer is not good news.
 */
export class PlatformHealth implements HealthView {
  private readonly checks = new Map<string, () => boolean>();
  private current: string[] = [];
  private timer: Timer | undefined;
  private readonly gauge;

  constructor(
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly events: PlatformBus,
    /** polls on real time in the platform: it watches I/O (see docs/architecture.md, "Time") */
    private readonly clock: Clock = systemClock,
  ) {
    this.gauge = metrics.gauge('tryghed_platform_degraded', 'Whether the platform is degraded, by reason', [
      'reason',
    ]);
  }

  /** `isDegraded` returns true while the reason holds */
  addCheck(reason: DegradedReason, isDegraded: () => boolean): void {
    this.checks.set(reason, isDegraded);
    this.gauge.set({ reason }, 0);
  }

  degraded(): string[] {
    return [...this.current];
  }

  /** runs every check now; `health/changed` is heard before this returns */
  evaluate(): string[] {
    const next: string[] = [];
    for (const [reason, check] of this.checks) {
      let bad: boolean;
      try {
        bad = check();
      } catch (err) {
        this.logger.error({ err, reason }, 'health check failed');
        bad = true;
      }
      this.gauge.set({ reason }, bad ? 1 : 0);
      if (bad) next.push(reason);
    }
    next.sort();
    if (next.join() !== this.current.join()) {
      const before = this.current;
      this.current = next;
      if (next.length > 0) this.logger.error({ degraded: next, before }, 'platform degraded');
      else this.logger.info({ before }, 'platform healthy again');
      this.events.emit('health/changed', { degraded: [...next] });
    }
    return this.degraded();
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.evaluate();
    this.timer = this.clock.setInterval(() => this.evaluate(), intervalMs).unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
