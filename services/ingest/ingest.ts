import type { ConsentRegistry } from '../consent/index.ts';
import {
  ALARM_KINDS,
  parseDeviceTopic,
  type ReadingCategory,
  topics,
  toReading,
  valueInRange,
} from '../domain/index.ts';
import type { PlatformBus } from '../events/index.ts';
import type { Registry } from '../registry/index.ts';
import { type Clock, type Logger, type Metrics, systemClock } from '../runtime/index.ts';
import type { ReadingStore } from '../timeseries/index.ts';
import { BatchWriter, type PendingReading } from './batch-writer.ts';
import { ResendFilter } from './dedup.ts';
import { parseWireReading, payloadItems } from './payload.ts';
import { ResendKeeper, type ResendWindowStore } from './resend-keeper.ts';
import { DEFAULT_ROUTINE_SLICE_MS, RoutineQueue, type Settled } from './routine-queue.ts';
import type { ReadingSpool } from './spool.ts';

export type RejectReason =
  | 'wrong_topic'
  | 'not_json'
  | 'schema'
  | 'unknown_device'
  | 'device_not_in_home'
  | 'kind_not_declared'
  | 'out_of_range'
  | 'no_consent'
  | 'duplicate';

/**
 * How long a device may be silent before the resend filter forgets it: a resend comes when the
 * link is back, so this is the longest outage after which a resend is still recognised.
 */
export const DEFAULT_RESEND_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface IngestResult {
  accepted: number;
  rejected: RejectReason[];
  /**
   * When the message may be acknowledged (PUBACK): true once every reading of it that is to be
   * stored is durable (fsynced to the spool, or written to InfluxDB when there is no spool), at once
   * when nothing of it is to be stored; false when one could not be taken (buffer full, spool
   * failing): then the device must keep it and send it again. Never rejects.
   */
  durable: Promise<boolean>;
}

const NOTHING_TO_KEEP = Promise.resolve(true);
const NOT_DURABLE = Promise.resolve(false);

/** What one message's acknowledgement waits for, gathered while judging it. */
interface AckPlan {
  stored: PendingReading[];
  /** a resend among them: wait for everything taken before */
  waitForEarlier: boolean;
  /** a reading to be stored found no room: no acknowledgement */
  refused: boolean;
}

/** Where a message came from: a device over the broker (default), or a technician's test. */
export interface MessageOrigin {
  /** a test reading injected through the dashboard: judged the same way, marked `test` */
  test?: boolean;
}

export interface IngestOptions {
  registry: Registry;
  consent: ConsentRegistry;
  readings: ReadingStore;
  /** readings per write; default 5000 */
  batchSize?: number;
  /** longest a reading waits to be written, ms; default 200 */
  flushIntervalMs?: number;
  /** bound on readings held (in memory, and in the spool) while the store is down; default 200,000 */
  maxBufferedPoints?: number;
  /** a device silent for longer than this (ms) is forgotten by the resend filter; default 24 h */
  resendWindowMs?: number;
  /** the share of that bound one device may hold; default 10,000 */
  maxBufferedPerDevice?: number;
  /**
   * The on-disk spool: a reading is acknowledged once it is fsynced there, and what it held at the
   * last stop or crash is written at `start()`. Without it, a reading is acknowledged once written
   * to InfluxDB.
   */
  spool?: ReadingSpool;
  /** a device time further ahead of the receive time than this is not believed; default 5 min */
  maxClockAheadMs?: number;
  /** a device time older than this is not believed (InfluxDB would not keep it); default 365 days */
  maxReadingAgeMs?: number;
  /** receive times, the resend window: the platform's (injected) time */
  clock?: Clock;
  /**
   * paces the writes to the time-series store (flushes, retries) and judges a hung one; real time
   * by default, also when `clock` is a test's, since it measures InfluxDB, not the citizen's day
   */
  ioClock?: Clock;
  logger: Logger;
  metrics: Metrics;
  /** `device/heard` and `reading/accepted` go out here, synchronously, as each reading is judged */
  events: PlatformBus;
  /**
   * The store, where the resend filter's windows are kept (its `resendWindows`, owned by ingest):
   * loaded by `restore()`, changed ones written every second. Without it, they live in memory.
   */
  store?: { readonly resendWindows: ResendWindowStore };
  /**
   * Routine readings from the broker (devices without an alarm kind) are judged in slices of at
   * most this many ms per turn of the event loop, so an alarm is read and raised between slices
   * (`routine-queue.ts`); default 1. 0: every message is judged the moment it arrives.
   */
  routineSliceMs?: number;
}

