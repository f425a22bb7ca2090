import type { AlertService } from '../alerts/index.ts';
import type { Alert, AlertEvent, Severity } from '../domain/index.ts';
import type { PlatformBus } from '../events/index.ts';
import type { HealthView } from '../health/index.ts';
import type { AlertNotice, DeliveryAttempt, NoticeReason, Notifier } from '../notify/index.ts';
import type { ChannelJob, ChannelResult, NoticeOutbox } from '../outbox/index.ts';
import type { HomeOwnership, ShardsGained, ShardsLost } from '../ownership/index.ts';
import type { Registry } from '../registry/index.ts';
import {
  type Clock,
  type Logger,
  type Metrics,
  MinHeap,
  type Timer,
  TryghedError,
} from '../runtime/index.ts';

/** Who is told at each level. */
export interface EscalationNotifiers {
  /** level 1: a team's own channel (a team phone, a chat), if it has one */
  team(teamId: string): Notifier[];
  /** level 2: outside the dashboard; never empty in the platform (the log notifier at least) */
  fallback: Notifier[];
  /** technical alerts, once, if configured; care notifiers never get them */
  technician: Notifier[];
}

/** When an alert next escalates, as kept in the store (its `escalationDeadlines`, owned here). */
export interface StoredDeadline {
  alertId: string;
  dueAt: number;
  level: number;
  reminders: number;
  updatedAt: number;
}

/**
 * A write for a home's alert made only while this process holds the home's shard at this epoch
 * (several processes, issue 9 point 4); the store checks it in the write's transaction.
 */
export interface EscalationFence {
  owner: string;
  shard: number;
  /** -1: the shard is not held here (always refused) */
  epoch: number;
}

export interface EscalationDeadlineStore {
  all(): Promise<StoredDeadline[]>;
  /** written (true), or refused by the fence (false): the lease was lost */
  put(deadline: StoredDeadline, fence?: EscalationFence): Promise<boolean>;
  delete(alertId: string): Promise<void>;
}

export interface EscalationOptions {
  alerts: AlertService;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** ms an open alert may stay unacknowledged before it escalates one level; null: never by time */
  deadlines: Record<Severity, number | null>;
  /** the shortest time between two reminders to the fallback about one alert, ms */
  renotifyMinMs: number;
  notifiers: EscalationNotifiers;
  /** teams with at least one staff member on the dashboard now */
  watchingTeams: () => Set<string>;
  health: HealthView;
  /** `start()` listens here for `alert/changed` and `health/changed` */
  events: PlatformBus;
  /** the alert on the dashboard */
  link: (alertId: string) => string;
  /**
   * Alerts re-armed after a restart wait this long (ms) before "nobody of the team is watching"
   * counts: the browsers need a moment to reconnect (they retry within 10 s).
   */
  reconnectGraceMs?: number;
  /**
   * The store, where each armed alert's next deadline is kept (written when it is set, which is
   * when an alert opens or climbs, never per reading), so a restart or another process carries on
   * from it. Without it, deadlines are worked out again from the alert and its notices.
   */
  store?: { readonly escalationDeadlines: EscalationDeadlineStore };
  /**
   * Which homes' alerts this process escalates (several processes on one store, issue 9 point 4).
   * Without it, every home's. With it, `start()` arms nothing: each shard gained re-arms its open
   * alerts from their kept deadlines (one passed meanwhile fires at once), each shard lost is let
   * go without touching its deadlines, and nothing is escalated unless the lease is confirmed.
   */
  ownership?: HomeOwnership;
  /** where notices go to be sent, durably (services/outbox) */
  outbox: NoticeOutbox;
}

/** A notifier's outbox channel name: its kind and configured name (never a URL or number). */
export function channelName(notifier: Pick<Notifier, 'kind' | 'target'>): string {
  return `${notifier.kind}:${notifier.target}`;
}

