import { randomUUID } from 'node:crypto';
import type { DeliveryAttempt, DeliveryResult } from '../notify/index.ts';
import { backoffDelay } from '../notify/index.ts';
import type { Clock, Logger, Metrics, Timer } from '../runtime/index.ts';
import type { NoticeOutboxRepository, OutboxRow } from '../store/index.ts';

/** What a channel's sender is handed for one try. */
export interface ChannelJob {
  /** the JSON the notice was enqueued with, parsed */
  payload: unknown;
  /** the notice's key: send it on (as `Idempotency-Key`) so the receiver can drop a repeat */
  idempotencyKey: string;
  /** aborted when the notice is no longer needed (its alert was taken on) or the platform stops */
  signal: AbortSignal;
  /** the number of this try, 1 for the first, counted across restarts */
  attempt: number;
  alertId: string | null;
  homeId: string | null;
}

/**
 * What came of one call to a sender. `tries` lists every attempt the call made (a sender may try
 * more than once itself); without it, the call counts as `attempts` tries.
 */
export type ChannelResult = DeliveryResult & { tries?: DeliveryAttempt[] };

export type ChannelSender = (job: ChannelJob) => Promise<ChannelResult>;

export interface ChannelOptions {
  /**
   * Called after each call's outcome is stored (so whoever reads the outbox then sees it): the
   * notifiers record their tries on the alert here.
   */
  afterTry?: (row: OutboxRow, result: ChannelResult) => Promise<void>;
}

/** A notice to send. */
export interface Notice {
  /** unique per notice, stable across processes: the same notice enqueued twice is kept once */
  idempotencyKey: string;
  /** a channel registered with `registerChannel` (in this or any process sending from the store) */
  channel: string;
  /** JSON-able, and no more personal data than the channel itself sends */
  payload: unknown;
  alertId?: string | null;
  homeId?: string | null;
}

export interface OutboxRetryPolicy {
  /** tries in all before the notice is given up */
  maxAttempts: number;
  /** the first wait, ms; doubled each time, with jitter */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * a notice not delivered this long after it was made is given up (`expired`), however few tries
   * it had: a page hours late is no longer news, and staff see it in "ikke leveret". ms; none: never
   */
  giveUpAfterMs?: number;
}

export interface OutboxOptions {
  store: { readonly noticeOutbox: NoticeOutboxRepository };
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  retry: OutboxRetryPolicy;
  /** a notice not delivered this long after it was made is late ("ikke leveret"), ms */
  lateMs: number;
  /** jitter source; Math.random by default */
  random?: () => number;
  /** this process's name in claims; a random one by default */
  owner?: string;
  /** how long a claim holds, ms: longer than one try can take (a process that dies loses it after this) */
  claimMs?: number;
  /** how often the store is looked at for notices due (from other processes, after a restart), ms */
  pollMs?: number;
  /** rows claimed at a time */
  batch?: number;
}

const DEFAULT_CLAIM_MS = 60_000;
const DEFAULT_POLL_MS = 2000;
const DEFAULT_BATCH = 50;
/** `lastError` of a notice given up for its age (`OutboxRetryPolicy.giveUpAfterMs`) */
const EXPIRED = 'expired';
/** how often the pending gauges are read from the store, at most, ms */
const STATS_EVERY_MS = 5000;

/**
 * The durable outbox (issue 13): every notice to someone outside the dashboard is written to the
 * store first, then sent by whichever platform process claims it, tried again with exponential
 * backoff and jitter until delivered or given up, and picked up again after a restart.
 *
 * Delivery is at least once on the wire: a process that dies between the receiver's answer and
 * marking the row sends it again. Every try carries the notice's key as `Idempotency-Key`, so a
 * receiver that honours it gets each notice once.
 */
export class NoticeOutbox {
  private readonly channels = new Map<string, { send: ChannelSender; options: ChannelOptions }>();
  private readonly repo: NoticeOutboxRepository;
  private readonly owner: string;
  private readonly random: () => number;
  private readonly inFlight = new Map<
    string,
    { controller: AbortController; alertId: string | null; channel: string }
  >();
  private readonly work = new Set<Promise<unknown>>();
  private passing: Promise<void> | null = null;
  private again = false;
  private poll: Timer | undefined;
  private wake: { at: number; timer: Timer } | undefined;
  /** when retries fall due (bounded by the rows in flight between passes) */
  private wakes: number[] = [];
  private started = false;
  private stopped = false;
  private statsAt = Number.NEGATIVE_INFINITY;
  private readonly queued;
  private readonly delivered;
  private readonly retried;
  private readonly givenUp;
  private readonly pendingGauge;
  private readonly oldestGauge;

