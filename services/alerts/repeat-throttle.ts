import type { Alert } from '../domain/index.ts';
import type { Clock, Timer } from '../runtime/index.ts';

/** Repeats of one open alert counted in memory and not yet written. */
export interface PendingRepeats {
  alertId: string;
  /** the alert's home and rule: the chain its writes go through */
  key: string;
  count: number;
  lastSeenAt: number;
}

/** Written at most this often per alert while it only repeats (ms, by the injected clock). */
export const REPEAT_WRITE_INTERVAL_MS = 1000;
/** lastWritten entries kept before old ones are swept (one per recently written alert). */
const SWEEP_ABOVE = 10_000;

/**
 * Decides when a repeat of an open alert is written: one device holding an alarm button down
 * sends thousands of readings a second, and each used to cost a database row and a broadcast to
 * every board. Repeats are counted here and written (and broadcast) at most once a second per
 * alert; what is not written yet is lost only on a crash, so the count is right to within that
 * second after a restart. Time and the timer that looks at it again are the injected clock's.
 */
export class RepeatThrottle {
  private readonly pending = new Map<string, PendingRepeats>();
  /** clock time of the last row written for an alert */
  private readonly lastWritten = new Map<string, number>();
  private timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    /** writes the pending repeats of an alert; called when they are due */
    private readonly flush: (pending: PendingRepeats) => Promise<void>,
  ) {}

  /** A row for this alert was written now (opened, repeated, acknowledged, …). */
  written(alertId: string): void {
    this.lastWritten.set(alertId, this.clock.now());
    if (this.lastWritten.size > SWEEP_ABOVE) this.sweep();
  }

  /** The alert is resolved: nothing more will be written for it. */
  forget(alertId: string): void {
    this.lastWritten.delete(alertId);
    this.pending.delete(alertId);
  }

  /** true if a repeat of this alert may be written now; otherwise count it with `hold`. */
  mayWrite(alertId: string): boolean {
    const last = this.lastWritten.get(alertId);
    return last === undefined || this.clock.now() - last >= REPEAT_WRITE_INTERVAL_MS;
  }

  /** Counts a repeat that is not written yet. */
  hold(alertId: string, key: string, lastSeenAt: number): void {
    const p = this.pending.get(alertId);
    if (p) {
      p.count++;
      p.lastSeenAt = Math.max(p.lastSeenAt, lastSeenAt);
    } else {
      this.pending.set(alertId, { alertId, key, count: 1, lastSeenAt });
    }
    this.schedule();
  }

  /** Takes the repeats not yet written (they go into the row being written now). */
  take(alertId: string): PendingRepeats | undefined {
    const p = this.pending.get(alertId);
    this.pending.delete(alertId);
    return p;
  }

  /** Repeats taken for a row that was then not written: counted again, with any held since. */
  giveBack(taken: PendingRepeats): void {
    const p = this.pending.get(taken.alertId);
    if (p) {
      p.count += taken.count;
      p.lastSeenAt = Math.max(p.lastSeenAt, taken.lastSeenAt);
    } else {
      this.pending.set(taken.alertId, { ...taken });
    }
    this.schedule();
  }

  /** The alert as it really is: the stored row plus the repeats counted since. */
  fold(alert: Alert): Alert {
    const p = this.pending.get(alert.id);
    if (!p) return alert;
    return {
      ...alert,
      repeats: alert.repeats + p.count,
      lastSeenAt: Math.max(alert.lastSeenAt, p.lastSeenAt),
    };
  }

  /** Writes everything still pending (at stop). */
  async flushAll(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await Promise.all([...this.pending.values()].map((p) => this.flush(p)));
  }

  private schedule(): void {
    if (this.timer) return;
    // The delay is when to look at the clock again; whether a repeat is due is the clock's word.
    let soonest = REPEAT_WRITE_INTERVAL_MS;
    const now = this.clock.now();
    for (const p of this.pending.values()) {
      const last = this.lastWritten.get(p.alertId) ?? now;
      soonest = Math.min(soonest, Math.max(0, last + REPEAT_WRITE_INTERVAL_MS - now));
    }
    this.timer = this.clock.setTimeout(() => this.due(), Math.max(soonest, 20)).unref();
  }

  private due(): void {
    this.timer = null;
    for (const p of [...this.pending.values()]) {
      if (this.mayWrite(p.alertId)) void this.flush(p);
    }
    if (this.pending.size > 0) this.schedule();
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, at] of this.lastWritten) {
      if (now - at >= REPEAT_WRITE_INTERVAL_MS && !this.pending.has(id)) this.lastWritten.delete(id);
    }
  }
}
