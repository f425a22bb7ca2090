import type { Reading } from '../domain/index.ts';
import { type Clock, type Logger, type Metrics, systemClock, type Timer } from '../runtime/index.ts';
import { type ReadingStore, TimeseriesRefusedError } from '../timeseries/index.ts';

/** Told once whether the readings it waits for are stored (or set aside): false when stopped first. */
type Waiter = (written: boolean) => void;

/** One reading waiting to be written, with where its durable copy is and who waits for it. */
export interface PendingReading {
  reading: Reading;
  /** the spool segment holding its durable copy, or -1 when there is no spool */
  segment: number;
  /** acknowledgements that wait for this reading (and all before it) to be written; no spool only */
  waiters?: Waiter[];
}

export interface BatchWriterOptions {
  readings: ReadingStore;
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedPoints: number;
  /** the share one device may hold of that bound, so one flooding device cannot fill it for all */
  maxBufferedPerDevice?: number;
  logger: Logger;
  metrics: Metrics;
  /**
   * paces the flushes and retries and judges a hung write; default the system clock. These guard
   * real I/O, so the platform keeps them on real time (see docs/architecture.md, "Time").
   */
  clock?: Clock;
  /** every reading that was written or set aside, so its spooled copy can go */
  onSettled?: (done: readonly PendingReading[]) => void;
  /** the readings of each batch the time-series store took, as it answers */
  onWritten?: (batch: readonly PendingReading[]) => void;
}

const MAX_BACKOFF_MS = 5000;
const WRITTEN = Promise.resolve(true);
/** a write still unanswered after this long counts as failing, for health: staff hear within 5 s */
export const WRITE_STALL_MS = 3000;

/**
 * Buffers readings and writes them to the time-series store in batches: at most `batchSize` per
 * request, at most `flushIntervalMs` of waiting. One write in flight at a time. A write that fails
 * (network, 5xx) keeps its points and is retried with exponential backoff. A write the store refuses
 * for its points (400/413/422) is split in halves until the points at fault are found; those are set
 * aside and counted (`tryghed_ingest_dropped_total{reason="refused_by_store"}`), the rest are written:
 * one bad point never blocks the others. While the store is down, memory is bounded by
 * `maxBufferedPoints` (see `hasRoom`). Failures are logged once per streak, not once per point.
 */
export class BatchWriter {
  private buffer: PendingReading[] = [];
  private inFlight = 0;
  private inFlightSince = 0;
  private inFlightTail: PendingReading | undefined;
  private nextWait: { promise: Promise<boolean>; resolve: Waiter } | null = null;
  /** readings held per device, for its share of the bound */
  private readonly heldBy = new Map<string, number>();
  private timer: Timer | undefined;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private retryAt = 0;
  private readonly warnedRefusals = new Set<string>();
  private readonly written;
  private readonly dropped;
  private readonly buffered;
  private readonly duration;

  private readonly clock: Clock;

  constructor(private readonly o: BatchWriterOptions) {
    this.clock = o.clock ?? systemClock;
    this.written = o.metrics.counter(
      'tryghed_ingest_written_total',
      'Readings written to the time-series store',
    );
    this.dropped = o.metrics.counter(
      'tryghed_ingest_dropped_total',
      'Readings accepted but not stored, by reason',
      ['reason'],
    );
    this.buffered = o.metrics.gauge(
      'tryghed_ingest_buffered',
      'Readings waiting to be written, the write in flight included',
    );
    this.duration = o.metrics.histogram(
      'tryghed_ingest_write_seconds',
      'Duration of one batch write',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    );
  }

  /** readings waiting, the write in flight included */
  get size(): number {
    return this.buffer.length + this.inFlight;
  }

  /**
   * Why a reading of `deviceId` must not be taken (nor acknowledged) now, or null when there is
   * room: the bound for all, or the device's own share of it.
   */
  noRoomFor(deviceId: string): 'buffer_full' | 'device_share_full' | null {
    if (this.size >= this.o.maxBufferedPoints) return 'buffer_full';
    const share = this.o.maxBufferedPerDevice;
    if (share !== undefined && (this.heldBy.get(deviceId) ?? 0) >= share) return 'device_share_full';
    return null;
  }

