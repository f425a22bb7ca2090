/**
 * A binary min-heap of due times, so a tick looks only at what is due (rule timers, escalation
 * deadlines). Keys and values sit in two parallel arrays rather than one small object per entry:
 * with a timer per device (~1M) that is tens of MB less and less work for the garbage collector.
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, value: T): void {
    const { keys, values } = this;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  pop(): { key: number; value: T } | undefined {
    const { keys, values } = this;
    if (keys.length === 0) return undefined;
    const top = { key: keys[0]!, value: values[0]! };
    const lastKey = keys.pop()!;
    const lastValue = values.pop()!;
    const n = keys.length;
    if (n > 0) {
      // sift the last entry down from the root
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && keys[r]! < keys[l]! ? r : l;
        if (keys[m]! >= lastKey) break;
        keys[i] = keys[m]!;
        values[i] = values[m]!;
        i = m;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }
}
