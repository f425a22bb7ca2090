import { type FileHandle, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reading } from '../domain/index.ts';
import type { Logger, Metrics } from '../runtime/index.ts';
import { decode, ERASURES, encode, SEGMENT, segmentName } from './spool-format.ts';

export interface SpoolOptions {
  /** a folder of its own (`$DATA_DIR/spool`); created when missing */
  dir: string;
  /** a segment file is closed and a new one begun past this size; default 8 MiB */
  segmentBytes?: number;
  logger: Logger;
  metrics: Metrics;
}

export interface SpooledReading {
  reading: Reading;
  segment: number;
}

/**
 * The durable copy of readings that are not yet in InfluxDB, so a PUBACK can mean "stored" without
 * waiting for InfluxDB. Append-only segment files under one folder; each append is fsynced with
 * whatever else arrived meanwhile (group commit: one write and one `fdatasync` in flight at a time,
 * on libuv's thread pool, never blocking the event loop). A segment is deleted once every reading in
 * it is confirmed written (`release`). At start, what the segments hold is read back (`open`) and
 * written again: the point's time is unique per (device, seq), so a reading written twice is one
 * point. A line that does not parse (a torn last write) is skipped and counted.
 *
 * Bounded by the caller, which holds every spooled reading in memory too (`INGEST_MAX_BUFFERED`).
 */
export class ReadingSpool {
  private queue: Array<{ segment: number; lines: string[]; readings: Reading[] }> = [];
  /** told of readings whose write failed: they were never acknowledged */
  onLost: ((readings: readonly Reading[]) => void) | null = null;
  private appended = 0;
  private syncedUpTo = 0;
  /** told by the next group written: everyone who asked before it began */
  private nextGroup: { promise: Promise<boolean>; resolve: (ok: boolean) => void } | null = null;
  private syncing: Promise<void> | null = null;
  private fh: FileHandle | null = null;
  private fhSegment = -1;
  private current: number;
  private currentBytes = 0;
  private readonly held = new Map<number, number>();
  /** every segment file that exists, with its size */
  private readonly files = new Map<number, number>();
  private readonly segmentBytes: number;
  private lastSyncFailed = false;
  private tornTail = false;
  /** segments up to this one may hold lines of an erased home; -1: none */
  private erasuresCover = -1;
  private closed = false;
  private readonly heldGauge;
  private readonly bytesGauge;
  private readonly errors;

  private constructor(
    private readonly o: SpoolOptions,
    next: number,
    private recovered: SpooledReading[],
  ) {
    this.current = next;
    this.segmentBytes = o.segmentBytes ?? 8 * 1024 * 1024;
    this.heldGauge = o.metrics.gauge(
      'tryghed_ingest_spool_readings',
      'Readings held in the on-disk spool, not yet confirmed in InfluxDB',
    );
    this.bytesGauge = o.metrics.gauge('tryghed_ingest_spool_bytes', 'Bytes in the spool segment files');
    this.errors = o.metrics.counter(
      'tryghed_ingest_spool_errors_total',
      'Spool writes that failed, and spooled lines that could not be read back',
      ['what'],
    );
    for (const r of recovered) this.held.set(r.segment, (this.held.get(r.segment) ?? 0) + 1);
  }

