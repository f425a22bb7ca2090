import type { ConsentRegistry } from '../consent/index.ts';
import { parseDeviceTopic, type Reading, type ReadingCategory, toReading } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import { type Clock, type Logger, type Metrics, systemClock } from '../runtime/index.ts';
import type { ReadingStore } from '../timeseries/index.ts';
import { BatchWriter } from './batch-writer.ts';
import { ResendFilter } from './dedup.ts';
import { parseWireReading, payloadItems } from './payload.ts';

export type RejectReason =
  | 'wrong_topic'
  | 'not_json'
  | 'schema'
  | 'unknown_device'
  | 'device_not_in_home'
  | 'kind_not_declared'
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
  /** bound on readings held while the store is down; default 200,000 */
  maxBufferedPoints?: number;
  /** a device silent for longer than this (ms) is forgotten by the resend filter; default 24 h */
  resendWindowMs?: number;
  clock?: Clock;
  logger: Logger;
  metrics: Metrics;
}

/**
 * From an MQTT message to stored, consent-checked readings. Each reading in a message is judged
 * alone, in this order: topic, JSON, schema, device, home, declared kind, consent, resend. Readings
 * with `history` consent (and technical ones) are stored; every reading that passed goes to the
 * rules, which check `alerts` consent themselves. Nothing here throws on input.
 */
export class Ingest {
  private readonly writer: BatchWriter;
  private readonly resends: ResendFilter;
  private readonly listeners: Array<(reading: Reading) => void> = [];
  private readonly heardListeners: Array<(deviceId: string, at: number) => void> = [];
  private readonly clock: Clock;
  private readonly accepted;
  private readonly rejectedCounter;
  private readonly warned = new Set<string>();

  constructor(private readonly o: IngestOptions) {
    this.clock = o.clock ?? systemClock;
    const clock = this.clock;
    this.resends = new ResendFilter({
      windowMs: o.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS,
      now: () => clock.now(),
    });
    this.writer = new BatchWriter({
      readings: o.readings,
      batchSize: o.batchSize ?? 5000,
      flushIntervalMs: o.flushIntervalMs ?? 200,
      maxBufferedPoints: o.maxBufferedPoints ?? 200_000,
      logger: o.logger,
      metrics: o.metrics,
    });
    this.accepted = o.metrics.counter('tryghed_ingest_readings_total', 'Readings accepted by ingest', [
      'result',
    ]);
    this.rejectedCounter = o.metrics.counter('tryghed_ingest_rejected_total', 'Readings refused by ingest', [
      'reason',
      'category',
    ]);
  }

  handleMessage(topic: string, payload: Buffer, origin: MessageOrigin = {}): IngestResult {
    const result: IngestResult = { accepted: 0, rejected: [] };
    try {
      this.judge(topic, payload, result, origin.test === true);
    } catch (err) {
      // A bug must not take the broker's message loop down with it; count it loudly.
      this.reject(result, 'schema', '', null);
      this.o.logger.error({ err }, 'unexpected error while judging a message');
    }
    if (result.accepted > 0) this.accepted.inc({ result: 'accepted' }, result.accepted);
    return result;
  }

  /** Every well-formed reading from a known device, before consent and resend checks: it is alive. */
  onHeard(listener: (deviceId: string, at: number) => void): () => void {
    this.heardListeners.push(listener);
    return () => {
      const i = this.heardListeners.indexOf(listener);
      if (i >= 0) this.heardListeners.splice(i, 1);
    };
  }

  onReading(listener: (reading: Reading) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  start(): void {
    this.writer.start();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  stop(): Promise<void> {
    return this.writer.stop();
  }

  health() {
    return this.writer.health();
  }

  /** What the resend filter holds (devices heard within its window, bytes of its slots). */
  resendFilterStats() {
    return this.resends.stats();
  }

  private judge(topic: string, payload: Buffer, result: IngestResult, test: boolean): void {
    const parsedTopic = parseDeviceTopic(topic);
    if (parsedTopic?.type !== 'readings') {
      this.reject(result, 'wrong_topic', '', null);
      return;
    }
    const { homeId, deviceId } = parsedTopic;
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
      if (!device.kinds.includes(wire.data.kind)) {
        this.reject(result, 'kind_not_declared', '', deviceId);
        continue;
      }
      const reading = toReading(wire.data, homeId, deviceId, receivedAt);
      if (test) reading.test = true;
      // A well-formed reading from a known device proves it is alive, whatever consent allows and
      // even when it is a resend: liveness is technical, and never judged by what we sent.
      if (!test) for (const heard of this.heardListeners) heard(deviceId, receivedAt);
      const store = this.o.consent.allows(homeId, reading.category, 'history');
      if (!store && !this.o.consent.allows(homeId, reading.category, 'alerts')) {
        // Counted by category only: which home or what value must not be recorded anywhere.
        this.reject(result, 'no_consent', reading.category, null);
        continue;
      }
      // A test reading is made by the platform, never resent: it skips the resend filter, so it
      // neither collides with nor pushes out the device's own sequence numbers.
      // keyed by the registry's own id string, so the filter holds no copy of it
      if (!test && this.resends.seen(device.id, reading.seq, reading.ts)) {
        this.reject(result, 'duplicate', '', null);
        continue;
      }
      result.accepted++;
      if (store) this.writer.add(reading);
      for (const listener of this.listeners) {
        try {
          listener(reading);
        } catch (err) {
          this.o.logger.error({ err, deviceId }, 'reading listener failed');
        }
      }
    }
  }

  private reject(
    result: IngestResult,
    reason: RejectReason,
    category: ReadingCategory | '',
    deviceId: string | null,
  ): void {
    result.rejected.push(reason);
    this.rejectedCounter.inc({ reason, category });
    // One log line per device and reason until restart: a misconfigured device sending 10 readings
    // a second must not flood the log. The counter keeps the full count. Never the content.
    const key = `${reason}:${deviceId ?? ''}`;
    if (this.warned.size < 10_000 && !this.warned.has(key)) {
      this.warned.add(key);
      this.o.logger.warn(
        { reason, ...(category ? { category } : {}), ...(deviceId ? { deviceId } : {}) },
        'reading refused',
      );
    }
  }
}
