import type { AlertCandidate } from '../domain/alert.ts';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory,
  type Home,
  type HomeId,
  type NightRoundLatest,
  type NightRoundLook,
  type NightRoundTimes,
  type Reading,
  type SensorKind,
} from '../domain/index.ts';
import type { PlatformBus } from '../events/index.ts';
import type { Registry } from '../registry/index.ts';
import { type Clock, conflict, type Logger, type Metrics, notFound, type Timer } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';
import { nextRound, type Occurrence, openOccurrence } from './schedule.ts';
import { EVENT_KINDS, type HomeSummary, SUMMARY_KINDS, summarise } from './summary.ts';

export { localMinute, nextRound, type Occurrence, openOccurrence, ROUND_OPEN_MAX_MS } from './schedule.ts';
export {
  CHECK_RULES,
  type HomeSummary,
  type LineState,
  type Reason,
  type ReasonCode,
  type SummaryLine,
  summarise,
} from './summary.ts';

/** What the night round asks of consent: whether, and which categories, the citizen agreed to. */
export interface NightRoundConsent {
  allows(homeId: HomeId, category: ConsentCategory, purpose: 'night_round'): boolean;
}

export interface NightRoundOptions {
  /** its own tables: times, looks, escalations, latest states */
  store: Pick<Store, 'nightRound'>;
  registry: Registry;
  consent: NightRoundConsent;
  /** raises the escalation: an alert of rule `night_round_missed` to the home's team */
  raise(candidate: AlertCandidate): Promise<unknown>;
  events: PlatformBus;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** a round nobody looked at within this long is re-listed; after twice this, escalated */
  lookWithinMs: number;
}

/** Where a home stands on its open round. */
export type RoundStatus = 'due' | 'relisted' | 'escalated' | 'looked';

/** One home on the round, as the round page shows it. */
export interface RoundHome {
  home: Home;
  occurrence: Occurrence;
  status: RoundStatus;
  /** when it is re-listed and escalated if nobody looks */
  relistAt: number;
  escalateAt: number;
  looks: NightRoundLook[];
  summary: HomeSummary;
}

/** The order on the list: what needs a human most first, then by round time. */
const STATUS_ORDER: Record<RoundStatus, number> = { escalated: 0, relisted: 1, due: 2, looked: 3 };

/** the latest state is written when it changes, else at most this often (a restart loses no more) */
const LATEST_WRITE_EVERY_MS = 5 * 60_000;
/** looks and escalations are read back this far (a round is open at most 4 h, plus a day's margin) */
const LOOKBACK_MS = 28 * 3_600_000;

const KIND_CATEGORY = new Map<SensorKind, ConsentCategory>(
  CONSENT_CATEGORIES.flatMap((c) => SUMMARY_KINDS[c].map((k) => [k, c] as const)),
);

/**
 * The night round (issue 13 point 4): round times per home, the latest state of the sensors the
 * citizen consented to for it, the summary, the looks, and the escalation of a round nobody looked
 * at. The one owner of the night_round_* tables. Consent is checked at every step: a home whose
 * consent is withdrawn leaves the next listing, and what was kept of it for the round is deleted.
 */
export class NightRound {
  private times = new Map<HomeId, NightRoundTimes>();
  private readonly latest = new Map<HomeId, Map<SensorKind, NightRoundLatest>>();
  /** when the latest state of a home+kind was last written */
  private readonly written = new Map<string, number>();
  /** when each device was last heard, since start */
  private readonly heard = new Map<string, number>();
  private readonly unsubscribe: Array<() => void> = [];
  private timer: Timer | null = null;
  private readonly escalated;

  private constructor(private readonly o: NightRoundOptions) {
    this.escalated = o.metrics?.counter(
      'tryghed_night_round_escalations_total',
      'Night rounds nobody looked at in time, escalated as an alert',
    );
  }

  static async load(o: NightRoundOptions): Promise<NightRound> {
    const round = new NightRound(o);
    for (const t of await o.store.nightRound.allTimes()) round.times.set(t.homeId, t);
    for (const l of await o.store.nightRound.allLatest()) {
      round.latestOf(l.homeId).set(l.kind, l);
      round.written.set(`${l.homeId}|${l.kind}`, l.lastAt);
    }
    return round;
  }