  constructor(private readonly o: OutboxOptions) {
    this.repo = o.store.noticeOutbox;
    this.owner = o.owner ?? `outbox-${randomUUID()}`;
    this.random = o.random ?? Math.random;
    this.queued = o.metrics.counter('tryghed_notices_queued_total', 'Notices written to the outbox', [
      'channel',
    ]);
    this.delivered = o.metrics.counter('tryghed_notices_delivered_total', 'Notices delivered', ['channel']);
    this.retried = o.metrics.counter(
      'tryghed_notices_retried_total',
      'Notice tries that failed and will be tried again',
      ['channel'],
    );
    this.givenUp = o.metrics.counter(
      'tryghed_notices_given_up_total',
      'Notices given up: not delivered, shown as "ikke leveret"',
      ['channel'],
    );
    this.pendingGauge = o.metrics.gauge('tryghed_notices_pending', 'Notices in the outbox not yet delivered');
    this.oldestGauge = o.metrics.gauge(
      'tryghed_notices_oldest_pending_seconds',
      'Age of the oldest notice not yet delivered (0 when none)',
    );
  }

  /** a notice older than this (ms) and not delivered is late */
  get lateMs(): number {
    return this.o.lateMs;
  }

  /** Names a way to send. Registering a name again replaces its sender (a restart of the part). */
  registerChannel(name: string, send: ChannelSender, options: ChannelOptions = {}): void {
    this.channels.set(name, { send, options });
  }

  hasChannel(name: string): boolean {
    return this.channels.has(name);
  }

  /**
   * Writes the notice to the store (a no-op when its key is there already, whoever wrote it) and,
   * once started, sends what is due. True when this call added it.
   */
  async enqueue(notice: Notice): Promise<boolean> {
    const added = await this.repo.enqueue({
      id: randomUUID(),
      idempotencyKey: notice.idempotencyKey,
      channel: notice.channel,
      alertId: notice.alertId ?? null,
      homeId: notice.homeId ?? null,
      payload: JSON.stringify(notice.payload),
      createdAt: this.o.clock.now(),
    });
    if (added) {
      this.queued.inc({ channel: notice.channel });
      if (this.started && !this.stopped) this.track(this.dispatch());
    }
    return added;
  }

  /** Sends whatever is pending and due (from before a restart too), then keeps looking. */
  async start(): Promise<void> {
    this.started = true;
    this.stopped = false;
    this.poll = this.o.clock.setInterval(() => this.track(this.dispatch()), this.o.pollMs ?? DEFAULT_POLL_MS);
    this.poll.unref();
    await this.dispatch();
  }

