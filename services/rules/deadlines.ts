import { MinHeap } from '../runtime/index.ts';

/** Something a rule may need to look at again at a given time. */
export interface Timed {
  /** the earliest time this item sits in the queue for; undefined when not queued */
  queuedAt?: number | undefined;
}

/**
 * Per-item timers in one min-heap, for rules whose state lives on an item (a device, a door
 * episode). An item has one live heap entry: when an entry comes due, the rule looks at the item's
 * state and decides to fire, to wait longer (`ensure` again) or to forget it. A deadline that moves
 * later costs nothing until the old entry comes due; one that moves earlier pushes a second entry
 * and the older one is skipped when popped, so stale entries never fire and never pile up per
 * reading. A tick costs O(due items × log n).
 */
export class DeadlineQueue<T extends Timed> {
  private readonly heap = new MinHeap<T>();

  get size(): number {
    return this.heap.size;
  }

  /** makes sure `item` is handed back no later than `due` (epoch ms) */
  ensure(item: T, due: number): void {
    if (item.queuedAt !== undefined && item.queuedAt <= due) return;
    item.queuedAt = due;
    this.heap.push(due, item);
  }

  /** forgets `item`; its heap entry is skipped when it comes due */
  forget(item: T): void {
    item.queuedAt = undefined;
  }

  /**
   * The items due at `now`, each taken out of the queue; at most `max` of them, so a burst (a
   * network outage making every device due at once) is spread over ticks instead of blocking the
   * process that must also deliver the next fall alert. The rest stay queued, oldest first.
   */
  due(now: number, max = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    for (
      let key = this.heap.peekKey();
      key !== undefined && key <= now && out.length < max;
      key = this.heap.peekKey()
    ) {
      const { value } = this.heap.pop()!;
      if (value.queuedAt !== key) continue; // moved earlier and already handed back, or forgotten
      value.queuedAt = undefined;
      out.push(value);
    }
    return out;
  }
}