  add(entry: PendingReading): void {
    const id = entry.reading.deviceId;
    this.heldBy.set(id, (this.heldBy.get(id) ?? 0) + 1);
    this.buffer.push(entry);
    // the buffered gauge is set when a write begins and ends, not per reading (a gauge's set
    // allocates in prom-client): it lags by at most the flush interval
    if (this.buffer.length >= this.o.batchSize && !this.writing) setImmediate(() => void this.flushDue());
  }

  /** counts a reading that found no room (the caller does not acknowledge it) */
  refuseFull(reason: 'buffer_full' | 'device_share_full'): void {
    this.dropped.inc({ reason });
  }

  /**
   * Resolves once every reading added so far is written or set aside (false if stopped first).
   * Readings are settled in order, so this waits on the newest one. One promise is shared by every
   * caller until the next batch is taken, so a message costs no promise of its own.
   */
  whenWritten(): Promise<boolean> {
    if (this.buffer.length === 0 && !this.inFlightTail) return WRITTEN;
    if (this.buffer.length === 0) {
      // only the write in flight is left: no next batch will take the shared promise to it
      const tail = this.inFlightTail!;
      return new Promise<boolean>((resolve) => {
        tail.waiters = [...(tail.waiters ?? []), resolve];
      });
    }
    if (!this.nextWait) {
      let resolve!: Waiter;
      const promise = new Promise<boolean>((r) => {
        resolve = r;
      });
      this.nextWait = { promise, resolve };
    }
    return this.nextWait.promise;
  }

  /** hands the shared promise to the newest reading, which settles after all the others */
  private bindWait(): void {
    if (!this.nextWait) return;
    const last = this.buffer.at(-1) ?? this.inFlightTail;
    if (last?.waiters) last.waiters.push(this.nextWait.resolve);
    else if (last) last.waiters = [this.nextWait.resolve];
    else this.nextWait.resolve(true);
    this.nextWait = null;
  }

  /**
   * Drops what waits for one home (its erasure; with `receivedUpTo`, only what was received up to
   * then): after the write in flight, so nothing of it is written after this returns. Waiting
   * acknowledgements are let go: the citizen decided its fate.
   */
  async discardHome(homeId: string, receivedUpTo = Number.POSITIVE_INFINITY): Promise<number> {
    while (this.writing) await this.writing;
    this.bindWait();
    const erased = (e: PendingReading) => e.reading.homeId === homeId && e.reading.receivedAt <= receivedUpTo;
    const gone = this.buffer.filter(erased);
    if (gone.length === 0) return 0;
    this.buffer = this.buffer.filter((e) => !erased(e));
    this.buffered.set(this.size);
    // waiters on a dropped reading also wait for the others' readings before it: they move to the
    // newest reading left (later, never earlier), or are told at once when none is left
    const moved = gone.flatMap((e) => e.waiters ?? []);
    for (const e of gone) delete e.waiters;
    const last = this.buffer.at(-1);
    if (last) last.waiters = [...(last.waiters ?? []), ...moved];
    else for (const w of moved) w(true);
    this.settle(gone, true);
    return gone.length;
  }