  /**
   * Hears readings, devices and consent from the bus; checks for rounds to escalate every `tickMs`,
   * unless `escalate` is false (a process that only shows the round: the rules' processes escalate).
   */
  start(tickMs = 30_000, o: { escalate?: boolean } = {}): void {
    const { events } = this.o;
    this.unsubscribe.push(
      events.on('reading/accepted', (r) => this.onReading(r)),
      events.on('device/heard', (d) => {
        this.heard.set(d.deviceId, d.at);
      }),
      events.on('consent/changed', (c) => {
        if (c.event.purpose === 'night_round' && c.event.action === 'withdraw')
          void this.forget(c.homeId, c.event.category);
      }),
    );
    if (o.escalate === false) return;
    this.timer = this.o.clock.setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  get lookWithinMin(): number {
    return this.o.lookWithinMs / 60_000;
  }

  /** The categories of a home consented to for the night round, in summary order. */
  consentedCategories(homeId: HomeId): ConsentCategory[] {
    return CONSENT_CATEGORIES.filter((c) => this.o.consent.allows(homeId, c, 'night_round'));
  }

  timesOf(homeId: HomeId): NightRoundTimes | null {
    return this.times.get(homeId) ?? null;
  }

  async setTimes(homeId: HomeId, times: readonly string[], by: string): Promise<NightRoundTimes> {
    if (!this.o.registry.home(homeId)) throw notFound('home');
    const saved: NightRoundTimes = {
      homeId,
      times: [...times].sort(),
      updatedAt: this.o.clock.now(),
      updatedBy: by,
    };
    await this.o.store.nightRound.setTimes(saved);
    this.times.set(homeId, saved);
    return saved;
  }

  /**
   * The homes among `homeIds` whose round is open now, with their summary: escalated and
   * re-listed first. Only homes with night-round consent for at least one category.
   */
  async round(homeIds: readonly HomeId[]): Promise<RoundHome[]> {
    const now = this.o.clock.now();
    const open = this.openRounds(homeIds, now);
    if (open.length === 0) return [];
    const looks = await this.o.store.nightRound.looksSince(now - LOOKBACK_MS);
    const escalations = await this.o.store.nightRound.escalationsSince(now - LOOKBACK_MS);
    const out = open.map(({ home, occurrence, categories }) => {
      const own = looks.filter((l) => l.homeId === home.id && l.roundAt === occurrence.roundAt);
      const wasEscalated = escalations.some((e) => e.homeId === home.id && e.roundAt === occurrence.roundAt);
      return {
        home,
        occurrence,
        status: this.status(occurrence.roundAt, now, own.length > 0, wasEscalated),
        relistAt: occurrence.roundAt + this.o.lookWithinMs,
        escalateAt: occurrence.roundAt + 2 * this.o.lookWithinMs,
        looks: own,
        summary: this.summaryOf(home, categories, now),
      };
    });
    return out.sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        a.occurrence.roundAt - b.occurrence.roundAt ||
        a.home.label.localeCompare(b.home.label, 'da'),
    );
  }

  /** The next round among these homes (with consent and times), for "næste runde kl. …". */
  next(homeIds: readonly HomeId[]): { at: number; time: string; homes: number } | null {
    const now = this.o.clock.now();
    let best: { at: number; time: string; homes: number } | null = null;
    for (const id of homeIds) {
      const home = this.o.registry.home(id);
      const times = this.times.get(id)?.times ?? [];
      if (!home || times.length === 0 || this.consentedCategories(id).length === 0) continue;
      const n = nextRound(times, now, home.timezone);
      if (!n) continue;
      if (!best || n.at < best.at) best = { ...n, homes: 1 };
      else if (n.at === best.at) best.homes++;
    }
    return best;
  }

  /**
   * Records that `by` looked at the home on its open round `roundAt`. Refused (409) when the
   * round is not the home's open one, or the home is not on the night round (any more).
   */
  async look(homeId: HomeId, roundAt: number, by: { id: string; role: string }): Promise<RoundHome> {
    const home = this.o.registry.home(homeId);
    if (!home) throw notFound('home');
    const now = this.o.clock.now();
    const [open] = this.openRounds([homeId], now);
    if (!open) throw conflict('the home is not on a night round now', 'not_on_round');
    if (open.occurrence.roundAt !== roundAt)
      throw conflict('that round is over; the home is on another round now', 'round_over');
    const summary = this.summaryOf(home, open.categories, now);
    await this.o.store.nightRound.addLook({
      homeId,
      roundAt,
      lookedAt: now,
      lookedBy: by.id,
      lookedByRole: by.role,
      mark: summary.mark,
    });
    const looks = (await this.o.store.nightRound.looksSince(roundAt)).filter(
      (l) => l.homeId === homeId && l.roundAt === roundAt,
    );
    return {
      home,
      occurrence: open.occurrence,
      status: 'looked',
      relistAt: roundAt + this.o.lookWithinMs,
      escalateAt: roundAt + 2 * this.o.lookWithinMs,
      looks,
      summary,
    };
  }

