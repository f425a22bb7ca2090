import { randomUUID } from 'node:crypto';
import type { ConsentRegistry } from '../consent/index.ts';
import type {
  AcknowledgeRequest,
  Alert,
  AlertCandidate,
  AlertEvent,
  AlertState,
  NotificationAttempt,
  Purpose,
  ResolveRequest,
  RuleKind,
} from '../domain/index.ts';
import type { PlatformBus } from '../events/index.ts';
import type { Registry } from '../registry/index.ts';
import {
  alarmStep,
  type Clock,
  conflict,
  type Logger,
  type Metrics,
  notFound,
  systemClock,
  type Timer,
  TryghedError,
} from '../runtime/index.ts';
import type { HomeAlertFilter, ResolvedAlertFilter, Store } from '../store/index.ts';
import { type PendingRepeats, RepeatThrottle } from './repeat-throttle.ts';
import { repeatedUnsaved, UnsavedAlerts, type UnsavedChange } from './unsaved.ts';

/** How often alerts the store did not take are offered to it again (ms, real time). */
export const UNSAVED_RETRY_MS = 1000;
const MERGED_NOTE =
  'Raised while the store was unreachable; counted on the alert already open for this home and rule.';

/**
 * The consent an alert of this rule rests on: a missed night round is part of the night round the
 * citizen agreed to (its text says home care is told when nobody looks), every other care alert
 * rests on consent to alerts.
 */
export function consentPurposeOf(rule: RuleKind): Purpose {
  return rule === 'night_round_missed' ? 'night_round' : 'alerts';
}

export interface AlertActor {
  id: string;
  role: string;
}

export interface AlertServiceOptions {
  /** the alerts and notification attempts are this service's tables: nothing else touches them */
  store: Pick<Store, 'alerts' | 'notifications'>;
  consent: ConsentRegistry;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** every change goes out as `alert/changed` */
  events: PlatformBus;
  /**
   * Paces the retries of alerts the store did not take: real time (it waits for I/O), even when
   * `clock` is a test's manual clock. Default: the system clock.
   */
  ioClock?: Clock;
}

/** Tries of one change when another process keeps writing the same alert in between. */
const STALE_ATTEMPTS = 5;

/**
 * The store refused a write because the alert changed since it was read (its version moved on):
 * a conflict without a reason. Conflicts with a reason (already handled, lease lost) are answers.
 */
const isStale = (err: unknown): boolean =>
  err instanceof TryghedError && err.code === 'conflict' && err.reason === undefined;

/**
 * The alert lifecycle: open → acknowledged → resolved. One unresolved alert per home and rule; a
 * repeat is counted on it. Every change is persisted with a sequence number before anyone hears of
 * it, so a dashboard that reconnects can ask for what it missed.
 */
export class AlertService {
  /** per home+rule (and per alert id) chains, so concurrent changes never race */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly opened;
  private readonly repeats;
  private readonly refused;
  private readonly throttle: RepeatThrottle;
  /** per home+rule: the last row this service wrote for its unresolved alert */
  private readonly known = new Map<string, Alert>();
  /** alerts raised while the store was unreachable: shown to staff, kept here, retried in order */
  private readonly unsaved = new UnsavedAlerts();
  private retryTimer: Timer | null = null;
  private retrying: Promise<void> | null = null;
  private readonly unsavedGauge;

  constructor(private readonly o: AlertServiceOptions) {
    this.throttle = new RepeatThrottle(o.clock, (pending) => this.writeRepeats(pending));
    this.opened = o.metrics.counter('tryghed_alerts_total', 'Alerts opened', ['rule', 'severity']);
    this.repeats = o.metrics.counter('tryghed_alerts_repeats_total', 'Repeats counted on open alerts', [
      'rule',
    ]);
    this.refused = o.metrics.counter('tryghed_alerts_refused_total', 'Alert candidates refused', ['reason']);
    this.unsavedGauge = o.metrics.gauge(
      'tryghed_alerts_unsaved',
      'Alerts (per home and rule) raised while the store was unreachable, not yet stored',
    );
  }

