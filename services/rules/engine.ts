import type { ConsentRegistry } from '../consent/index.ts';
import type {
  AlertCandidate,
  Reading,
  ReadingCategory,
  RuleKind,
  SensorKind,
  Severity,
} from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Clock, Logger, Metrics } from '../runtime/index.ts';
import type { Home } from '../store/index.ts';
import { InactivityWatch } from './inactivity.ts';
import { type HomeRuleSettings, parseHomeRuleSettings } from './settings.ts';

export interface RuleEngineOptions {
  registry: Registry;
  consent: ConsentRegistry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  onCandidate: (candidate: AlertCandidate) => void;
}

/** Rules that fire on one reading, at once. */
const IMMEDIATE: Partial<Record<SensorKind, { rule: RuleKind; severity: Severity; summary: string }>> = {
  alarm_button: { rule: 'alarm_button', severity: 'critical', summary: 'Alarm button pressed' },
  fall: { rule: 'fall', severity: 'critical', summary: 'Fall detected' },
  smoke: { rule: 'smoke', severity: 'critical', summary: 'Smoke detected' },
};

const iso = (t: number) => new Date(t).toISOString();

/**
 * Turns readings into alert candidates, only inside the home's `alerts` consent for the reading's
 * category, judged at the moment of raising, so a withdrawal stops the very next one.
 */
export class RuleEngine {
  private readonly inactivity: InactivityWatch;
  private readonly settings = new WeakMap<Home, HomeRuleSettings>();
  private timer: NodeJS.Timeout | undefined;
  private tickIntervalMs = 0;
  /** performance.now() of the last timer tick: lag is about this process's timers, not the injected clock */
  private lastTickAt = 0;
  private readonly candidates;
  private readonly suppressed;

  constructor(private readonly o: RuleEngineOptions) {
    this.inactivity = new InactivityWatch((homeId) => {
      const home = o.registry.home(homeId);
      return home ? { settings: this.settingsOf(home).inactivity, timeZone: home.timezone } : null;
    });
    this.candidates = o.metrics.counter(
      'tryghed_rules_candidates_total',
      'Alert candidates raised by rules',
      ['rule'],
    );
    this.suppressed = o.metrics.counter(
      'tryghed_rules_suppressed_total',
      'Rule firings not raised, by reason',
      ['rule', 'reason'],
    );
    // Watch every home that has a motion sensor from now, so a restart does not make anyone
    // "inactive since forever", and a home silent since the start is still noticed.
    const now = o.clock.now();
    for (const home of o.registry.allHomes()) {
      if (o.registry.devicesOfHome(home.id).some((d) => d.kinds.includes('motion')))
        this.inactivity.motion(home.id, now);
    }
  }

  onReading(reading: Reading): void {
    const home = this.o.registry.home(reading.homeId);
    if (!home || !this.o.registry.device(reading.deviceId)) return;
    const immediate = IMMEDIATE[reading.kind];
    if (immediate && reading.value >= 1) {
      this.raise(
        immediate.rule,
        reading.category,
        immediate.severity,
        reading.receivedAt,
        {
          readings: [
            { deviceId: reading.deviceId, kind: reading.kind, value: reading.value, ts: reading.ts },
          ],
          summary: `${immediate.summary} at ${iso(reading.ts)}`,
        },
        reading.homeId,
      );
      return;
    }
    if (reading.kind === 'motion' && reading.value >= 1) {
      this.inactivity.motion(reading.homeId, Math.min(reading.receivedAt, this.o.clock.now()));
    }
  }

  tick(): void {
    const now = this.o.clock.now();
    for (const due of this.inactivity.due(now)) {
      const home = this.o.registry.home(due.homeId);
      if (!home) continue;
      const { minutes } = this.settingsOf(home).inactivity;
      this.raise(
        'inactivity',
        'activity',
        'high',
        now,
        {
          readings: [],
          thresholds: {
            minutes,
            window: `${due.window.start}-${due.window.end}`,
            timezone: home.timezone,
            since: due.since,
          },
          summary: `No motion for ${minutes} minutes (since ${iso(due.since)}) inside the daytime window ${due.window.start}-${due.window.end}`,
        },
        due.homeId,
      );
    }
  }

  start(tickIntervalMs: number): void {
    if (this.timer) return;
    this.tickIntervalMs = tickIntervalMs;
    this.lastTickAt = performance.now();
    this.timer = setInterval(() => {
      this.lastTickAt = performance.now();
      try {
        this.tick();
      } catch (err) {
        this.o.logger.error({ err }, 'rule tick failed');
      }
    }, tickIntervalMs);
    this.timer.unref();
  }

  /** how late the timer tick is now, in ms (0 when on time or not started); for platform health */
  tickLagMs(): number {
    if (!this.timer) return 0;
    return Math.max(0, performance.now() - this.lastTickAt - this.tickIntervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private raise(
    rule: RuleKind,
    category: ReadingCategory,
    severity: Severity,
    at: number,
    evidence: AlertCandidate['evidence'],
    homeId: string,
  ): void {
    if (!this.o.consent.allows(homeId, category, 'alerts')) {
      this.suppressed.inc({ rule, reason: 'no_consent' });
      return;
    }
    this.candidates.inc({ rule });
    this.o.onCandidate({ homeId, rule, category, severity, audience: 'care', at, evidence });
  }

  private settingsOf(home: Home): HomeRuleSettings {
    let settings = this.settings.get(home);
    if (!settings) {
      const parsed = parseHomeRuleSettings(home.settings);
      if (!parsed.ok) {
        // Settings are validated when they are saved; a bad row falls back to the defaults, loudly.
        this.o.logger.error(
          { homeId: home.id, issues: parsed.issues },
          'invalid rule settings; using defaults',
        );
      }
      settings = parsed.ok
        ? parsed.settings
        : (parseHomeRuleSettings({}) as { ok: true; settings: HomeRuleSettings }).settings;
      this.settings.set(home, settings);
    }
    return settings;
  }
}