  static async open(o: SpoolOptions): Promise<ReadingSpool> {
    await mkdir(o.dir, { recursive: true });
    const names = (await readdir(o.dir)).filter((n) => SEGMENT.test(n)).sort();
    const recovered: SpooledReading[] = [];
    const sizes = new Map<number, number>();
    let bad = 0;
    let last = 0;
    for (const name of names) {
      const segment = Number(SEGMENT.exec(name)![1]);
      last = Math.max(last, segment);
      const text = await readFile(join(o.dir, name), 'utf8');
      sizes.set(segment, Buffer.byteLength(text));
      const lines = text.split('\n');
      // the part after the last newline is a write that never finished: it was never acknowledged
      lines.pop();
      for (const line of lines) {
        if (line === '') continue; // the end of a torn write (see drain)
        const reading = decode(line);
        if (reading) recovered.push({ reading, segment });
        else bad++;
      }
    }
    // a home erased while its readings were spooled: those readings must not come back
    const erasedAt = new Map<string, number>();
    const erasures = await readFile(join(o.dir, ERASURES), 'utf8').catch(() => '');
    for (const line of erasures.split('\n')) {
      try {
        const e = JSON.parse(line) as { homeId?: unknown; at?: unknown };
        if (typeof e.homeId === 'string' && typeof e.at === 'number')
          erasedAt.set(e.homeId, Math.max(e.at, erasedAt.get(e.homeId) ?? 0));
      } catch {
        // an empty or torn line
      }
    }
    const kept = recovered.filter((r) => !(r.reading.receivedAt <= (erasedAt.get(r.reading.homeId) ?? -1)));
    if (kept.length < recovered.length)
      o.logger.info({ readings: recovered.length - kept.length }, 'spooled readings of erased homes dropped');
    const spool = new ReadingSpool(o, last + 1, kept);
    if (erasures.length > 0) spool.erasuresCover = last;
    for (const [segment, size] of sizes) spool.files.set(segment, size);
    if (bad > 0) {
      spool.errors.inc({ what: 'unreadable_line' }, bad);
      o.logger.error({ lines: bad }, 'spool lines could not be read back; skipped');
    }
    if (recovered.length > 0) o.logger.info({ readings: recovered.length }, 'readings found in the spool');
    // segments with nothing readable in them can go at once
    for (const name of names) {
      const segment = Number(SEGMENT.exec(name)![1]);
      if (!spool.held.has(segment)) {
        spool.files.delete(segment);
        await unlink(join(o.dir, name)).catch(() => {});
      }
    }
    spool.report();
    return spool;
  }

  /** what the spool held at start, to be written again; handed out once */
  takeRecovered(): SpooledReading[] {
    const r = this.recovered;
    this.recovered = [];
    return r;
  }

  /** readings held (appended, not yet released) */
  size(): number {
    let n = 0;
    for (const v of this.held.values()) n += v;
    return n;
  }

  /** true while the last attempt to write the spool failed: acknowledgements are refused */
  failing(): boolean {
    return this.lastSyncFailed;
  }

  /** queues one reading; it is durable once `synced()` says so. Returns its segment. */
  append(reading: Reading): number {
    if (this.currentBytes >= this.segmentBytes) {
      this.current++;
      this.currentBytes = 0;
    }
    const line = encode(reading);
    const tail = this.queue.at(-1);
    if (tail?.segment === this.current) {
      tail.lines.push(line);
      tail.readings.push(reading);
    } else this.queue.push({ segment: this.current, lines: [line], readings: [reading] });
    this.currentBytes += line.length;
    this.files.set(this.current, (this.files.get(this.current) ?? 0) + line.length);
    this.appended++;
    this.held.set(this.current, (this.held.get(this.current) ?? 0) + 1);
    return this.current;
  }