/** An open, unacknowledged alert we are watching the clock for. */
interface Armed {
  id: string;
  homeId: string;
  rule: Alert['rule'];
  severity: Severity;
  openedAt: number;
  level: number;
  /** ms per level */
  deadline: number;
  /** bumped on each (re)schedule; a heap entry with an older version is stale */
  version: number;
  reminders: number;
  /** notices of this alert being written to the outbox, or sent directly when it could not take them */
  sending: number;
  /** stops retries once the alert is taken on */
  readonly stop: AbortController;
  /** "nobody watching" is not judged before this (clock ms) */
  watchFrom: number;
  /** when it is due next (clock ms) */
  dueAt: number;
  /**
   * a deadline row may be in the store for it: not for an alert armed at its opening, whose first
   * deadline a restart works out from the alert itself, until its deadline is kept
   */
  kept: boolean;
  /** a page of it may be in the outbox: sent by this process, or from before a restart or takeover */
  paged: boolean;
}

const DEFAULT_RECONNECT_GRACE_MS = 15_000;
const REARM_PAGE = 100_000;

/**
 * Never silent (issue 3 item 6): an alert that nobody takes on climbs from the team's screens
 * (level 0) to the whole team (level 1) to the fallback notifier outside the dashboard (level 2),
 * and the fallback is reminded every deadline until someone acknowledges. A critical alert skips
 * the wait when nobody of its team is watching or the platform is degraded. Acknowledging or
 * resolving stops it.
 *
 * Deadlines sit in a min-heap, so a tick touches only what is due. The only per-tick scan is over
 * critical alerts not yet at the fallback, to notice a team that stopped watching: those are few.
 */
export class EscalationService {
  private readonly armed = new Map<string, Armed>();
  private readonly heap = new MinHeap<{ id: string; version: number }>();
  /** critical alerts below level 2: they go to the fallback as soon as nobody watches */
  private readonly criticalBelowFallback = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** outbox channels this service registered */
  private readonly registered = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private timer: Timer | undefined;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  /** aborts sends that belong to no armed alert (technical notices) when we stop */
  private readonly stopping = new AbortController();
  private readonly escalations;
  private readonly notified;
  private readonly armedGauge;
  private readonly fenced;
  /** shards whose alerts are escalated here (with `ownership`) */
  private readonly activeShards = new Set<number>();
  /** something due was put off because the lease waited for confirmation */
  private waitingForLease = false;

  constructor(private readonly o: EscalationOptions) {
    this.escalations = o.metrics.counter(
      'tryghed_escalations_total',
      'Alerts escalated or reminded, by level and reason',
      ['level', 'reason'],
    );
    this.notified = o.metrics.counter(
      'tryghed_notifications_total',
      'Notification attempts, by notifier and result',
      ['notifier', 'result'],
    );
    this.armedGauge = o.metrics.gauge('tryghed_escalation_armed', 'Unacknowledged alerts being escalated');
    this.fenced = o.metrics.counter(
      'tryghed_escalation_fenced_total',
      "Escalation writes refused because this process no longer held the home's lease",
      ['write'],
    );
  }