/**
 * how far apart the processes' clocks may be: a process that wrote a home's readings since this
 * long before another erased it erases them again (a delete bounded by time, so one too many is
 * harmless)
 */
const ERASURE_CLOCK_SLACK_MS = 60_000;

/** how often the resend filter's changed windows are written to the store, ms */
const RESEND_SAVE_MS = 1000;

/**
 * From an MQTT message to stored, consent-checked readings. Each reading in a message is judged
 * alone, in this order: topic, JSON, schema, device, home, declared kind, consent, resend. Readings
 * with `history` consent (and technical ones) are stored; every reading that passed goes to the
 * rules, which check `alerts` consent themselves. Nothing here throws on input.
 */
export class Ingest {
  private readonly writer: BatchWriter;
  private readonly resends: ResendFilter;
  private readonly keeper: ResendKeeper | undefined;
  private readonly clock: Clock;
  private readonly acceptedCount;
  private readonly rejectedCounter;
  private readonly warned = new Set<string>();
  private readonly clockWrong;
  private readonly maxAheadMs: number;
  private readonly maxAgeMs: number;
  private readonly routine: RoutineQueue | null;
  /**
   * per device whose readings this process wrote: the home, when it last wrote some (platform
   * clock) and the largest lead of their time over their receipt (`forgetErased`)
   */
  private readonly wrote = new Map<string, { homeId: string; at: number; lead: number }>();
  private oldestRecovered = Number.POSITIVE_INFINITY;

  constructor(private readonly o: IngestOptions) {
    this.clock = o.clock ?? systemClock;
    const sliceMs = o.routineSliceMs ?? DEFAULT_ROUTINE_SLICE_MS;
    this.routine = sliceMs > 0 ? new RoutineQueue((h, d, p) => this.judgeReadings(h, d, p), sliceMs) : null;
    const clock = this.clock;
    this.resends = new ResendFilter({
      windowMs: o.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS,
      now: () => clock.now(),
    });
    if (o.store)
      this.keeper = new ResendKeeper({
        filter: this.resends,
        store: o.store.resendWindows,
        clock,
        logger: o.logger,
        windowMs: o.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS,
        everyMs: RESEND_SAVE_MS,
        deviceId: (id) => o.registry.device(id)?.id,
      });
    this.maxAheadMs = o.maxClockAheadMs ?? 5 * 60_000;
    this.maxAgeMs = o.maxReadingAgeMs ?? 365 * 86_400_000;
    const spool = o.spool;
    this.writer = new BatchWriter({
      readings: o.readings,
      batchSize: o.batchSize ?? 5000,
      flushIntervalMs: o.flushIntervalMs ?? 200,
      maxBufferedPoints: o.maxBufferedPoints ?? 200_000,
      maxBufferedPerDevice: o.maxBufferedPerDevice ?? 10_000,
      logger: o.logger,
      metrics: o.metrics,
      // flushing, retrying and judging a hung write pace real I/O: real time, even under a test's clock
      clock: o.ioClock ?? systemClock,
      ...(spool ? { onSettled: (done) => spool.release(done.map((e) => e.segment)) } : {}),
      onWritten: (batch) => this.noteWritten(batch),
    });
    // a reading the spool failed to keep got no PUBACK: its resend must not be called a duplicate
    if (spool)
      spool.onLost = (lost) => {
        for (const r of lost) if (!r.test) this.resends.unsee(r.deviceId, r.seq, r.deviceTs ?? r.ts);
      };
    this.clockWrong = o.metrics.counter(
      'tryghed_ingest_device_clock_wrong_total',
      'Readings whose device time was not believed (stored at the receive time), by direction',
      ['direction'],
    );
    this.acceptedCount = o.metrics.tally(
      o.metrics.counter('tryghed_ingest_readings_total', 'Readings accepted by ingest', ['result']),
      { result: 'accepted' },
    );
    this.rejectedCounter = o.metrics.counter('tryghed_ingest_rejected_total', 'Readings refused by ingest', [
      'reason',
      'category',
    ]);
  }

  handleMessage(topic: string, payload: Buffer, origin: MessageOrigin = {}): IngestResult {
    const result = { accepted: 0, rejected: [] as RejectReason[] };
    const ack: AckPlan = { stored: [], waitForEarlier: false, refused: false };
    const parsed = parseDeviceTopic(topic);
    if (parsed?.type !== 'readings') this.reject(result, 'wrong_topic', '', null);
    else this.judgeSafely(parsed.homeId, parsed.deviceId, payload, result, origin.test === true, ack);
    return { ...result, durable: this.durable(ack) };
  }