  /** true once everything appended so far is on disk; false if writing it failed */
  synced(): Promise<boolean> {
    if (this.syncedUpTo >= this.appended) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    // one promise per group, shared by every reading in it: an fsync acknowledges thousands
    if (!this.nextGroup) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((r) => {
        resolve = r;
      });
      this.nextGroup = { promise, resolve };
    }
    const { promise } = this.nextGroup;
    if (!this.syncing) this.syncing = this.drain().finally(() => (this.syncing = null));
    return promise;
  }

  /** these readings are in InfluxDB: their spooled copies may go */
  release(segments: readonly number[]): void {
    for (const s of segments) {
      if (s < 0) continue;
      const n = (this.held.get(s) ?? 1) - 1;
      if (n > 0) this.held.set(s, n);
      else this.held.delete(s);
    }
    this.retireCurrent();
    this.deleteDone();
    this.report();
  }

  /**
   * Everything in the segment open for appending is in InfluxDB: close it, so it can be deleted and
   * a restart does not write it again; the next append begins a new one. Not while a write is on
   * its way (it would append to the file being retired).
   */
  private retireCurrent(betweenWrites = false): void {
    if ((this.syncing && !betweenWrites) || this.queue.length > 0 || this.closed) return;
    const segment = this.current;
    if (this.held.has(segment) || !this.files.has(segment)) return;
    this.current++;
    this.currentBytes = 0;
    const fh = this.fh;
    this.fh = null;
    this.fhSegment = -1;
    fh?.close().catch((err: unknown) => this.o.logger.warn({ err }, 'closing a spool segment failed'));
  }

  /**
   * Records, durably, that a home's readings received until `at` were erased, so a restart does not
   * bring back its spooled copies. Kept until no segment from before it is left.
   */
  async recordErasure(homeId: string, at: number): Promise<void> {
    // what comes next goes to a new segment, so the record can go once the older ones have
    this.erasuresCover = this.current;
    this.current++;
    this.currentBytes = 0;
    const fh = await open(join(this.o.dir, ERASURES), 'a');
    try {
      await fh.write(`${JSON.stringify({ homeId, at })}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.syncing) await this.syncing;
    await this.fh?.close();
    this.fh = null;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.nextGroup) {
      const chunks = this.queue;
      const upTo = this.appended;
      const group = this.nextGroup;
      this.nextGroup = null;
      this.queue = [];
      if (chunks.length === 0) {
        // asked while the group before was on its way: that group decided it
        group?.resolve(this.syncedUpTo >= upTo);
        continue;
      }
      let ok = true;
      try {
        for (const chunk of chunks) {
          const fh = await this.handleFor(chunk.segment);
          // after a failed write the file may end in half a line: end it, so the next line is whole
          const text = chunk.lines.join('');
          await fh.write(this.tornTail ? `\n${text}` : text);
          this.tornTail = false;
        }
        await this.fh?.datasync();
        if (this.lastSyncFailed) this.o.logger.info('writing the spool works again');
        this.lastSyncFailed = false;
      } catch (err) {
        ok = false;
        this.errors.inc({ what: 'write' });
        this.tornTail = true;
        for (const chunk of chunks) this.onLost?.(chunk.readings);
        if (!this.lastSyncFailed) this.o.logger.error({ err }, 'writing the spool failed; not acknowledging');
        this.lastSyncFailed = true;
      }
      if (ok) this.syncedUpTo = upTo;
      group?.resolve(ok);
      // nothing more to write: what was released meanwhile may let the open segment go
      if (this.queue.length === 0) this.retireCurrent(true);
      this.deleteDone();
      this.report();
    }
  }

  /** the file of `segment`, opened for appending; an earlier one is synced and closed first */
  private async handleFor(segment: number): Promise<FileHandle> {
    if (this.fh && this.fhSegment === segment) return this.fh;
    if (this.fh) {
      await this.fh.datasync();
      await this.fh.close();
      this.fh = null;
    }
    this.fh = await open(join(this.o.dir, segmentName(segment)), 'a');
    this.fhSegment = segment;
    // the new file's name must survive a power cut too
    const dir = await open(this.o.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return this.fh;
  }

  /** deletes closed segments whose readings are all in InfluxDB (never one still being written) */
  private deleteDone(): void {
    const writable = this.fh ? this.fhSegment : this.current;
    for (const segment of [...this.files.keys()]) {
      if (segment >= writable || this.held.has(segment)) continue;
      this.forget(segment);
    }
    // no segment from before the last erasure is left: its record is no longer needed
    if (this.erasuresCover >= 0 && [...this.files.keys()].every((f) => f > this.erasuresCover)) {
      this.erasuresCover = -1;
      unlink(join(this.o.dir, ERASURES)).catch(() => {});
    }
  }

  private forget(segment: number): void {
    this.files.delete(segment);
    unlink(join(this.o.dir, segmentName(segment))).then(
      () => {},
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.o.logger.warn({ err }, 'deleting a spool segment failed');
      },
    );
  }

  private report(): void {
    this.heldGauge.set(this.size());
    let bytes = 0;
    for (const v of this.files.values()) bytes += v;
    this.bytesGauge.set(bytes);
  }
}