  private release(deviceId: string): void {
    const n = (this.heldBy.get(deviceId) ?? 1) - 1;
    if (n > 0) this.heldBy.set(deviceId, n);
    else this.heldBy.delete(deviceId);
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => void this.flushDue(), this.o.flushIntervalMs).unref();
  }

  /** writes what is buffered now, trying once more even if a retry is not yet due */
  async flush(): Promise<void> {
    if (this.writing) await this.writing;
    this.retryAt = 0;
    while (this.buffer.length > 0) {
      const before = this.buffer.length;
      await this.writeOne();
      if (this.failures > 0 || this.buffer.length >= before) return;
    }
  }

  /** what could not be written stays with whoever holds its durable copy (the spool); never acknowledged otherwise */
  async stop(): Promise<PendingReading[]> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.flush();
    this.bindWait();
    const left = this.buffer;
    this.buffer = [];
    this.heldBy.clear();
    for (const entry of left) for (const w of entry.waiters ?? []) w(false);
    this.buffered.set(0);
    return left;
  }

  health() {
    const stalled = this.inFlight > 0 && this.clock.now() - this.inFlightSince > WRITE_STALL_MS;
    return {
      buffered: this.size,
      lastWriteOk: this.failures === 0,
      lastError: this.lastError,
      consecutiveFailures: this.failures,
      /** the last write failed, or one has hung for longer than WRITE_STALL_MS */
      failing: this.failures > 0 || stalled,
    };
  }

  private async flushDue(): Promise<void> {
    // once a flush interval, also while a write hangs or waits for its retry
    this.buffered.set(this.size);
    if (this.writing || this.buffer.length === 0 || this.clock.now() < this.retryAt) return;
    await this.writeOne();
    // more than one batch waiting: keep going without waiting for the timer
    if (this.failures === 0 && this.buffer.length >= this.o.batchSize)
      setImmediate(() => void this.flushDue());
  }

  private writeOne(): Promise<void> {
    this.bindWait();
    const batch = this.buffer.splice(0, this.o.batchSize);
    this.inFlight = batch.length;
    this.inFlightTail = batch.at(-1);
    this.inFlightSince = this.clock.now();
    this.buffered.set(this.size);
    this.writing = this.writeSplitting(batch)
      .then((unwritten) => {
        if (unwritten.length > 0) {
          // keep the points, in order, ahead of newer ones
          this.buffer = unwritten.concat(this.buffer);
        } else if (this.failures > 0) {
          this.o.logger.info({ failures: this.failures }, 'writing readings works again');
          this.failures = 0;
          this.lastError = null;
        }
      })
      .finally(() => {
        this.writing = null;
        this.inFlight = 0;
        this.inFlightTail = undefined;
        this.buffered.set(this.size);
      });
    return this.writing;
  }

  /** writes `batch`, splitting it when the store refuses its points; returns what is left to retry */
  private async writeSplitting(batch: PendingReading[]): Promise<PendingReading[]> {
    const end = this.duration.startTimer();
    try {
      await this.o.readings.write(batch.map((e) => e.reading));
      end();
      this.written.inc(batch.length);
      this.o.onWritten?.(batch);
      this.settle(batch, true);
      return [];
    } catch (err) {
      end();
      if (!(err instanceof TimeseriesRefusedError)) {
        this.failed(err);
        return batch;
      }
      if (batch.length === 1) {
        this.setAside(batch[0]!, err.status);
        return [];
      }
      const half = batch.length >> 1;
      const left = await this.writeSplitting(batch.slice(0, half));
      if (left.length > 0) return left.concat(batch.slice(half));
      return this.writeSplitting(batch.slice(half));
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    this.lastError = (err as Error).message;
    this.retryAt = this.clock.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 10));
    if (this.failures === 1) {
      this.o.logger.error({ err: this.lastError, buffered: this.size }, 'writing readings failed; retrying');
    }
  }

  /** never retried: counted, logged once per device without the reading's content, told as settled */
  private setAside(entry: PendingReading, status: number): void {
    this.dropped.inc({ reason: 'refused_by_store' });
    const { deviceId, kind } = entry.reading;
    if (this.warnedRefusals.size < 10_000 && !this.warnedRefusals.has(deviceId)) {
      this.warnedRefusals.add(deviceId);
      // InfluxDB's message quotes the point's line, so only the status is logged
      this.o.logger.warn({ deviceId, kind, status }, 'InfluxDB refused a reading; set aside, not retried');
    }
    this.settle([entry], true);
  }

  private settle(done: PendingReading[], ok: boolean): void {
    for (const entry of done) {
      if (entry.waiters) for (const w of entry.waiters) w(ok);
      this.release(entry.reading.deviceId);
    }
    this.o.onSettled?.(done);
  }
}