  /**
   * The broker's path: a device's readings message whose topic the broker already parsed and
   * checked (home and device from it). The same judging as `handleMessage`, without a result object
   * per message; resolves to whether the message may be acknowledged (see `IngestResult.durable`).
   * A device that can raise an alarm (`ALARM_KINDS`) is judged at once, after any of its own
   * messages still queued; every other device's message waits its turn in the routine queue.
   */
  handleReadings(homeId: string, deviceId: string, payload: Buffer): Promise<boolean> {
    const routine = this.routine;
    if (!routine) return this.judgeReadings(homeId, deviceId, payload);
    if (!this.mayAlarm(deviceId)) return routine.enqueue(homeId, deviceId, payload);
    // its kinds changed while messages of it waited: those first, so its order is kept
    if (routine.holds(deviceId)) routine.catchUp(deviceId);
    return this.judgeReadings(homeId, deviceId, payload);
  }

  /**
   * `handleReadings` telling `settled` instead of returning a promise: the broker's path, so a
   * routine message costs no promise of its own (only its place in the queue). Same judging, same
   * order, same meaning of `settled(true)`: the message may be acknowledged.
   */
  takeReadings(homeId: string, deviceId: string, payload: Buffer, settled: Settled): void {
    const routine = this.routine;
    if (routine && !this.mayAlarm(deviceId)) {
      routine.enqueueTo(homeId, deviceId, payload, settled);
      return;
    }
    // its kinds changed while messages of it waited: those first, so its order is kept
    if (routine?.holds(deviceId)) routine.catchUp(deviceId);
    this.judgeReadings(homeId, deviceId, payload).then(settled, () => settled(false));
  }

  /** whether a reading of this device could raise an alarm: one of its declared kinds is an alarm kind */
  private mayAlarm(deviceId: string): boolean {
    const kinds = this.o.registry.device(deviceId)?.kinds;
    if (!kinds) return false;
    for (const kind of kinds) if (ALARM_KINDS.has(kind)) return true;
    return false;
  }

  /** judges a broker message now (see `handleReadings`) */
  private judgeReadings(homeId: string, deviceId: string, payload: Buffer): Promise<boolean> {
    // judging is synchronous, so one scratch result and plan serve every message; a listener that
    // hands a message back in while one is judged gets fresh ones
    if (this.judging) return this.handleMessage(topics.readings(homeId, deviceId), payload).durable;
    const result = this.scratchResult;
    const ack = this.scratchAck;
    result.accepted = 0;
    result.rejected.length = 0;
    ack.stored.length = 0;
    ack.waitForEarlier = false;
    ack.refused = false;
    return this.durable(this.judgeSafely(homeId, deviceId, payload, result, false, ack));
  }

  private judging = false;
  private readonly scratchResult = { accepted: 0, rejected: [] as RejectReason[] };
  private readonly scratchAck: AckPlan = { stored: [], waitForEarlier: false, refused: false };

  private judgeSafely(
    homeId: string,
    deviceId: string,
    payload: Buffer,
    result: { accepted: number; rejected: RejectReason[] },
    test: boolean,
    ack: AckPlan,
  ): AckPlan {
    const outer = this.judging;
    this.judging = true;
    try {
      this.judge(homeId, deviceId, payload, result, test, ack);
    } catch (err) {
      // A bug must not take the broker's message loop down with it; count it loudly.
      this.reject(result, 'schema', '', null);
      this.o.logger.error({ err }, 'unexpected error while judging a message');
    } finally {
      this.judging = outer;
    }
    if (result.accepted > 0) this.acceptedCount.inc(result.accepted);
    return ack;
  }

  /** what the PUBACK waits for: the spool's fsync, or (without a spool) InfluxDB's answer */
  private durable(ack: AckPlan): Promise<boolean> {
    // what was taken is written either way; a refused message is sent again whole, and its taken
    // readings are then resends
    for (const entry of ack.stored) this.writer.add(entry);
    if (ack.refused) return NOT_DURABLE;
    if (ack.stored.length === 0 && !ack.waitForEarlier) return NOTHING_TO_KEEP;
    // a resend waits for its first copy, which was taken before anything of this message
    return this.o.spool ? this.o.spool.synced() : this.writer.whenWritten();
  }

  /** Loads the resend filter's windows kept in the store (before `start()`). */
  async restore(): Promise<void> {
    await this.keeper?.restore();
  }

