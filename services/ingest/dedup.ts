/**
 * Recognises a reading a device has sent before (a resend after an outage, or a QoS 1 duplicate).
 * A resend carries the same seq AND the same device time; a device that restarted and counts from
 * 0 again carries a new time, so it is not mistaken for a resend.
 *
 * Memory grows with the devices heard lately, not with every device ever heard: each device has
 * one fixed-size slot (84 bytes) in shared typed arrays, reused once the device has been silent
 * for longer than the resend window. A slot holds, for the last WINDOW sequence numbers up to the
 * highest seen, one byte each: 0 = not seen, else a fingerprint (1–255) of the reading's device
 * time; plus the highest seq, its device time, and when the device was last heard.
 *
 *   seq above the highest      new; the window slides up (seqs skipped are "not seen")
 *   seq inside the window      a resend if seen with the same time fingerprint, else new
 *   a lower seq, a later time  the device restarted and counts again: new, the window starts over
 *   seq below the window       new (cannot tell; a resend comes right after an outage, in order)
 *
 * A gateway sends at most 50 readings of a device in one message and one message at a time, so a
 * resent message always lies inside the 64-seq window.
 */
const WINDOW = 64;
/** bytes held per device slot: WINDOW fingerprints, highest seq and its time, last heard */
export const RESEND_SLOT_BYTES = WINDOW + 2 * 8 + 4;
const INITIAL_SLOTS = 1024;
/** bytes of a window as kept in the store: the fingerprints, then highest seq and its time */
const KEPT_BYTES = WINDOW + 16;
/** map entries looked at per call while an eviction sweep is under way */
const SWEEP_STEP = 64;

export interface ResendFilterOptions {
  /** a device silent for longer than this (ms) is forgotten; a resend after that is taken as new */
  windowMs: number;
  /** the platform's clock (receive time), for when a device was last heard */
  now: () => number;
}

export class ResendFilter {
  /** device id → slot index */
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private capacity = 0;
  private used = 0;
  private fingerprints = new Uint8Array(0);
  /** per slot: [highest seq, its device time] */
  private highest = new Float64Array(0);
  /** per slot: when last heard, seconds since `epoch` */
  private heard = new Uint32Array(0);
  private readonly epoch: number;
  private sweep: IterableIterator<[string, number]> | null = null;
  /** devices whose window changed since `takeChanged()` (for keeping them in the store) */
  private readonly changed = new Set<string>();
  private nextSweepAt: number;

  constructor(private readonly o: ResendFilterOptions) {
    this.epoch = o.now();
    this.nextSweepAt = this.epoch + this.sweepEveryMs();
  }

  /** true if this reading was seen before; otherwise remembers it */
  seen(deviceId: string, seq: number, ts: number): boolean {
    const now = this.o.now();
    this.evictSome(now);
    let slot = this.slots.get(deviceId);
    if (slot === undefined) {
      slot = this.allocate();
      this.slots.set(deviceId, slot);
      this.start(slot, seq, ts);
      this.touch(slot, now);
      this.changed.add(deviceId);
      return false;
    }
    this.touch(slot, now);
    // marked whatever the outcome: one set entry per device, however many readings it sends
    this.changed.add(deviceId);
    const fp = fingerprint(ts);
    const base = slot * WINDOW;
    const max = this.highest[slot * 2]!;
    const maxTs = this.highest[slot * 2 + 1]!;
    if (seq > max) {
      const gap = seq - max;
      if (gap >= WINDOW) this.fingerprints.fill(0, base, base + WINDOW);
      else for (let s = max + 1; s < seq; s++) this.fingerprints[base + (s % WINDOW)] = 0;
      this.fingerprints[base + (seq % WINDOW)] = fp;
      this.highest[slot * 2] = seq;
      this.highest[slot * 2 + 1] = ts;
      return false;
    }
    if (seq === max) {
      if (ts === maxTs) {
        const i = base + (seq % WINDOW);
        if (this.fingerprints[i] === fp) return true;
        // un-seen after its write failed: taken again, and remembered again
        this.fingerprints[i] = fp;
        return false;
      }
      this.start(slot, seq, ts); // the same seq at another time: counted again from here
      return false;
    }
    if (ts > maxTs) {
      // a lower seq, yet newer than the newest reading seen: the device restarted and counts again
      this.start(slot, seq, ts);
      return false;
    }
    if (max - seq >= WINDOW) return false;
    const i = base + (seq % WINDOW);
    if (this.fingerprints[i] === fp) return true;
    this.fingerprints[i] = fp;
    return false;
  }

  /** un-remembers one reading that was not taken after all, so its resend is not called a duplicate */
  unsee(deviceId: string, seq: number, ts: number): void {
    const slot = this.slots.get(deviceId);
    if (slot === undefined) return;
    const max = this.highest[slot * 2]!;
    if (seq > max || max - seq >= WINDOW) return;
    const i = slot * WINDOW + (seq % WINDOW);
    if (this.fingerprints[i] === fingerprint(ts)) {
      this.fingerprints[i] = 0;
      this.changed.add(deviceId);
    }
  }