  /**
   * Listens for alert events, then re-arms every open alert from the store, so escalation
   * survives a restart. Listening first means an alert opened meanwhile is not missed.
   */
  async start(tickIntervalMs?: number): Promise<void> {
    const own = this.o.ownership;
    if (own)
      this.unsubscribe.push(
        own.watch({
          gained: (c) => this.gain(c),
          lost: (c) => this.lose(c),
          // what waited for the lease goes now, not a tick later
          confirmed: () => {
            if (this.waitingForLease) {
              this.waitingForLease = false;
              this.track(this.tick());
            }
          },
        }),
      );
    this.unsubscribe.push(
      this.o.events.on('alert/changed', (event) => this.onAlertEvent(event)),
      this.o.events.on('health/changed', ({ degraded }) => {
        if (degraded.length > 0) this.track(this.fallbackCritical({ kind: 'degraded', reasons: degraded }));
      }),
    );
    this.registerNotifiers([...this.o.notifiers.fallback, ...this.o.notifiers.technician]);
    if (own) {
      // armed per shard as shards are gained (see `gain`); the timer runs from now
      for (const shard of own.held()) this.activeShards.add(shard);
      if (this.activeShards.size > 0) await this.rearmShards(new Set(this.activeShards));
      this.startTimer(tickIntervalMs);
      return;
    }
    const kept = new Map((await this.loadDeadlines()).map((d) => [d.alertId, d]));
    const open = await this.o.alerts.list({ states: ['open'], limit: REARM_PAGE });
    const graceUntil = this.o.clock.now() + (this.o.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS);
    for (const alert of open) {
      if (!this.armed.has(alert.id)) await this.rearm(alert, graceUntil, kept.get(alert.id));
      kept.delete(alert.id);
    }
    // deadlines of alerts taken on (or gone) while we were down
    for (const id of kept.keys()) this.forgetDeadline(id);
    if (open.length > 0) this.o.logger.info({ alerts: open.length }, 're-armed open alerts');
    // A deadline that passed while the platform was down escalates now, not a tick later and
    // never silently; a critical alert still waits out the reconnect grace for "nobody watching".
    await this.tick();
    this.startTimer(tickIntervalMs);
  }

  private startTimer(tickIntervalMs?: number): void {
    if (!tickIntervalMs) return;
    this.timer = this.o.clock.setInterval(() => {
      this.tick().catch((err: unknown) => this.o.logger.error({ err }, 'escalation tick failed'));
    }, tickIntervalMs);
    this.timer.unref();
  }

  /** whether this process escalates the home's alerts (every home's without `ownership`) */
  private runs(homeId: string): boolean {
    const own = this.o.ownership;
    return !own || this.activeShards.has(own.shardOf(homeId));
  }

  /** Shards taken over: their open alerts are armed from the kept deadlines; one overdue fires now. */
  private async gain({ shards }: ShardsGained): Promise<void> {
    for (const shard of shards) this.activeShards.add(shard);
    if (!this.stopped) await this.rearmShards(new Set(shards));
  }

  private async rearmShards(shards: Set<number>): Promise<void> {
    const own = this.o.ownership!;
    const kept = new Map((await this.loadDeadlines()).map((d) => [d.alertId, d]));
    const open = (await this.o.alerts.list({ states: ['open'], limit: REARM_PAGE })).filter((a) =>
      shards.has(own.shardOf(a.homeId)),
    );
    const graceUntil = this.o.clock.now() + (this.o.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS);
    for (const alert of open) {
      if (!this.armed.has(alert.id) && this.runs(alert.homeId))
        await this.rearm(alert, graceUntil, kept.get(alert.id));
    }
    if (open.length > 0)
      this.o.logger.info({ alerts: open.length }, 're-armed open alerts of shards taken over');
    // a deadline that passed during the takeover escalates now, once, never silently
    await this.tick();
  }

  /** Shards let go: their alerts are dropped here only; deadlines stay in the store for the next owner. */
  private lose({ shards }: ShardsLost): void {
    const own = this.o.ownership!;
    const gone = new Set(shards);
    for (const shard of shards) this.activeShards.delete(shard);
    for (const a of [...this.armed.values()]) {
      if (!gone.has(own.shardOf(a.homeId))) continue;
      // a notice already on its way is left to finish: the next owner goes on from the kept deadline
      this.armed.delete(a.id);
      this.criticalBelowFallback.delete(a.id);
    }
    this.armedGauge.set(this.armed.size);
  }

  /**
   * Before paging: the home is still ours and our lease confirmed. A lease waiting for confirmation
   * (a paused process) looks again shortly; a home gone elsewhere is dropped here.
   */
  private mayAct(a: Armed): boolean {
    const own = this.o.ownership;
    if (!own || own.owns(a.homeId)) return true;
    if (!this.runs(a.homeId)) {
      this.armed.delete(a.id);
      this.criticalBelowFallback.delete(a.id);
    } else {
      this.waitingForLease = true;
    }
    return false;
  }