  /** Escalates every open round nobody looked at within twice the look time: once per home and round. */
  async tick(): Promise<void> {
    try {
      // times set through another dashboard process are heard here
      this.times = new Map((await this.o.store.nightRound.allTimes()).map((t) => [t.homeId, t]));
      const now = this.o.clock.now();
      const due = this.openRounds([...this.times.keys()], now).filter(
        (r) => now >= r.occurrence.roundAt + 2 * this.o.lookWithinMs,
      );
      if (due.length === 0) return;
      const looks = await this.o.store.nightRound.looksSince(now - LOOKBACK_MS);
      for (const r of due) {
        if (looks.some((l) => l.homeId === r.home.id && l.roundAt === r.occurrence.roundAt)) continue;
        // one process records it first; the others see it recorded and raise nothing
        if (!(await this.o.store.nightRound.markEscalated(r.home.id, r.occurrence.roundAt, now))) continue;
        this.escalated?.inc();
        this.o.logger.warn(
          { homeId: r.home.id, roundAt: r.occurrence.roundAt },
          'night round not looked at in time; alert raised',
        );
        await this.o.raise({
          homeId: r.home.id,
          rule: 'night_round_missed',
          // the first category of the round: the alert rests on that night-round consent
          category: r.categories[0] ?? 'sleep',
          severity: 'high',
          audience: 'care',
          at: now,
          evidence: {
            readings: [],
            thresholds: { roundTime: r.occurrence.time, lookWithinMin: this.o.lookWithinMs / 60_000 },
            summary: `nobody confirmed looking at the home within ${(2 * this.o.lookWithinMs) / 60_000} min of its ${r.occurrence.time} night round`,
          },
          ...(r.home.test ? { test: true } : {}),
        });
      }
    } catch (err) {
      this.o.logger.error({ err }, 'night round check failed');
    }
  }

  /** Deletes what was kept of a home for the night round (an erasure request). */
  async eraseHome(homeId: HomeId): Promise<void> {
    this.latest.delete(homeId);
    await this.o.store.nightRound.forgetLatest(homeId, [...KIND_CATEGORY.keys()]);
  }

  private status(roundAt: number, now: number, looked: boolean, wasEscalated: boolean): RoundStatus {
    if (looked) return 'looked';
    if (wasEscalated || now >= roundAt + 2 * this.o.lookWithinMs) return 'escalated';
    if (now >= roundAt + this.o.lookWithinMs) return 'relisted';
    return 'due';
  }

  private openRounds(homeIds: readonly HomeId[], now: number) {
    const out: Array<{ home: Home; occurrence: Occurrence; categories: ConsentCategory[] }> = [];
    for (const id of homeIds) {
      const home = this.o.registry.home(id);
      const times = this.times.get(id)?.times;
      if (!home || !times || times.length === 0) continue;
      // consent is asked at every listing: a withdrawal takes the home off the very next one
      const categories = this.consentedCategories(id);
      if (categories.length === 0) continue;
      const occurrence = openOccurrence(times, now, home.timezone);
      if (occurrence) out.push({ home, occurrence, categories });
    }
    return out;
  }

  private summaryOf(home: Home, categories: ConsentCategory[], now: number): HomeSummary {
    return summarise({
      now,
      timeZone: home.timezone,
      categories,
      latest: this.latest.get(home.id) ?? new Map(),
      devices: this.o.registry.devicesOfHome(home.id),
      heardAt: (deviceId) => this.heard.get(deviceId),
    });
  }

  private latestOf(homeId: HomeId): Map<SensorKind, NightRoundLatest> {
    let m = this.latest.get(homeId);
    if (!m) {
      m = new Map();
      this.latest.set(homeId, m);
    }
    return m;
  }

  /** Keeps the latest state of a kind, only while its category is consented to for the night round. */
  private onReading(r: Reading): void {
    if (r.test) return; // a technician's test reading says nothing about the citizen's night
    const category = KIND_CATEGORY.get(r.kind);
    if (!category || !this.o.consent.allows(r.homeId, category, 'night_round')) return;
    const at = r.receivedAt;
    const kinds = this.latestOf(r.homeId);
    const before = kinds.get(r.kind);
    let next: NightRoundLatest;
    if (EVENT_KINDS.has(r.kind)) {
      // an event kind keeps when the event (value 1) was last heard
      next = {
        homeId: r.homeId,
        kind: r.kind,
        value: r.value,
        since: r.value === 1 ? at : (before?.since ?? 0),
        lastAt: at,
      };
    } else {
      next = {
        homeId: r.homeId,
        kind: r.kind,
        value: r.value,
        since: before && before.value === r.value ? before.since : at,
        lastAt: at,
      };
    }
    kinds.set(r.kind, next);
    const key = `${r.homeId}|${r.kind}`;
    const changed = !before || before.value !== next.value || before.since !== next.since;
    if (!changed && at - (this.written.get(key) ?? 0) < LATEST_WRITE_EVERY_MS) return;
    this.written.set(key, at);
    this.o.store.nightRound
      .saveLatest(next)
      .catch((err: unknown) => this.o.logger.warn({ err }, 'keeping the night-round state failed'));
  }

  /** A withdrawal: what was kept of the category for the night round goes at once. */
  private async forget(homeId: HomeId, category: ConsentCategory): Promise<void> {
    const kinds = SUMMARY_KINDS[category];
    const m = this.latest.get(homeId);
    for (const k of kinds) {
      m?.delete(k);
      this.written.delete(`${homeId}|${k}`);
    }
    try {
      await this.o.store.nightRound.forgetLatest(homeId, kinds);
    } catch (err) {
      this.o.logger.warn({ err }, 'forgetting the night-round state failed');
    }
  }
}