  /** how many alerts (per home and rule) wait for the store: the platform is degraded meanwhile */
  unsavedCount(): number {
    return this.unsaved.size;
  }

  /** Opens an alert, or counts a repeat on the home's open one for the rule. Null without consent. */
  raise(candidate: AlertCandidate): Promise<Alert | null> {
    alarmStep('raised', candidate.homeId);
    const key = `${candidate.homeId}\u0000${candidate.rule}`;
    const held = this.heldRepeat(key, candidate);
    if (held) return Promise.resolve(held);
    return this.serial(key, async () => {
      // Checked here too, not only in the rules: no alert is ever raised outside consent.
      if (
        candidate.audience === 'care' &&
        !this.o.consent.allows(candidate.homeId, candidate.category, consentPurposeOf(candidate.rule))
      ) {
        this.refused.inc({ reason: 'no_consent' });
        return null;
      }
      if (!this.o.registry.home(candidate.homeId)) {
        this.refused.inc({ reason: 'unknown_home' });
        return null;
      }
      const test = candidate.test === true || this.o.registry.home(candidate.homeId)?.test === true;
      // this home and rule's alert waits for the store: the candidate counts on it, behind it
      const waiting = this.unsaved.get(key);
      if (waiting) return this.repeatUnsaved(key, waiting, candidate);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.raiseStored(key, candidate, test);
        } catch (err) {
          // another process changed the alert between our read and write (staff acknowledged it
          // at another dashboard process): read it again and count this one on what it is now
          if (isStale(err) && attempt < STALE_ATTEMPTS) continue;
          // a refusal is an answer; anything else is the store failing, and an alarm must still
          // reach a human: it is shown and kept, and written once the store answers again
          if (err instanceof TryghedError) throw err;
          return this.raiseUnsaved(key, candidate, test, err);
        }
      }
    });
  }

  private async raiseStored(key: string, candidate: AlertCandidate, test: boolean): Promise<Alert | null> {
    let active = await this.o.store.alerts.findActive(candidate.homeId, candidate.rule);
    // A hand-over after test mode: only what the technician left open goes on to staff; a test
    // alert they cleared was the test's.
    if (candidate.handover && !(active?.test && active.evidence.testMode)) {
      this.refused.inc({ reason: 'nothing_to_hand_over' });
      return null;
    }
    if (active && active.test !== test) {
      // One open alert per home and rule, so a test and a real alert must never share one: a test
      // must not add repeats to a real alert, and a real condition must never be swallowed by an
      // open test alert that pages no one. The real one wins.
      if (test) {
        this.refused.inc({ reason: 'real_alert_open' });
        return null;
      }
      const closed: Alert = {
        ...this.throttle.fold(active),
        state: 'resolved',
        acknowledgedAt: active.acknowledgedAt ?? candidate.at,
        resolvedAt: candidate.at,
        outcome: 'no_action_needed',
        note: joinNotes(active.note, 'Closed by the platform: a real alert of the same kind was raised.'),
      };
      this.emit(await this.o.store.alerts.update(closed, 'resolved'));
      this.throttle.forget(active.id);
      this.known.delete(key);
      active = null;
    }
    if (active) {
      // Pressed again after someone took it on: a critical alert needs a human again, so it is
      // open once more and escalates anew (the earlier acknowledgement stays in its events).
      // That is never held back; a plain repeat is counted, and written at most once a second.
      const reopen = active.state === 'acknowledged' && candidate.severity === 'critical';
      this.repeats.inc({ rule: candidate.rule });
      if (!reopen && !this.throttle.mayWrite(active.id)) {
        this.throttle.hold(active.id, `${candidate.homeId}\u0000${candidate.rule}`, candidate.at);
        return this.throttle.fold(active);
      }
      const held = this.throttle.take(active.id);
      const alert: Alert = {
        ...active,
        repeats: active.repeats + (held?.count ?? 0) + 1,
        lastSeenAt: Math.max(candidate.at, held?.lastSeenAt ?? candidate.at),
        ...(reopen
          ? { state: 'open' as const, acknowledgedBy: null, acknowledgedAt: null, escalationLevel: 0 }
          : {}),
      };
      try {
        this.emit(await this.o.store.alerts.update(alert, 'repeated'));
      } catch (err) {
        // not written: the repeats taken for this row are counted again, not lost
        if (held) this.throttle.giveBack(held);
        throw err;
      }
      this.throttle.written(alert.id);
      this.known.set(key, alert);
      return alert;
    }
    const alert = this.newAlert(candidate, test);
    const event = await this.o.store.alerts.open(alert);
    alarmStep('written', alert.homeId);
    this.throttle.written(alert.id);
    this.known.set(key, alert);
    this.opened.inc({ rule: alert.rule, severity: alert.severity });
    this.o.logger.info(
      { alertId: alert.id, homeId: alert.homeId, rule: alert.rule, severity: alert.severity },
      'alert opened',
    );
    this.emit(event);
    return alert;
  }

  private newAlert(candidate: AlertCandidate, test: boolean): Alert {
    return {
      id: randomUUID(),
      homeId: candidate.homeId,
      rule: candidate.rule,
      category: candidate.category,
      severity: candidate.severity,
      audience: candidate.audience,
      state: 'open',
      openedAt: candidate.at,
      lastSeenAt: candidate.at,
      repeats: 0,
      evidence: candidate.evidence,
      acknowledgedBy: null,
      acknowledgedAt: null,
      enRouteBy: null,
      enRouteAt: null,
      arrivedBy: null,
      arrivedAt: null,
      resolvedBy: null,
      resolvedAt: null,
      outcome: null,
      note: null,
      legalBasis:
        candidate.audience === 'care'
          ? this.o.consent.basis(candidate.homeId, candidate.category, consentPurposeOf(candidate.rule))
          : null,
      test,
      escalationLevel: 0,
    };
  }

  /**
   * The store failed while raising: the alert goes to staff anyway (the board over `/live`, and
   * escalation, which sends a critical one to the fallback while the platform is degraded) as an
   * event with `seq` 0 (not stored: a board resuming later gets the stored one), and waits in
   * memory to be written. A repeat of the alert this service has open is counted on it.
   */
  private raiseUnsaved(key: string, candidate: AlertCandidate, test: boolean, err: unknown): Alert {
    this.o.logger.error(
      { err, homeId: candidate.homeId, rule: candidate.rule, severity: candidate.severity },
      'the store did not take an alert; shown to staff, kept and retried',
    );
    const known = this.known.get(key);
    let change: UnsavedChange;
    if (known && known.test === test) {
      const held = this.throttle.take(known.id)?.count ?? 0;
      const base = { ...known, repeats: known.repeats + held };
      const next = repeatedUnsaved(
        { kind: 'repeat', alert: base, count: held, reopen: false },
        candidate.at,
        candidate.severity === 'critical',
      );
      change = next.change;
      this.repeats.inc({ rule: candidate.rule });
      if (next.reopened) this.emit({ seq: 0, type: 'repeated', alert: change.alert });
    } else {
      change = { kind: 'open', alert: this.newAlert(candidate, test) };
      this.opened.inc({ rule: candidate.rule, severity: candidate.severity });
      this.emit({ seq: 0, type: 'opened', alert: change.alert });
    }
    this.unsaved.set(key, change);
    this.unsavedGauge.set(this.unsaved.size);
    this.scheduleRetry();
    return change.alert;
  }

  private repeatUnsaved(key: string, waiting: UnsavedChange, candidate: AlertCandidate): Alert {
    const { change, reopened } = repeatedUnsaved(waiting, candidate.at, candidate.severity === 'critical');
    this.unsaved.set(key, change);
    this.repeats.inc({ rule: candidate.rule });
    if (reopened) this.emit({ seq: 0, type: 'repeated', alert: change.alert });
    return change.alert;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = (this.o.ioClock ?? systemClock).setInterval(() => {
      void this.saveUnsaved();
    }, UNSAVED_RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * Offers the waiting alerts to the store, oldest first, each in its home and rule's chain; the
   * first that fails stops the round (the rest keep their order for the next). Idempotent: an
   * alert whose row is there already (the answer was lost) is not written twice.
   */
  saveUnsaved(): Promise<void> {
    if (this.retrying) return this.retrying;
    this.retrying = (async () => {
      for (const key of this.unsaved.keys()) {
        try {
          await this.serial(key, () => this.saveOne(key));
        } catch (err) {
          this.o.logger.warn({ err, waiting: this.unsaved.size }, 'alerts still not stored; retrying');
          return;
        }
      }
      if (this.unsaved.size === 0) {
        this.retryTimer?.cancel();
        this.retryTimer = null;
      }
    })().finally(() => {
      this.retrying = null;
      this.unsavedGauge.set(this.unsaved.size);
    });
    return this.retrying;
  }

  private async saveOne(key: string): Promise<void> {
    const change = this.unsaved.get(key);
    if (!change) return;
    const { alerts } = this.o.store;
    if (change.kind === 'open') {
      const { alert } = change;
      if (!(await alerts.get(alert.id))) {
        const active = await alerts.findActive(alert.homeId, alert.rule);
        if (active) {
          // an alert of the home and rule was open already (the store could not say so): the one
          // raised meanwhile counts on it, and the board and escalation drop the one they were shown
          const merged: Alert = {
            ...this.throttle.fold(active),
            repeats: this.throttle.fold(active).repeats + alert.repeats + 1,
            lastSeenAt: Math.max(active.lastSeenAt, alert.lastSeenAt),
          };
          this.emit(await alerts.update(merged, 'repeated'));
          this.throttle.take(active.id);
          this.throttle.written(active.id);
          this.known.set(key, merged);
          this.emit({
            seq: 0,
            type: 'resolved',
            alert: {
              ...alert,
              state: 'resolved',
              resolvedAt: this.o.clock.now(),
              outcome: 'no_action_needed',
              note: MERGED_NOTE,
            },
          });
        } else {
          const event = await alerts.open(alert);
          this.throttle.written(alert.id);
          this.known.set(key, alert);
          this.emit(event);
        }
      }
    } else {
      const stored = await alerts.get(change.alert.id);
      if (stored && stored.state !== 'resolved') {
        const reopen = change.reopen && stored.state === 'acknowledged';
        const alert: Alert = {
          ...stored,
          repeats: stored.repeats + change.count,
          lastSeenAt: Math.max(stored.lastSeenAt, change.alert.lastSeenAt),
          ...(reopen
            ? { state: 'open' as const, acknowledgedBy: null, acknowledgedAt: null, escalationLevel: 0 }
            : {}),
        };
        this.emit(await alerts.update(alert, 'repeated'));
        this.throttle.written(alert.id);
        this.known.set(key, alert);
      }
    }
    this.unsaved.delete(key);
    this.o.logger.info(
      { alertId: change.alert.id, homeId: change.alert.homeId, rule: change.alert.rule },
      'alert stored after the store came back',
    );
  }

  /** Takes the alert on. A note written here is kept and never asked for again at resolve. */
  acknowledge(alertId: string, actor: AlertActor, request: AcknowledgeRequest = {}): Promise<Alert> {
    return this.change(alertId, (alert) => {
      if (alert.state !== 'open')
        throw conflict(`the alert is already ${alert.state}`, 'alert_already_handled');
      const now = this.o.clock.now();
      return [
        {
          ...alert,
          state: 'acknowledged',
          acknowledgedBy: actor.id,
          acknowledgedAt: now,
          note: request.note ? request.note : alert.note,
        },
        'acknowledged',
      ];
    });
  }

  /**
   * "På vej": the responder sets out to the home. Tapped on an open alert it is also the
   * acknowledgement (a care worker running to the car has taken the alert on; asking for two taps
   * at night would only delay the note that someone is coming). Who and when come from the session
   * and the server's clock, never from the caller. A second tap, or one after "fremme", changes
   * nothing and returns the alert as it is; a resolved alert is refused.
   */
  setOut(alertId: string, actor: AlertActor): Promise<Alert> {
    return this.step(alertId, (alert, now) => {
      if (alert.enRouteAt !== null || alert.arrivedAt !== null) return null;
      return [{ ...takenOn(alert, actor, now), enRouteBy: actor.id, enRouteAt: now }, 'en_route'];
    });
  }

  /**
   * "Fremme": the responder is at the home. Also allowed without "på vej" first (a worker already
   * next door); then when they set out stays unknown rather than invented. Like setOut, it takes an
   * open alert on, a second tap changes nothing, and a resolved alert is refused.
   */
  arrive(alertId: string, actor: AlertActor): Promise<Alert> {
    return this.step(alertId, (alert, now) => {
      if (alert.arrivedAt !== null) return null;
      return [{ ...takenOn(alert, actor, now), arrivedBy: actor.id, arrivedAt: now }, 'arrived'];
    });
  }

  /**
   * Raises an unacknowledged alert's escalation level (never lowers it). With a fence (several
   * processes, issue 9 point 4), only while the home's lease is still held at that epoch: else a
   * conflict with reason `lease_lost`, and nothing is written.
   */
  escalate(
    alertId: string,
    level: number,
    fence?: { owner: string; shard: number; epoch: number },
  ): Promise<Alert | null> {
    return this.change(
      alertId,
      (alert) => {
        if (alert.state !== 'open' || alert.escalationLevel >= level) return null;
        return [{ ...alert, escalationLevel: level }, 'escalated'];
      },
      fence,
    );
  }

  /** Records an attempt to reach someone about an alert, and tells the dashboards. */
  async recordNotification(attempt: Omit<NotificationAttempt, 'id'>): Promise<NotificationAttempt> {
    const recorded = await this.o.store.notifications.record(attempt);
    await this.change(attempt.alertId, (alert) => [alert, 'notified']).catch((err) =>
      this.o.logger.error({ err, alertId: attempt.alertId }, 'could not record a notification event'),
    );
    return recorded;
  }

  notifications(alertId: string): Promise<NotificationAttempt[]> {
    return this.o.store.notifications.listByAlert(alertId);
  }

  resolve(alertId: string, actor: AlertActor, request: ResolveRequest): Promise<Alert> {
    return this.change(alertId, (alert) => {
      if (alert.state === 'resolved')
        throw conflict('the alert is already resolved', 'alert_already_handled');
      const now = this.o.clock.now();
      return [
        {
          ...alert,
          state: 'resolved',
          // resolving an unacknowledged alert is also taking it on: who and when are kept
          acknowledgedBy: alert.acknowledgedBy ?? actor.id,
          acknowledgedAt: alert.acknowledgedAt ?? now,
          resolvedBy: actor.id,
          resolvedAt: now,
          outcome: request.outcome,
          // a note given at acknowledgement is kept; a new one at resolve is added to it
          note: joinNotes(alert.note, request.note),
        },
        'resolved',
      ];
    });
  }

  /** The alert as it is now: repeats counted but not yet written are included. */
  async get(alertId: string): Promise<Alert | null> {
    const alert = await this.o.store.alerts.get(alertId);
    return alert && this.throttle.fold(alert);
  }

  async list(filter?: { homeIds?: string[]; states?: AlertState[]; limit?: number }): Promise<Alert[]> {
    return (await this.o.store.alerts.list(filter)).map((a) => this.throttle.fold(a));
  }

  /** resolved alerts, most recently resolved first, a page at a time */
  listResolved(filter: ResolvedAlertFilter): Promise<Alert[]> {
    return this.o.store.alerts.listResolved(filter);
  }

  /** alerts opened in [from, to), as stored, for statistics; test alerts left out */
  openedBetween(from: number, to: number): Promise<Alert[]> {
    return this.o.store.alerts.openedBetween(from, to);
  }

  /** the open or acknowledged alert of a home for a rule, as stored, if any */
  findActive(homeId: string, rule: string): Promise<Alert | null> {
    return this.o.store.alerts.findActive(homeId, rule);
  }

  /** one home's care alerts, newest first, a page at a time (repeats not yet written included) */
  async listCareOfHome(filter: HomeAlertFilter): Promise<Alert[]> {
    return (await this.o.store.alerts.listCareOfHome(filter)).map((a) => this.throttle.fold(a));
  }

  /**
   * Writes the repeats counted but not yet written (at stop, so a restart loses none), and offers
   * the alerts the store did not take once more; what it still refuses is lost with the process.
   */
  async stop(): Promise<void> {
    this.retryTimer?.cancel();
    this.retryTimer = null;
    await this.throttle.flushAll();
    if (this.unsaved.size > 0) await this.saveUnsaved();
    if (this.unsaved.size > 0)
      this.o.logger.error({ alerts: this.unsaved.size }, 'stopping with alerts the store never took');
  }

  eventsSince(seq: number, filter?: { homeIds?: string[]; limit?: number }): Promise<AlertEvent[]> {
    return this.o.store.alerts.eventsSince(seq, filter);
  }

  lastSeq(): Promise<number> {
    return this.o.store.alerts.lastEventSeq();
  }

  private async change(alertId: string, next: (alert: Alert) => [Alert, AlertEvent['type']]): Promise<Alert>;
  private async change(
    alertId: string,
    next: (alert: Alert) => [Alert, AlertEvent['type']] | null,
    fence?: { owner: string; shard: number; epoch: number },
  ): Promise<Alert | null>;
  private async change(
    alertId: string,
    next: (alert: Alert) => [Alert, AlertEvent['type']] | null,
    fence?: { owner: string; shard: number; epoch: number },
  ): Promise<Alert | null> {
    const current = await this.o.store.alerts.get(alertId);
    if (!current) throw notFound('alert');
    // the same chain as raise() for this home and rule, so a repeat and an acknowledgement never interleave
    return this.serial(`${current.homeId}\u0000${current.rule}`, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.changeOnce(alertId, next, fence);
        } catch (err) {
          // Another process wrote the alert between our read and write (the owner recording a
          // page or an escalation step while staff acknowledge at another dashboard process).
          // That is no reason to refuse staff: the change is decided again on the fresh row, so a
          // real clash (someone else acknowledged first) is still refused, with its own reason.
          if (isStale(err) && attempt < STALE_ATTEMPTS) continue;
          throw err;
        }
      }
    });
  }

  private async changeOnce(
    alertId: string,
    next: (alert: Alert) => [Alert, AlertEvent['type']] | null,
    fence?: { owner: string; shard: number; epoch: number },
  ): Promise<Alert | null> {
    const stored = await this.o.store.alerts.get(alertId);
    if (!stored) throw notFound('alert');
    // repeats counted since the last row go into this one
    const alert = this.throttle.fold(stored);
    const result = next(alert);
    if (!result) return null;
    const [changed, type] = result;
    const event = await this.o.store.alerts.update(changed, type, fence);
    this.throttle.take(alertId);
    const key = `${changed.homeId}\u0000${changed.rule}`;
    if (changed.state === 'resolved') {
      this.throttle.forget(alertId);
      if (this.known.get(key)?.id === alertId) this.known.delete(key);
    } else {
      this.throttle.written(alertId);
      this.known.set(key, changed);
    }
    this.o.logger.info({ alertId, homeId: alert.homeId, rule: alert.rule, type }, `alert ${type}`);
    this.emit(event);
    return changed;
  }

  /**
   * One responder step (på vej, fremme): idempotent, so a tap sent twice (a retry on a bad mobile
   * connection) is one step. Another process changing the alert in between (a repeat counted
   * elsewhere) is handled by `change`, which decides the step again on the fresh row: safe, because
   * the step is idempotent. A refusal with a reason is final.
   */
  private async step(
    alertId: string,
    next: (alert: Alert, now: number) => [Alert, AlertEvent['type']] | null,
  ): Promise<Alert> {
    let seen: Alert | null = null;
    const changed = await this.change(alertId, (alert) => {
      if (alert.state === 'resolved')
        throw conflict('the alert is already resolved', 'alert_already_resolved');
      seen = alert;
      return next(alert, this.o.clock.now());
    });
    if (changed) return changed;
    if (seen) return seen;
    throw notFound('alert');
  }

  /**
   * A plain repeat of an alert this service wrote less than a second ago is only counted: no
   * database read, no chain, so a button held down costs about what a normal reading does. Anything
   * else (a reopen, a refusal to count, a change under way for this alert) takes the full path.
   */
  private heldRepeat(key: string, candidate: AlertCandidate): Alert | null {
    if (this.chains.has(key) || this.unsaved.get(key)) return null;
    const known = this.known.get(key);
    if (!known || this.throttle.mayWrite(known.id)) return null;
    if (known.state === 'acknowledged' && candidate.severity === 'critical') return null;
    if (
      candidate.audience === 'care' &&
      !this.o.consent.allows(candidate.homeId, candidate.category, 'alerts')
    )
      return null;
    const home = this.o.registry.home(candidate.homeId);
    if (!home || known.test !== (candidate.test === true || home.test === true)) return null;
    this.repeats.inc({ rule: candidate.rule });
    this.throttle.hold(known.id, key, candidate.at);
    return this.throttle.fold(known);
  }

  /** Writes and broadcasts the repeats held for an alert, in its home and rule's chain. */
  private writeRepeats(pending: PendingRepeats): Promise<void> {
    return this.serial(pending.key, async () => {
      const held = this.throttle.take(pending.alertId);
      if (!held) return;
      try {
        for (let attempt = 1; ; attempt++) {
          const stored = await this.o.store.alerts.get(held.alertId);
          if (!stored || stored.state === 'resolved') return;
          const alert: Alert = {
            ...stored,
            repeats: stored.repeats + held.count,
            lastSeenAt: Math.max(stored.lastSeenAt, held.lastSeenAt),
          };
          try {
            this.emit(await this.o.store.alerts.update(alert, 'repeated'));
          } catch (err) {
            // changed by another process since it was read: counted on the fresh row instead
            if (isStale(err) && attempt < STALE_ATTEMPTS) continue;
            throw err;
          }
          this.throttle.written(alert.id);
          this.known.set(pending.key, alert);
          return;
        }
      } catch (err) {
        const known = this.known.get(pending.key);
        if (err instanceof TryghedError || known?.id !== held.alertId || this.unsaved.get(pending.key))
          throw err;
        // the store is away: the count waits with the alerts the store did not take, not lost
        this.unsaved.set(pending.key, {
          kind: 'repeat',
          alert: { ...known, repeats: known.repeats + held.count, lastSeenAt: held.lastSeenAt },
          count: held.count,
          reopen: false,
        });
        this.unsavedGauge.set(this.unsaved.size);
        this.scheduleRetry();
      }
    }).catch((err: unknown) =>
      this.o.logger.error({ err, alertId: pending.alertId }, 'writing repeats failed'),
    );
  }

  private emit(event: AlertEvent): void {
    this.o.events.emit('alert/changed', event);
  }

  private serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return run;
  }
}

/** an alert a responder acts on is taken on by them, if nobody had yet */
function takenOn(alert: Alert, actor: AlertActor, now: number): Alert {
  if (alert.state !== 'open') return alert;
  return {
    ...alert,
    state: 'acknowledged',
    acknowledgedBy: actor.id,
    acknowledgedAt: now,
  };
}

function joinNotes(before: string | null, added: string): string | null {
  const a = before?.trim() ?? '';
  const b = added.trim();
  if (!a) return b || null;
  if (!b || b === a) return a;
  return `${a}\n${b}`;
}
