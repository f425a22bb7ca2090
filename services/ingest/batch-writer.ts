import type { Reading } from '../domain/index.ts';
import type { Logger, Metrics } from '../runtime/index.ts';
import type { ReadingStore } from '../timeseries/index.ts';

export interface BatchWriterOptions {
  readings: ReadingStore;
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedPoints: number;
  logger: Logger;
  metrics: Metrics;
}

const MAX_BACKOFF_MS = 5000;

/**
 * Buffers readings and writes them to the time-series store in batches: at most `batchSize` per
 * request, at most `flushIntervalMs` of waiting. One write in flight at a time. A failed write keeps
 * its points and is retried with exponential backoff; while the store is down, memory is bounded by
 * `maxBufferedPoints`. Failures are logged once per streak, not once per point.
 */
export class BatchWriter {
  private buffer: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private retryAt = 0;
  private readonly written;
  private readonly dropped;
  private readonly buffered;
  private readonly duration;

  constructor(private readonly o: BatchWriterOptions) {
    this.written = o.metrics.counter(
      'tryghed_ingest_written_total',
      'Readings written to the time-series store',
    );
    this.dropped = o.metrics.counter(
      'tryghed_ingest_dropped_total',
      'Readings accepted but not stored, by reason',
      ['reason'],
    );
    this.buffered = o.metrics.gauge('tryghed_ingest_buffered', 'Readings waiting to be written');
    this.duration = o.metrics.histogram(
      'tryghed_ingest_write_seconds',
      'Duration of one batch write',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    );
  }

  /** false when the buffer is full: the reading is not stored (and counted) */
  add(reading: Reading): boolean {
    if (this.buffer.length >= this.o.maxBufferedPoints) {
      this.dropped.inc({ reason: 'buffer_full' });
      return false;
    }
    this.buffer.push(reading);
    if (this.buffer.length >= this.o.batchSize && !this.writing) setImmediate(() => void this.flushDue());
    return true;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flushDue(), this.o.flushIntervalMs);
    this.timer.unref();
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

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.buffer.length > 0) {
      this.o.logger.error({ lost: this.buffer.length }, 'stopping with readings that could not be written');
    }
  }

  health() {
    return {
      buffered: this.buffer.length,
      lastWriteOk: this.failures === 0,
      lastError: this.lastError,
      consecutiveFailures: this.failures,
    };
  }

  private async flushDue(): Promise<void> {
    if (this.writing || this.buffer.length === 0 || Date.now() < this.retryAt) return;
    await this.writeOne();
    // more than one batch waiting: keep going without waiting for the timer
    if (this.failures === 0 && this.buffer.length >= this.o.batchSize)
      setImmediate(() => void this.flushDue());
  }

  private writeOne(): Promise<void> {
    const batch = this.buffer.splice(0, this.o.batchSize);
    this.buffered.set(this.buffer.length);
    const end = this.duration.startTimer();
    this.writing = this.o.readings
      .write(batch)
      .then(
        () => {
          end();
          this.written.inc(batch.length);
          if (this.failures > 0) {
            this.o.logger.info({ failures: this.failures }, 'writing readings works again');
          }
          this.failures = 0;
          this.lastError = null;
        },
        (err: unknown) => {
          // keep the points, in order, ahead of newer ones
          this.buffer = batch.concat(this.buffer);
          this.failures++;
          this.lastError = (err as Error).message;
          this.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 10));
          if (this.failures === 1) {
            this.o.logger.error(
              { err: this.lastError, buffered: this.buffer.length },
              'writing readings failed; retrying',
            );
          }
        },
      )
      .finally(() => {
        this.writing = null;
        this.buffered.set(this.buffer.length);
      });
    return this.writing;
  }
}