  /** One pass (or more, while there is more due): claim due rows and try each. One pass at a time. */
  dispatch(): Promise<void> {
    if (this.passing) {
      this.again = true;
      return this.passing;
    }
    this.passing = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    })()
      .catch((err: unknown) => this.o.logger.error({ err }, 'outbox pass failed'))
      .finally(() => {
        this.passing = null;
      });
    return this.passing;
  }

  /** Resolves when nothing is being sent or looked for. */
  async idle(): Promise<void> {
    while (this.work.size > 0 || this.passing) await Promise.allSettled([...this.work, this.passing]);
  }

  /**
   * The alert was taken on: its notices on `channels` still waiting are not sent any more (a try in
   * flight is aborted). Not "ikke leveret" either: nobody needs them now. Only the channels named:
   * the escalation's pages stop, while a notice the handling itself made (the care-record document
   * of a resolved alert) is about the same alert and must still go.
   */
  async cancelForAlert(alertId: string, reason: string, channels: readonly string[]): Promise<number> {
    if (channels.length === 0) return 0;
    const named = new Set(channels);
    for (const sending of this.inFlight.values()) {
      if (sending.alertId === alertId && named.has(sending.channel)) sending.controller.abort();
    }
    return this.repo.cancelForAlert(alertId, [...named], this.o.clock.now(), reason);
  }

  /** Notices not delivered in time, newest first (see NoticeOutboxRepository.undelivered). */
  undelivered(filter: { since: number; homeIds: string[] | null; alertId?: string; limit: number }) {
    return this.repo.undelivered({ ...filter, pendingBefore: this.o.clock.now() - this.o.lateMs });
  }

  /** every notice about an alert not delivered: still being tried (late or not yet) or given up */
  notDelivered(alertId: string): Promise<OutboxRow[]> {
    return this.repo.undelivered({
      since: 0,
      pendingBefore: Number.MAX_SAFE_INTEGER,
      homeIds: null,
      alertId,
      limit: 50,
    });
  }

  byKey(idempotencyKey: string): Promise<OutboxRow | null> {
    return this.repo.byKey(idempotencyKey);
  }

  /** Stops looking and aborts tries in flight; their rows are left due at once for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.poll?.cancel();
    this.poll = undefined;
    this.wake?.timer.cancel();
    this.wake = undefined;
    this.wakes = [];
    for (const { controller } of this.inFlight.values()) controller.abort();
    await this.idle();
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const batch = this.o.batch ?? DEFAULT_BATCH;
    const rows = await this.repo.claim(this.owner, now, now + (this.o.claimMs ?? DEFAULT_CLAIM_MS), batch);
    await Promise.all(rows.map((row) => this.tryOne(row)));
    // another pass while this one found work: rows another process claimed and let go, or more than a batch
    if (rows.length > 0) this.again = true;
    if (now - this.statsAt >= STATS_EVERY_MS) {
      this.statsAt = now;
      const stats = await this.repo.pendingStats();
      this.pendingGauge.set(stats.pending);
      this.oldestGauge.set(
        stats.oldestCreatedAt === null ? 0 : Math.max(0, (now - stats.oldestCreatedAt) / 1000),
      );
    }
  }

  private async tryOne(row: OutboxRow): Promise<void> {
    const channel = this.channels.get(row.channel);
    const log = { noticeId: row.id, channel: row.channel, alertId: row.alertId };
    if (!channel) {
      // a channel no process here knows (its setting was removed): visibly not delivered
      await this.repo.giveUp(row.id, this.owner, this.o.clock.now(), row.attempts, 'no_channel');
      this.givenUp.inc({ channel: row.channel });
      this.o.logger.error(log, 'notice given up: no such channel');
      return;
    }
    const giveUpAt =
      this.o.retry.giveUpAfterMs === undefined
        ? Number.POSITIVE_INFINITY
        : row.createdAt + this.o.retry.giveUpAfterMs;
    const controller = new AbortController();
    let result: ChannelResult;
    const tooOld = this.o.clock.now() >= giveUpAt;
    if (tooOld) {
      // too old to send (the platform was down, or every try failed until now): not tried again
      result = { delivered: false, attempts: 0, detail: EXPIRED, final: true, tries: [] };
    } else result = await this.send(channel.send, row, controller, log);
    const now = this.o.clock.now();
    const attempts = row.attempts + (tooOld ? 0 : Math.max(1, result.attempts));
    const expired = now >= giveUpAt;
    const error =
      expired && !result.final && attempts < this.o.retry.maxAttempts ? EXPIRED : (result.detail ?? 'failed');
    let settled: OutboxRow;
    if (result.delivered) {
      await this.repo.delivered(row.id, this.owner, now, attempts);
      this.delivered.inc({ channel: row.channel });
      settled = { ...row, state: 'delivered', attempts, deliveredAt: now, settledAt: now, lastError: null };
    } else if (controller.signal.aborted) {
      // stopping, or the alert was taken on (the row is cancelled then, and this changes nothing)
      await this.repo.retryAt(row.id, this.owner, attempts, now, error);
      settled = { ...row, attempts, lastError: error };
    } else if (result.final || expired || attempts >= this.o.retry.maxAttempts) {
      await this.repo.giveUp(row.id, this.owner, now, attempts, error);
      this.givenUp.inc({ channel: row.channel });
      this.o.logger.error({ ...log, attempts, detail: error }, 'notice given up: not delivered');
      settled = { ...row, state: 'given_up', attempts, settledAt: now, lastError: error };
    } else {
      // never later than the notice's age limit: it is given up then, not a backoff step after
      const next = Math.min(
        now + backoffDelay(attempts, { ...this.o.retry, timeoutMs: 0 }, this.random),
        giveUpAt,
      );
      await this.repo.retryAt(row.id, this.owner, attempts, next, error);
      this.retried.inc({ channel: row.channel });
      this.wakeAt(next);
      settled = { ...row, attempts, nextAttemptAt: next, lastError: error };
    }
    if (channel.options.afterTry) {
      await channel.options
        .afterTry({ ...settled, claimedBy: null, claimedUntil: null }, result)
        .catch((err: unknown) => this.o.logger.error({ ...log, err }, 'after-try hook failed'));
    }
  }

  /** one call to the channel's sender; a sender that throws is a failed try */
  private async send(
    send: ChannelSender,
    row: OutboxRow,
    controller: AbortController,
    log: Record<string, unknown>,
  ): Promise<ChannelResult> {
    this.inFlight.set(row.id, { controller, alertId: row.alertId, channel: row.channel });
    let result: ChannelResult;
    try {
      result = await send({
        payload: JSON.parse(row.payload) as unknown,
        idempotencyKey: row.idempotencyKey,
        signal: controller.signal,
        attempt: row.attempts + 1,
        alertId: row.alertId,
        homeId: row.homeId,
      });
    } catch (err) {
      this.o.logger.error({ ...log, err }, 'notice sender failed');
      result = {
        delivered: false,
        attempts: 1,
        detail: 'sender_error',
        tries: [{ attempt: row.attempts + 1, result: 'failed', detail: 'sender_error' }],
      };
    } finally {
      this.inFlight.delete(row.id);
    }
    return result;
  }

  /** a pass when each retry falls due (the poll would find it too, only later) */
  private wakeAt(at: number): void {
    if (this.stopped || !this.started) return;
    this.wakes.push(at);
    this.armWake();
  }

  private armWake(): void {
    if (this.wakes.length === 0 || this.stopped) return;
    const at = Math.min(...this.wakes);
    if (this.wake && this.wake.at <= at) return;
    this.wake?.timer.cancel();
    const timer = this.o.clock.setTimeout(
      () => {
        this.wake = undefined;
        const now = this.o.clock.now();
        this.wakes = this.wakes.filter((t) => t > now);
        this.armWake();
        this.track(this.dispatch());
      },
      Math.max(1, at - this.o.clock.now()),
    );
    timer.unref();
    this.wake = { at, timer };
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.o.logger.error({ err }, 'outbox failed'));
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }
}