  /** Escalates what is due now. Sends go on in the background; `idle()` waits for them. */
  tick(): Promise<void> {
    // one tick at a time: a slow store must not make two ticks escalate the same alert
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Resolves when nothing is being escalated or sent. */
  async idle(): Promise<void> {
    for (;;) {
      while (this.inFlight.size > 0 || this.ticking) {
        await Promise.allSettled([...this.inFlight, this.ticking]);
      }
      // something due waits for the lease's confirmation: that cycle is part of the work
      if (this.waitingForLease && this.o.ownership && !this.stopped) {
        await this.o.ownership.idle();
        if (!this.waitingForLease) continue; // confirmed: its tick is in flight now
      }
      // and what went into the outbox: sent, or waiting for its next try
      await this.o.outbox.idle();
      if (this.inFlight.size === 0 && !this.ticking) return;
    }
  }

  /** the alerts being escalated now, for /metrics and tests */
  armedAlerts(): Array<{ id: string; level: number }> {
    return [...this.armed.values()].map((a) => ({ id: a.id, level: a.level }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0).reverse()) off();
    this.stopping.abort();
    for (const a of this.armed.values()) a.stop.abort();
    await this.idle();
    this.armed.clear();
    this.criticalBelowFallback.clear();
    this.armedGauge.set(0);
  }

  private onAlertEvent(event: AlertEvent): void {
    if (this.stopped) return;
    switch (event.type) {
      case 'opened':
        // an alert shown before the store took it is armed already; its stored 'opened' comes later
        if (this.runs(event.alert.homeId) && !this.armed.has(event.alert.id))
          this.track(this.opened(event.alert, true));
        break;
      case 'acknowledged':
      case 'resolved':
        this.disarm(event.alert.id, event.type);
        break;
      case 'repeated':
        // a critical alert pressed again after acknowledgement is open again: its deadline runs anew
        if (event.alert.state === 'open' && !this.armed.has(event.alert.id) && this.runs(event.alert.homeId))
          this.track(this.opened({ ...event.alert, openedAt: event.alert.lastSeenAt }, false));
        break;
      default:
      // escalated, notified: our own changes need nothing; a repeat of an open alert keeps its deadline
    }
  }

  /**
   * `atOpening`: armed as the alert opened, so its first deadline is what a restart works out from
   * the stored alert (opened + one deadline, level 0) and is not written; an alert open again after
   * acknowledgement counts from its repeat, which the store does not say, so that deadline is kept.
   */
  private async opened(alert: Alert, atOpening: boolean): Promise<void> {
    // A test alert never pages anyone: it is not armed at all.
    if (alert.test) return;
    if (alert.audience === 'technical') {
      // Technical alerts (device offline, battery) never reach care notifiers; technicians once.
      if (this.o.notifiers.technician.length > 0) {
        const notice = { ...this.armedFrom(alert, 0, 0), stop: this.stopping };
        this.notifyAll(notice, this.o.notifiers.technician, 0, { kind: 'technical' });
      }
      return;
    }
    const a = this.arm(alert, 0, 0);
    if (!a) return;
    this.schedule(a, alert.openedAt + a.deadline);
    // an alert open again keeps its escalation level in the store too: re-armed at 0, it says so
    if (!atOpening || alert.escalationLevel !== 0) this.keepDeadline(a);
    if (a.severity === 'critical') {
      const degraded = this.o.health.degraded();
      if (degraded.length > 0) await this.toFallback(a, { kind: 'degraded', reasons: degraded });
      else if (!this.teamWatching(a, this.o.watchingTeams())) await this.toFallback(a, { kind: 'unwatched' });
    }
  }

  /**
   * After a restart: the deadline kept in the store, else it counts from the opening, or from the
   * last notice at its level. The level is always the alert's own (the deadline is kept only after
   * the alert's level is stored, so a crash between the two escalates again rather than never).
   */
  private async rearm(alert: Alert, graceUntil: number, kept?: StoredDeadline): Promise<void> {
    if (alert.test || alert.audience !== 'care') return;
    const a = this.arm(alert, alert.escalationLevel, graceUntil);
    if (!a) return;
    // from before the restart: its row and its pages may be there
    a.kept = true;
    a.paged = true;
    if (kept && kept.level === a.level) {
      a.reminders = kept.reminders;
      this.schedule(a, kept.dueAt);
      return;
    }
    let due = alert.openedAt + a.deadline * (a.level + 1);
    if (a.level >= 1) {
      const attempts = await this.o.alerts.notifications(alert.id).catch(() => []);
      const last = attempts.filter((n) => n.level === a.level).at(-1);
      if (last) due = last.at + (a.level >= 2 ? this.interval(a) : a.deadline);
      // one notice per distinct time; the first was not a reminder
      a.reminders = Math.max(0, new Set(attempts.filter((n) => n.level >= 2).map((n) => n.at)).size - 1);
    }
    this.schedule(a, due);
  }

  private arm(alert: Alert, level: number, watchFrom: number): Armed | null {
    const deadline = this.o.deadlines[alert.severity];
    // a severity without a deadline (low, by default) stays on the team's screens
    if (!deadline) return null;
    const a = this.armedFrom(alert, level, watchFrom, deadline);
    this.armed.set(a.id, a);
    if (a.severity === 'critical' && a.level < 2) this.criticalBelowFallback.add(a.id);
    this.armedGauge.set(this.armed.size);
    return a;
  }

  private armedFrom(alert: Alert, level: number, watchFrom: number, deadline = 0): Armed {
    return {
      id: alert.id,
      homeId: alert.homeId,
      rule: alert.rule,
      severity: alert.severity,
      openedAt: alert.openedAt,
      level,
      deadline,
      version: 0,
      dueAt: 0,
      reminders: 0,
      sending: 0,
      stop: new AbortController(),
      watchFrom,
      kept: false,
      paged: false,
    };
  }

  private disarm(id: string, why: string): void {
    const a = this.armed.get(id);
    if (!a) return;
    this.armed.delete(id);
    this.criticalBelowFallback.delete(id);
    a.stop.abort();
    this.armedGauge.set(this.armed.size);
    // an alert taken on before its first deadline left nothing in the store to forget or cancel
    if (a.kept) this.forgetDeadline(id);
    // its pages still waiting in the outbox are not needed any more (only ours: never a care-record push)
    if (a.paged) this.track(this.o.outbox.cancelForAlert(id, `alert_${why}`, this.pageChannels(a.homeId)));
    if (a.level > 0) this.o.logger.info({ alertId: id, level: a.level, why }, 'escalation stopped');
  }

  private schedule(a: Armed, at: number): void {
    a.dueAt = at;
    a.version++;
    this.heap.push(at, { id: a.id, version: a.version });
  }

  /** between reminders to the fallback: every deadline, but never more often than the cap */
  private interval(a: Armed): number {
    return Math.max(a.deadline, this.o.renotifyMinMs);
  }

  private async runTick(): Promise<void> {
    const now = this.o.clock.now();
    const due: Armed[] = [];
    for (let key = this.heap.peekKey(); key !== undefined && key <= now; key = this.heap.peekKey()) {
      const entry = this.heap.pop()!.value;
      const a = this.armed.get(entry.id);
      if (a && a.version === entry.version) due.push(a);
    }
    const work: Array<Promise<void>> = due.map((a) => this.step(a, now));
    if (this.criticalBelowFallback.size > 0) {
      const watching = this.o.watchingTeams();
      for (const id of this.criticalBelowFallback) {
        const a = this.armed.get(id);
        if (a && now >= a.watchFrom && !this.teamWatching(a, watching)) {
          work.push(this.toFallback(a, { kind: 'unwatched' }));
        }
      }
    }
    await Promise.all(work);
  }

  private async step(a: Armed, now: number): Promise<void> {
    if (!this.mayAct(a)) {
      // still due (same deadline): looked at again at the next tick or once the lease is confirmed
      if (this.armed.has(a.id)) this.heap.push(now, { id: a.id, version: a.version });
      return;
    }
    if (a.level === 0) {
      this.schedule(a, now + a.deadline);
      await this.raise(a, 1, { kind: 'unacknowledged' });
    } else if (a.level === 1) {
      this.schedule(a, now + this.interval(a));
      await this.raise(a, 2, { kind: 'unacknowledged' });
    } else {
      this.schedule(a, now + this.interval(a));
      await this.remind(a);
    }
    this.keepDeadline(a);
  }

  /** Straight to the fallback; reminders follow every interval from now. */
  private async toFallback(a: Armed, reason: NoticeReason): Promise<void> {
    if (a.level >= 2 || !this.mayAct(a)) return;
    this.schedule(a, this.o.clock.now() + this.interval(a));
    await this.raise(a, 2, reason);
    this.keepDeadline(a);
  }

  private async loadDeadlines(): Promise<StoredDeadline[]> {
    const store = this.o.store?.escalationDeadlines;
    if (!store) return [];
    try {
      return await store.all();
    } catch (err) {
      // worked out from the alerts instead: a little later maybe, never lost
      this.o.logger.error({ err }, 'could not load escalation deadlines; working them out from the alerts');
      return [];
    }
  }

  /** Keeps an armed alert's next deadline in the store (after its level is stored). */
  private keepDeadline(a: Armed): void {
    const store = this.o.store?.escalationDeadlines;
    if (!store || !this.armed.has(a.id)) return;
    a.kept = true;
    const row = {
      alertId: a.id,
      dueAt: a.dueAt,
      level: a.level,
      reminders: a.reminders,
      updatedAt: this.o.clock.now(),
    };
    this.track(
      store.put(row, this.fenceOf(a.homeId)).then((written) => {
        if (written === false) this.leaseLost(a, 'deadline');
      }),
    );
  }

  /** with `ownership`: the home's shard and the epoch held here (-1 when not held), for the store to check */
  private fenceOf(homeId: string): EscalationFence | undefined {
    const own = this.o.ownership;
    if (!own) return undefined;
    const shard = own.shardOf(homeId);
    return { owner: own.owner, shard, epoch: own.epochs().get(shard) ?? -1 };
  }

  /** The store refused a write: the lease is gone, so is the alert from here (the new owner has it). */
  private leaseLost(a: Armed, write: 'level' | 'deadline'): void {
    this.fenced.inc({ write });
    this.o.logger.warn(
      { alertId: a.id, write },
      "escalation write refused: this process no longer holds the home's lease; the new owner carries on",
    );
    if (this.armed.get(a.id) !== a) return;
    this.armed.delete(a.id);
    this.criticalBelowFallback.delete(a.id);
    this.armedGauge.set(this.armed.size);
  }

  private forgetDeadline(alertId: string): void {
    const store = this.o.store?.escalationDeadlines;
    if (store) this.track(store.delete(alertId));
  }

  private async fallbackCritical(reason: NoticeReason): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const id of this.criticalBelowFallback) {
      const a = this.armed.get(id);
      if (a) work.push(this.toFallback(a, reason));
    }
    await Promise.all(work);
  }

  /**
   * Raises the alert to `level` and tells whoever each level passed adds: the team's notifier at
   * 1, the fallback at 2. Notifying does not wait for the store: a failing database is exactly
   * when the fallback matters.
   */
  private async raise(a: Armed, level: number, reason: NoticeReason): Promise<void> {
    const from = a.level;
    if (level <= from) return;
    a.level = level;
    if (level >= 2) this.criticalBelowFallback.delete(a.id);
    this.escalations.inc({ level: String(level), reason: reason.kind });
    try {
      const changed = await this.o.alerts.escalate(a.id, level, this.fenceOf(a.homeId));
      if (!changed) {
        const current = await this.o.alerts.get(a.id);
        if (current?.state !== 'open') {
          this.disarm(a.id, current?.state ?? 'gone');
          return;
        }
        if (this.o.ownership && current.escalationLevel >= level) {
          // another process (the home's owner before us, or after us) already raised it to this
          // level and told whoever it adds: telling them again would page twice
          this.o.logger.warn(
            { alertId: a.id, level },
            'escalation already stored by another owner; not notifying again',
          );
          return;
        }
      }
    } catch (err) {
      if (err instanceof TryghedError && err.reason === 'lease_lost') {
        // the home went to another process, which carries on from the stored level and deadline
        a.level = from;
        this.leaseLost(a, 'level');
        return;
      }
      this.o.logger.error({ err, alertId: a.id, level }, 'could not store the escalation; notifying anyway');
    }
    if (!this.armed.has(a.id)) return; // acknowledged while we were storing
    this.o.logger.warn(
      { alertId: a.id, homeId: a.homeId, severity: a.severity, level, reason: reason.kind },
      'alert escalated',
    );
    if (from < 1) {
      const teamId = this.o.registry.home(a.homeId)?.teamId;
      const team = teamId ? this.o.notifiers.team(teamId) : [];
      if (team.length > 0) this.notifyAll(a, team, 1, reason);
    }
    if (level >= 2) {
      if (this.o.notifiers.fallback.length === 0) {
        this.o.logger.error(
          { alertId: a.id },
          'no fallback notifier configured; the alert stays on the dashboard',
        );
      }
      this.notifyAll(a, this.o.notifiers.fallback, 2, reason);
    }
  }

  private async remind(a: Armed): Promise<void> {
    if (a.sending > 0 || (await this.fallbackStillTrying(a))) {
      // the last notice is still being retried; another one now would only queue behind it
      this.o.logger.warn({ alertId: a.id }, 'reminder skipped: the previous one is still being sent');
      return;
    }
    a.reminders++;
    this.escalations.inc({ level: '2', reason: 'reminder' });
    this.notifyAll(a, this.o.notifiers.fallback, 2, { kind: 'unacknowledged' }, a.reminders);
  }

  private notifyAll(
    a: Armed,
    notifiers: Notifier[],
    level: number,
    reason: NoticeReason,
    reminder = 0,
  ): void {
    a.paged = true;
    const notice: AlertNotice = {
      alertId: a.id,
      homeId: a.homeId,
      rule: a.rule,
      severity: a.severity,
      level,
      openedAt: a.openedAt,
      at: this.o.clock.now(),
      reason,
      reminder,
      link: this.o.link(a.id),
    };
    for (const notifier of notifiers) this.track(this.sendOne(a, notifier, notice));
  }

  /**
   * The notice goes into the durable outbox (services/outbox), which sends it, tries again and
   * survives a restart. The key names the notice, not the moment: a second process that briefly
   * thought it owned the home makes the same key, and the outbox keeps one. If the store cannot
   * take it, the notice is sent straight away instead (not durable, but not lost to a store fault:
   * a failing database is exactly when the fallback matters).
   */
  private async sendOne(a: Armed, notifier: Notifier, notice: AlertNotice): Promise<void> {
    const channel = this.channelOf(notifier);
    const idempotencyKey = [
      notice.alertId,
      notice.openedAt,
      `level${notice.level}`,
      notice.reason.kind,
      `reminder${notice.reminder}`,
      channel,
    ].join(':');
    a.sending++;
    try {
      await this.o.outbox.enqueue({
        idempotencyKey,
        channel,
        payload: notice,
        alertId: notice.alertId,
        homeId: notice.homeId,
      });
    } catch (err) {
      this.o.logger.error(
        { err, alertId: a.id, notifier: notifier.kind, target: notifier.target },
        'could not write the notice to the outbox; sending it directly',
      );
      const result = await this.deliver(notifier, {
        payload: notice,
        idempotencyKey,
        signal: a.stop.signal,
        attempt: 1,
      });
      for (const attempt of result.tries ?? []) await this.record(a.id, notifier, notice.level, attempt);
    } finally {
      // written to the outbox (or sent directly): from here the outbox row is the truth
      a.sending--;
    }
  }

  /**
   * Whether a page of this alert to the fallback still waits in the outbox. Asked of the store,
   * not counted here: whichever process's outbox sends it (in a cluster, any process's may claim
   * it) and whether or not it knows the channel, the row's state is the truth. If the store does
   * not answer, the reminder goes (one too many beats none).
   */
  private async fallbackStillTrying(a: Armed): Promise<boolean> {
    const fallback = new Set(this.o.notifiers.fallback.map(channelName));
    try {
      const rows = await this.o.outbox.notDelivered(a.id);
      return rows.some((row) => row.state === 'pending' && fallback.has(row.channel));
    } catch (err) {
      this.o.logger.error({ err, alertId: a.id }, 'could not ask the outbox about the last reminder');
      return false;
    }
  }

  /** the outbox channels this alert's pages go out on: the fallback's, its team's, any used here */
  private pageChannels(homeId: string): string[] {
    const teamId = this.o.registry.home(homeId)?.teamId;
    const notifiers = [...this.o.notifiers.fallback, ...(teamId ? this.o.notifiers.team(teamId) : [])];
    return [...new Set([...notifiers.map(channelName), ...this.registered])];
  }

  /** Registers each notifier as an outbox channel (the platform names them all before the outbox starts). */
  registerNotifiers(notifiers: readonly Notifier[]): void {
    for (const notifier of notifiers) this.register(notifier);
  }

  /** the outbox channel of a notifier: `kind:target`, registered on first use */
  private channelOf(notifier: Notifier): string {
    const name = channelName(notifier);
    if (!this.registered.has(name) || !this.o.outbox.hasChannel(name)) this.register(notifier);
    return name;
  }

  private register(notifier: Notifier): void {
    const name = channelName(notifier);
    this.registered.add(name);
    this.o.outbox.registerChannel(name, (job) => this.deliver(notifier, job), {
      afterTry: async (row, result) => {
        const level = (JSON.parse(row.payload) as AlertNotice).level;
        if (row.alertId) {
          for (const attempt of result.tries ?? []) await this.record(row.alertId, notifier, level, attempt);
        }
      },
    });
  }

  /** One call to a notifier: its tries are collected and recorded on the alert once stored. */
  private async deliver(
    notifier: Notifier,
    job: Pick<ChannelJob, 'payload' | 'idempotencyKey' | 'signal' | 'attempt'>,
  ): Promise<ChannelResult> {
    const tries: DeliveryAttempt[] = [];
    try {
      const result = await notifier.send(job.payload as AlertNotice, {
        signal: job.signal,
        idempotencyKey: job.idempotencyKey,
        firstAttempt: job.attempt,
        onAttempt: (attempt) => {
          tries.push(attempt);
        },
      });
      return { ...result, tries };
    } catch (err) {
      this.o.logger.error({ err, notifier: notifier.kind, target: notifier.target }, 'notifier failed');
      // A notifier that breaks is a notice that did not go out: staff must see that on the board,
      // not a notice still "on its way" (issue 7 item 11).
      const attempt = (tries.at(-1)?.attempt ?? job.attempt - 1) + 1;
      tries.push({ attempt, result: 'failed', detail: 'notifier_error' });
      return { delivered: false, attempts: tries.length, detail: 'notifier_error', tries };
    }
  }

  /** Every attempt is kept on the alert, delivered or not, so staff and auditors see what was tried. */
  private async record(alertId: string, notifier: Notifier, level: number, attempt: DeliveryAttempt) {
    this.notified.inc({ notifier: notifier.kind, result: attempt.result });
    try {
      await this.o.alerts.recordNotification({
        alertId,
        at: this.o.clock.now(),
        notifier: notifier.kind,
        target: notifier.target,
        level,
        attempt: attempt.attempt,
        result: attempt.result,
        detail: attempt.detail,
      });
    } catch (err) {
      this.o.logger.error({ err, alertId }, 'could not record a notification attempt');
    }
  }

  private teamWatching(a: Armed, watching: Set<string>): boolean {
    const teamId = this.o.registry.home(a.homeId)?.teamId;
    return teamId !== undefined && watching.has(teamId);
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.o.logger.error({ err }, 'escalation failed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