  /**
   * The windows changed since the last call, each as its bytes (base64) and when the device was
   * last heard; the set of changed devices is emptied. O(changed devices).
   */
  takeChanged(): Array<{ deviceId: string; state: string; heardAt: number }> {
    const out: Array<{ deviceId: string; state: string; heardAt: number }> = [];
    for (const deviceId of this.changed) {
      const slot = this.slots.get(deviceId);
      if (slot === undefined) continue;
      const bytes = Buffer.alloc(KEPT_BYTES);
      bytes.set(this.fingerprints.subarray(slot * WINDOW, (slot + 1) * WINDOW), 0);
      bytes.writeDoubleLE(this.highest[slot * 2]!, WINDOW);
      bytes.writeDoubleLE(this.highest[slot * 2 + 1]!, WINDOW + 8);
      out.push({ deviceId, state: bytes.toString('base64'), heardAt: this.epoch + this.heard[slot]! * 1000 });
    }
    this.changed.clear();
    return out;
  }

  /** marks windows as changed again (their save failed) */
  markChanged(deviceIds: Iterable<string>): void {
    for (const id of deviceIds) this.changed.add(id);
  }

  /** takes back a window kept by `takeChanged()`; false (and nothing taken) when it is not one */
  restore(deviceId: string, state: string, heardAt: number): boolean {
    const bytes = Buffer.from(state, 'base64');
    if (bytes.length !== KEPT_BYTES || this.slots.has(deviceId)) return false;
    const slot = this.allocate();
    this.slots.set(deviceId, slot);
    this.fingerprints.set(bytes.subarray(0, WINDOW), slot * WINDOW);
    this.highest[slot * 2] = bytes.readDoubleLE(WINDOW);
    this.highest[slot * 2 + 1] = bytes.readDoubleLE(WINDOW + 8);
    this.touch(slot, Math.max(this.epoch, heardAt));
    return true;
  }

  forget(deviceId: string): void {
    const slot = this.slots.get(deviceId);
    if (slot === undefined) return;
    this.slots.delete(deviceId);
    this.release(slot);
  }

  /** How much is held, counted from the structures themselves. */
  stats(): { devices: number; slots: number; bytes: number } {
    return {
      devices: this.slots.size,
      slots: this.capacity,
      bytes: this.fingerprints.byteLength + this.highest.byteLength + this.heard.byteLength,
    };
  }

  private start(slot: number, seq: number, ts: number): void {
    const base = slot * WINDOW;
    this.fingerprints.fill(0, base, base + WINDOW);
    this.fingerprints[base + (seq % WINDOW)] = fingerprint(ts);
    this.highest[slot * 2] = seq;
    this.highest[slot * 2 + 1] = ts;
  }

  private touch(slot: number, now: number): void {
    this.heard[slot] = Math.max(0, Math.floor((now - this.epoch) / 1000));
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    // grown by a quarter, so at most a fifth of the slots stand empty after growing
    if (this.used === this.capacity) this.grow(Math.max(INITIAL_SLOTS, Math.ceil(this.capacity * 1.25)));
    return this.used++;
  }

  private release(slot: number): void {
    this.fingerprints.fill(0, slot * WINDOW, (slot + 1) * WINDOW);
    this.free.push(slot);
  }

  private grow(capacity: number): void {
    const fingerprints = new Uint8Array(capacity * WINDOW);
    fingerprints.set(this.fingerprints);
    const highest = new Float64Array(capacity * 2);
    highest.set(this.highest);
    const heard = new Uint32Array(capacity);
    heard.set(this.heard);
    this.fingerprints = fingerprints;
    this.highest = highest;
    this.heard = heard;
    this.capacity = capacity;
  }

  private sweepEveryMs(): number {
    return Math.max(1000, this.o.windowMs / 4);
  }

  /** Forgets devices silent for longer than the window, a few per call, never all at once. */
  private evictSome(now: number): void {
    if (this.sweep === null) {
      if (now < this.nextSweepAt) return;
      this.sweep = this.slots.entries();
    }
    const silentSince = Math.floor((now - this.o.windowMs - this.epoch) / 1000);
    for (let n = 0; n < SWEEP_STEP; n++) {
      const next = this.sweep.next();
      if (next.done) {
        this.sweep = null;
        this.nextSweepAt = now + this.sweepEveryMs();
        return;
      }
      const [deviceId, slot] = next.value;
      if (this.heard[slot]! < silentSince) {
        this.slots.delete(deviceId);
        this.release(slot);
      }
    }
  }
}

/** 1–255 from a device time: 0 is kept for "not seen". */
function fingerprint(ts: number): number {
  const lo = (ts % 4294967296) | 0;
  const hi = (ts / 4294967296) | 0;
  const h = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) >>> 0;
  return (h % 255) + 1;
}
