/**
 * A first-in first-out queue worked off a slice per turn of the event loop (`setImmediate` between
 * slices), so the loop polls its sockets between slices: what the broker's PUBACK pacer, ingest's
 * routine queue and the broker's read gate share. What a slice may do is the caller's (`slices`):
 * a count, or a time.
 *
 * Items run in the order they were pushed, each exactly once, unless `take` removed it (to run it
 * out of turn) or `clear` did (at a stop). An item whose run throws is reported and the next runs.
 */
export class SliceQueue<T> {
  private items: Array<T | null> = [];
  private head = 0;
  private scheduled = false;

  /**
   * @param run runs one item
   * @param slices called as a slice starts; answers, after each item run with how many ran in this
   *   slice, whether the slice is over (at least one item runs per slice)
   * @param failed told when an item's run throws (a bug): the next still runs
   */
  constructor(
    private readonly run: (item: T) => void,
    private readonly slices: () => (ran: number) => boolean,
    private readonly failed: (err: unknown) => void = () => {},
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** items waiting for their turn (those taken out of turn included until their slot is passed) */
  get waiting(): number {
    return this.items.length - this.head;
  }

  /** Takes out, in order, at most `max` of the waiting items `which` picks (they will not run here). */
  take(which: (item: T) => boolean, max = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.items.length && out.length < max; i++) {
      const item = this.items[i];
      if (item === null || item === undefined || !which(item)) continue;
      this.items[i] = null;
      out.push(item);
    }
    return out;
  }

  /** Empties the queue; returns what was still waiting, in order (nothing of it will run here). */
  clear(): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item !== null && item !== undefined) out.push(item);
    }
    this.items = [];
    this.head = 0;
    return out;
  }

  private readonly drain = (): void => {
    const over = this.slices();
    let ran = 0;
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      this.items[this.head++] = null;
      if (item === null || item === undefined) continue;
      try {
        this.run(item);
      } catch (err) {
        this.failed(err);
      }
      if (over(++ran)) break;
    }
    if (this.head >= this.items.length) {
      this.items.length = 0;
      this.head = 0;
      this.scheduled = false;
      return;
    }
    // never drained under a steady stream: drop what already ran, now and then
    if (this.head >= 4096) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    setImmediate(this.drain);
  };
}

/**
 * Default longest slice of routine work per turn of the event loop, ms: the broker's read gate and
 * ingest's routine queue (`MQTT_READ_SLICE_MS`, `INGEST_ROUTINE_SLICE_MS`). An alarm arriving while
 * the loop works off a slice waits for it; in the bench, with presses at random moments, 0.25 ms
 * against 1 ms took the wait from press to rule (p99) from 5.5–6.6 to 2.6–4.6 ms at the same
 * throughput (docs/performance.md).
 */
export const DEFAULT_SLICE_MS = 0.25;

/**
 * Slices of at most `ms` of work, by `now` (read every `every` items: an item costs microseconds to
 * tens of microseconds).
 */
export function slicesOfTime(ms: number, now: () => number = () => performance.now(), every = 2) {
  return () => {
    const end = now() + ms;
    return (ran: number) => ran % every === 0 && now() >= end;
  };
}

/** Slices of at most `n` items. */
export function slicesOf(n: number) {
  return () => (ran: number) => ran >= n;
}
