import type { WireReading } from '../services/domain/index.ts';

export interface OutboxEntry {
  deviceId: string;
  reading: WireReading;
}

/**
 * Readings waiting to leave the home, in order. Bounded: when full, the oldest reading is dropped
 * (and the caller counts it), because a week-old temperature matters less than the newest alarm.
 */
export class Outbox {
  private readonly entries: OutboxEntry[] = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** adds a reading; returns how many old ones were dropped to make room */
  push(entry: OutboxEntry): number {
    this.entries.push(entry);
    let dropped = 0;
    while (this.entries.length > this.limit) {
      this.entries.shift();
      dropped++;
    }
    return dropped;
  }

  /** the front readings of one device (up to `max`), to go as one message; not removed yet */
  peekBatch(max: number): OutboxEntry[] {
    const first = this.entries[0];
    if (!first) return [];
    const batch: OutboxEntry[] = [];
    for (const e of this.entries) {
      if (e.deviceId !== first.deviceId || batch.length >= max) break;
      batch.push(e);
    }
    return batch;
  }

  /** removes the first `n` readings, once the broker has acknowledged them */
  remove(batch: OutboxEntry[]): void {
    // the batch is at the front unless old readings were dropped meanwhile; remove by identity
    for (const e of batch) {
      const i = this.entries.indexOf(e);
      if (i >= 0) this.entries.splice(i, 1);
    }
  }
}
