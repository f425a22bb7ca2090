import { DeviceSlots, SLOT_PAGE, SLOT_PAGE_BITS } from './device-slots.ts';

/**
 * Recognises a reading a device has sent before (a resend after an outage, or a QoS 1 duplicate).
 * A resend carries the same seq AND the same device time; a device that restarted and counts from
 * 0 again carries a new time, so it is not mistaken for a resend.
 *
 * Memory grows with the devices heard lately, not with every device ever heard: each device has
 * one fixed-size slot (84 bytes) in typed arrays, reused once the device has been silent for
 * longer than the resend window. A slot holds, for the last WINDOW sequence numbers up to the
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
 *
 * Issue 12 point 6 (~100 bytes per device heard): a device's slot is found through `DeviceSlots`
 * (a table of slot numbers keyed by the caller's own id strings, ~14 bytes a device with the
 * reference to its id) rather than a `Map`, and "changed since the last save" is one bit per slot
 * rather than a `Set` entry. The slots grow a page (`SLOT_PAGE`) at a time, never copied, so at
 * most one page stands empty. Nothing is held per provisioned device that was not heard.
 */
const WINDOW = 64;
/** bytes of one device's window: WINDOW fingerprints, highest seq and its time, last heard */
export const RESEND_SLOT_BYTES = WINDOW + 2 * 8 + 4;
/** bytes of a window as kept in the store: the fingerprints, then highest seq and its time */
const KEPT_BYTES = WINDOW + 16;
/** slots looked at per call while an eviction sweep is under way */
const SWEEP_STEP = 64;
const SLOT_MASK = SLOT_PAGE - 1;

export interface ResendFilterOptions {
  /** a device silent for longer than this (ms) is forgotten; a resend after that is taken as new */
  windowMs: number;
  /** the platform's clock (receive time), for when a device was last heard */
  now: () => number;
}

/** the windows of SLOT_PAGE slots */
interface WindowPage {
  fingerprints: Uint8Array;
  /** per slot: [highest seq, its device time] */
  highest: Float64Array;
  /** per slot: when last heard, seconds since the filter's epoch */
  heard: Uint32Array;
  /** one bit per slot: its window changed since `takeChanged()` (for keeping it in the store) */
  changed: Uint32Array;
}

export class ResendFilter {
  private readonly slots = new DeviceSlots();
  private readonly pages: WindowPage[] = [];
  private readonly epoch: number;
  /** the next slot the eviction sweep looks at; -1 when no sweep is under way */
  private sweepAt = -1;
  private nextSweepAt: number;

  constructor(private readonly o: ResendFilterOptions) {
    this.epoch = o.now();
    this.nextSweepAt = this.epoch + this.sweepEveryMs();
  }

