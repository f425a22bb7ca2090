import type { Reading, ReadingCategory, SensorKind } from '../domain/index.ts';

/** A reading as the time-series store gives it back. */
export interface ReadingPoint {
  homeId: string;
  deviceId: string;
  kind: SensorKind;
  category: ReadingCategory;
  value: number;
  ts: number;
  seq: number;
  /** a technician's test reading (tag `test`, present only on those) */
  test?: true;
}

export interface ReadingQuery {
  homeId: string;
  kinds?: SensorKind[];
  categories?: ReadingCategory[];
  deviceIds?: string[];
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, inclusive */
  to: number;
  limit?: number;
  /** only a technician's test readings (tag `test`) */
  testOnly?: boolean;
  /**
   * 'desc': newest first, so `limit` keeps the newest points (the latest battery level, the most
   * recent part of a chart) rather than the oldest. Default 'asc'.
   */
  order?: 'asc' | 'desc';
}

/** Where readings are kept. Pseudonymous ids only: no names or personal numbers ever reach it. */
export interface ReadingStore {
  readonly api: 'v1' | 'v2';
  /** creates the database and retention (v1) or checks the bucket (v2); throws TimeseriesUnavailableError */
  ensureReady(): Promise<void>;
  /** one batch, in as few HTTP requests as possible */
  write(readings: readonly Reading[]): Promise<void>;
  /** oldest first, unless `order: 'desc'` */
  query(q: ReadingQuery): Promise<ReadingPoint[]>;
  /** erases every point of one home (a citizen's erasure request) */
  eraseHome(homeId: string): Promise<void>;
  /**
   * erases one device's points of one home up to `upTo` (epoch ms, inclusive): a process that wrote
   * them after another erased the home (docs/architecture.md, "Several processes")
   */
  eraseDeviceUpTo(homeId: string, deviceId: string, upTo: number): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The store refused the points themselves (HTTP 400, 413, 422: a time it cannot keep, a value it
 * cannot parse, a batch too large). Sending the same points again will not help; ingest splits the
 * batch to find and set aside the points at fault. Anything else (5xx, network, 401/403/404: the
 * store or its settings, not the points) is worth retrying.
 */
export class TimeseriesRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TimeseriesRefusedError';
  }
}

/** the HTTP statuses that mean "these points", not "this store" */
export const isPointRefusal = (status: number | undefined): boolean =>
  status === 400 || status === 413 || status === 422;

/**
 * Each reading is its own point. InfluxDB keeps one point per series and timestamp, so two readings
 * of one device with the same millisecond (a device that stamps coarsely, or a burst) would overwrite
 * each other. The point's time is the reading's time in ms, with the reading's `seq` (mod 1e6) as
 * the nanoseconds below it: unique per (device, seq) within a millisecond, no new tag, so series
 * cardinality stays flat, and a resend of the same reading overwrites its own point (exactly once).
 * Queries read at ms precision, so charts and the export see the millisecond.
 */
export function pointTimeNs(ts: number, seq: number): string {
  const ms = Math.trunc(ts);
  // the usual case (a time after 1970, a whole seq) without a BigInt per point
  if (ms >= 1 && Number.isSafeInteger(ms) && Number.isInteger(seq) && seq >= 0)
    return `${ms}${String(seq % 1_000_000).padStart(6, '0')}`;
  return (BigInt(ms) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
}

export class TimeseriesUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TimeseriesUnavailableError';
  }
}

export const MEASUREMENT = 'reading';
/** ids are `[A-Za-z0-9_-]`; checked again here because they end up inside query text */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const SAFE_WORD = /^[a-z_]{1,32}$/;
