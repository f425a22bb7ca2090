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
  ping(): Promise<boolean>;
  close(): Promise<void>;
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