  /**
   * true if this reading was seen before; otherwise remembers it. `deviceId` should be the
   * registry's own string (`device.id`): the filter keeps a reference to it, not a copy.
   */
  seen(deviceId: string, seq: number, ts: number): boolean {
    const now = this.o.now();
    this.evictSome(now);
    let slot = this.slots.find(deviceId);
    if (slot < 0) {
      slot = this.allocate(deviceId);
      this.start(slot, seq, ts);
      this.touch(slot, now);
      this.markSlot(slot);
      return false;
    }
    this.touch(slot, now);
    // marked whatever the outcome: one bit per device, however many readings it sends
    this.markSlot(slot);
    const page = this.pages[slot >>> SLOT_PAGE_BITS]!;
    const at = slot & SLOT_MASK;
    const fingerprints = page.fingerprints;
    const fp = fingerprint(ts);
    const base = at * WINDOW;
    const max = page.highest[at * 2]!;
    const maxTs = page.highest[at * 2 + 1]!;
    if (seq > max) {
      const gap = seq - max;
      if (gap >= WINDOW) fingerprints.fill(0, base, base + WINDOW);
      else for (let s = max + 1; s < seq; s++) fingerprints[base + (s % WINDOW)] = 0;
      fingerprints[base + (seq % WINDOW)] = fp;
      page.highest[at * 2] = seq;
      page.highest[at * 2 + 1] = ts;
      return false;
    }
    if (seq === max) {
      if (ts === maxTs) {
        const i = base + (seq % WINDOW);
        if (fingerprints[i] === fp) return true;
        // un-seen after its write failed: taken again, and remembered again
        fingerprints[i] = fp;
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
    if (fingerprints[i] === fp) return true;
    fingerprints[i] = fp;
    return false;
  }

  /** un-remembers one reading that was not taken after all, so its resend is not called a duplicate */
  unsee(deviceId: string, seq: number, ts: number): void {
    const slot = this.slots.find(deviceId);
    if (slot < 0) return;
    const page = this.pages[slot >>> SLOT_PAGE_BITS]!;
    const at = slot & SLOT_MASK;
    const max = page.highest[at * 2]!;
    if (seq > max || max - seq >= WINDOW) return;
    const i = at * WINDOW + (seq % WINDOW);
    if (page.fingerprints[i] === fingerprint(ts)) {
      page.fingerprints[i] = 0;
      this.markSlot(slot);
    }
  }

  /**
   * The windows changed since the last call, each as its bytes (base64) and when the device was
   * last heard; the changed bits are cleared. O(changed devices + slots / 32).
   */
  takeChanged(): Array<{ deviceId: string; state: string; heardAt: number }> {
    const out: Array<{ deviceId: string; state: string; heardAt: number }> = [];
    for (let p = 0; p < this.pages.length; p++) {
      const page = this.pages[p]!;
      const bits = page.changed;
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w]!;
        if (word === 0) continue;
        bits[w] = 0;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word &= word - 1;
          const at = w * 32 + bit;
          const deviceId = this.slots.owner(p * SLOT_PAGE + at);
          if (deviceId === undefined) continue;
          const bytes = Buffer.alloc(KEPT_BYTES);
          bytes.set(page.fingerprints.subarray(at * WINDOW, (at + 1) * WINDOW), 0);
          bytes.writeDoubleLE(page.highest[at * 2]!, WINDOW);
          bytes.writeDoubleLE(page.highest[at * 2 + 1]!, WINDOW + 8);
          out.push({
            deviceId,
            state: bytes.toString('base64'),
            heardAt: this.epoch + page.heard[at]! * 1000,
          });
        }
      }
    }
    return out;
  }

  /** marks windows as changed again (their save failed) */
  markChanged(deviceIds: Iterable<string>): void {
    for (const id of deviceIds) {
      const slot = this.slots.find(id);
      if (slot >= 0) this.markSlot(slot);
    }
  }

  /**
   * Takes back a window kept by `takeChanged()`; false (and nothing taken) when it is not one.
   * As in `seen`, `deviceId` should be the registry's own string.
   */
  restore(deviceId: string, state: string, heardAt: number): boolean {
    const bytes = Buffer.from(state, 'base64');
    if (bytes.length !== KEPT_BYTES || this.slots.find(deviceId) >= 0) return false;
    const slot = this.allocate(deviceId);
    const page = this.pages[slot >>> SLOT_PAGE_BITS]!;
    const at = slot & SLOT_MASK;
    page.fingerprints.set(bytes.subarray(0, WINDOW), at * WINDOW);
    page.highest[at * 2] = bytes.readDoubleLE(WINDOW);
    page.highest[at * 2 + 1] = bytes.readDoubleLE(WINDOW + 8);
    this.touch(slot, Math.max(this.epoch, heardAt));
    return true;
  }

  forget(deviceId: string): void {
    const slot = this.slots.find(deviceId);
    if (slot >= 0) this.release(slot);
  }

  /**
   * How much is held, counted from the structures themselves: the windows' typed arrays, the
   * slot table, and 8 bytes per slot for the reference to its id (the ids are the caller's).
   */
  stats(): { devices: number; slots: number; bytes: number } {
    let bytes = this.slots.bytes;
    for (const page of this.pages)
      bytes +=
        page.fingerprints.byteLength +
        page.highest.byteLength +
        page.heard.byteLength +
        page.changed.byteLength;
    return { devices: this.slots.size, slots: this.slots.capacity, bytes };
  }

  private start(slot: number, seq: number, ts: number): void {
    const page = this.pages[slot >>> SLOT_PAGE_BITS]!;
    const at = slot & SLOT_MASK;
    const base = at * WINDOW;
    page.fingerprints.fill(0, base, base + WINDOW);
    page.fingerprints[base + (seq % WINDOW)] = fingerprint(ts);
    page.highest[at * 2] = seq;
    page.highest[at * 2 + 1] = ts;
  }

  private touch(slot: number, now: number): void {
    this.pages[slot >>> SLOT_PAGE_BITS]!.heard[slot & SLOT_MASK] = Math.max(
      0,
      Math.floor((now - this.epoch) / 1000),
    );
  }

  private markSlot(slot: number): void {
    const at = slot & SLOT_MASK;
    this.pages[slot >>> SLOT_PAGE_BITS]!.changed[at >>> 5]! |= 1 << (at & 31);
  }

  private allocate(deviceId: string): number {
    const slot = this.slots.add(deviceId);
    if (slot >>> SLOT_PAGE_BITS === this.pages.length)
      this.pages.push({
        fingerprints: new Uint8Array(SLOT_PAGE * WINDOW),
        highest: new Float64Array(SLOT_PAGE * 2),
        heard: new Uint32Array(SLOT_PAGE),
        changed: new Uint32Array(SLOT_PAGE / 32),
      });
    return slot;
  }

  /** frees a slot: its window is cleared, and a change not yet saved is dropped (as the device is) */
  private release(slot: number): void {
    const page = this.pages[slot >>> SLOT_PAGE_BITS]!;
    const at = slot & SLOT_MASK;
    page.fingerprints.fill(0, at * WINDOW, (at + 1) * WINDOW);
    page.changed[at >>> 5]! &= ~(1 << (at & 31));
    this.slots.remove(slot);
  }

  private sweepEveryMs(): number {
    return Math.max(1000, this.o.windowMs / 4);
  }

  /** Forgets devices silent for longer than the window, a few slots per call, never all at once. */
  private evictSome(now: number): void {
    if (this.sweepAt < 0) {
      if (now < this.nextSweepAt) return;
      this.sweepAt = 0;
    }
    const silentSince = Math.floor((now - this.o.windowMs - this.epoch) / 1000);
    const end = Math.min(this.sweepAt + SWEEP_STEP, this.slots.highWater);
    for (let slot = this.sweepAt; slot < end; slot++) {
      if (this.slots.owner(slot) === undefined) continue;
      if (this.pages[slot >>> SLOT_PAGE_BITS]!.heard[slot & SLOT_MASK]! < silentSince) this.release(slot);
    }
    if (end < this.slots.highWater) {
      this.sweepAt = end;
      return;
    }
    this.sweepAt = -1;
    this.nextSweepAt = now + this.sweepEveryMs();
  }
}

/** 1–255 from a device time: 0 is kept for "not seen". */
function fingerprint(ts: number): number {
  const lo = (ts % 4294967296) | 0;
  const hi = (ts / 4294967296) | 0;
  const h = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) >>> 0;
  return (h % 255) + 1;
}