  /** starts writing; what the spool held at the last stop (or crash) goes first */
  start(): void {
    this.keeper?.start();
    const recovered = this.o.spool?.takeRecovered() ?? [];
    for (const entry of recovered) {
      this.writer.add(entry);
      if (!(entry.reading.receivedAt >= this.oldestRecovered))
        this.oldestRecovered = entry.reading.receivedAt;
    }
    if (recovered.length > 0)
      this.o.logger.info({ readings: recovered.length }, 'writing readings kept in the spool');
    this.writer.start();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** when the oldest reading found in the spool at start was received (epoch ms); undefined: none */
  oldestRecoveredAt(): number | undefined {
    return Number.isFinite(this.oldestRecovered) ? this.oldestRecovered : undefined;
  }

  /**
   * A home's readings are being erased: what still waits to be written is dropped (and will not
   * come back from the spool after a restart). Call before erasing the home in InfluxDB.
   */
  async eraseHome(homeId: string): Promise<void> {
    await this.o.spool?.recordErasure(homeId, this.clock.now());
    await this.writer.discardHome(homeId);
  }

  /**
   * Another process erased the home at `at` (its request's time; docs/architecture.md, "Several
   * processes"): what this process holds of it received up to then is dropped (buffer, and spool
   * after a restart), and what it wrote of the home to the time-series store since shortly before
   * then (a batch on its way as the other process erased, or all of an outage) is erased again up
   * to the newest time those readings can have: `at` plus the device's largest lead of its time
   * over its receipt here. Readings received after `at` stay. Throws when the store fails.
   */
  async forgetErased(homeId: string, at: number): Promise<void> {
    await this.o.spool?.recordErasure(homeId, at);
    await this.writer.discardHome(homeId, at);
    for (const [deviceId, w] of [...this.wrote]) {
      if (w.homeId !== homeId || w.at < at - ERASURE_CLOCK_SLACK_MS) continue;
      await this.o.readings.eraseDeviceUpTo(homeId, deviceId, at + Math.max(0, w.lead));
    }
  }

  private noteWritten(batch: readonly PendingReading[]): void {
    const now = this.clock.now();
    for (const { reading: r } of batch) {
      const lead = r.ts - r.receivedAt;
      const w = this.wrote.get(r.deviceId);
      if (w && w.homeId === r.homeId) {
        w.at = now;
        if (lead > w.lead) w.lead = lead;
      } else this.wrote.set(r.deviceId, { homeId: r.homeId, at: now, lead });
    }
  }

  /** writes what it can; with a spool, the rest waits there for the next start */
  async stop(): Promise<void> {
    // what still waits to be judged is not acknowledged: its devices send it again
    this.routine?.close();
    await this.keeper?.stop();
    const left = await this.writer.stop();
    if (left.length > 0) {
      if (this.o.spool)
        this.o.logger.warn({ readings: left.length }, 'stopping; unwritten readings stay in the spool');
      else this.o.logger.error({ readings: left.length }, 'stopping with readings never acknowledged');
    }
    await this.o.spool?.close();
  }

  health() {
    const h = this.writer.health();
    const spoolFailing = this.o.spool?.failing() ?? false;
    return {
      ...h,
      spooled: this.o.spool?.size() ?? 0,
      spoolFailing,
      /** readings are not being made durable: staff must be told */
      failing: h.failing || spoolFailing,
    };
  }

  /** What the resend filter holds (devices heard within its window, bytes of its slots). */
  resendFilterStats() {
    return this.resends.stats();
  }

  /** Device time is believed inside [received − max age, received + max ahead]; otherwise null. */
  private clockDirection(ts: number, receivedAt: number): 'ahead' | 'behind' | null {
    if (ts > receivedAt + this.maxAheadMs) return 'ahead';
    if (ts < receivedAt - this.maxAgeMs) return 'behind';
    return null;
  }

  private judge(
    homeId: string,
    deviceId: string,
    payload: Buffer,
    result: { accepted: number; rejected: RejectReason[] },
    test: boolean,
    ack: AckPlan,
  ): void {
    const split = payloadItems(payload);
    if (!split.ok) {
      this.reject(result, split.reason, '', deviceId);
      return;
    }

    const device = this.o.registry.device(deviceId);
    const receivedAt = this.clock.now();
    for (const item of split.items) {
      const wire = parseWireReading(item);
      if (!wire.success) {
        this.reject(result, 'schema', '', deviceId);
        continue;
      }
      if (!device) {
        this.reject(result, 'unknown_device', '', deviceId);
        continue;
      }
      if (device.homeId !== homeId) {
        this.reject(result, 'device_not_in_home', '', deviceId);
        continue;
      }
      const declared = device.kinds.indexOf(wire.data.kind);
      if (declared < 0) {
        this.reject(result, 'kind_not_declared', '', deviceId);
        continue;
      }
      // The reading is built on the registry's own strings (the same values): the topic's and the
      // payload's copies then die with the message, while a reading waits up to a flush interval
      // for InfluxDB and outlives a scavenge or two (each copied, then promoted, costs the pause
      // every alarm arriving meanwhile waits behind).
      wire.data.kind = device.kinds[declared]!;
      const reading = toReading(wire.data, device.homeId, device.id, receivedAt);
      if (test) reading.test = true;
      // A well-formed reading from a known device proves it is alive, whatever consent allows and
      // even when it is a resend: liveness is technical, and never judged by what we sent.
      // (`device/heard`: every well-formed reading from a known device, before consent and resends)
      if (!test) this.o.events.emit('device/heard', { deviceId, at: receivedAt });
      // A value no device of this kind can report (battery 250 %, door 2) is a broken device:
      // believed, it would raise or hide alerts. Refused and counted by kind's category, never logged.
      if (!valueInRange(wire.data.kind, wire.data.value)) {
        this.reject(result, 'out_of_range', reading.category, deviceId);
        continue;
      }
      const store = this.o.consent.allows(homeId, reading.category, 'history');
      // judged (alerts) or summed up for the night round, without being stored: only `history` stores
      if (
        !store &&
        !this.o.consent.allows(homeId, reading.category, 'alerts') &&
        !this.o.consent.allows(homeId, reading.category, 'night_round')
      ) {
        // Counted by category only: which home or what value must not be recorded anywhere.
        this.reject(result, 'no_consent', reading.category, null);
        continue;
      }
      // A test reading is made by the platform, never resent: it skips the resend filter, so it
      // neither collides with nor pushes out the device's own sequence numbers.
      // keyed by the registry's own id string, so the filter holds no copy of it
      if (!test && this.resends.seen(device.id, reading.seq, reading.ts)) {
        this.reject(result, 'duplicate', '', null);
        // its first copy may not be durable yet (a resend on a new connection): ack after it
        ack.waitForEarlier = true;
        continue;
      }
      // A device time we cannot believe: the reading is still taken and judged (the rules go by
      // the receive time anyway), but stored at the receive time, its device time kept beside it,
      // so one wrong clock never makes InfluxDB refuse a batch nor puts a point in 1970.
      const deviceTime = reading.ts;
      const direction = this.clockDirection(deviceTime, receivedAt);
      if (direction) {
        this.clockWrong.inc({ direction });
        this.warnOnce(
          `clock_${direction}`,
          deviceId,
          { direction },
          'device clock is wrong; stored at receive time',
        );
        reading.deviceTs = deviceTime;
        reading.ts = receivedAt;
      }
      if (store) {
        const noRoom = ack.refused ? 'buffer_full' : this.writer.noRoomFor(deviceId);
        if (noRoom) {
          // Not taken: the device keeps it and sends it again (no PUBACK), so it must not be
          // called a duplicate then. The rules still hear it now: an alarm never waits for storage.
          this.writer.refuseFull(noRoom);
          if (!test) this.resends.unsee(deviceId, reading.seq, deviceTime);
          ack.refused = true;
        } else {
          const segment = this.o.spool ? this.o.spool.append(reading) : -1;
          ack.stored.push({ reading, segment });
        }
      }
      result.accepted++;
      // a listener that fails is logged and counted by the bus; the next reading is judged all the same
      this.o.events.emit('reading/accepted', reading);
    }
  }

  private reject(
    result: { rejected: RejectReason[] },
    reason: RejectReason,
    category: ReadingCategory | '',
    deviceId: string | null,
  ): void {
    result.rejected.push(reason);
    this.rejectedCounter.inc({ reason, category });
    // One log line per device and reason until restart: a misconfigured device sending 10 readings
    // a second must not flood the log. The counter keeps the full count. Never the content.
    this.warnOnce(reason, deviceId, { reason, ...(category ? { category } : {}) }, 'reading refused');
  }

  private warnOnce(what: string, deviceId: string | null, fields: Record<string, unknown>, message: string) {
    const key = `${what}:${deviceId ?? ''}`;
    if (this.warned.size < 10_000 && !this.warned.has(key)) {
      this.warned.add(key);
      this.o.logger.warn({ ...fields, ...(deviceId ? { deviceId } : {}) }, message);
    }
  }
}
