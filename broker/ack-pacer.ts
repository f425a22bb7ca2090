/**
 * Releases held PUBACKs a slice at a time, so one fsync cannot become one long turn of the event loop.
 *
 * Readings wait for their PUBACK until the spool's group commit (one `fdatasync` for everything that
 * arrived meanwhile). When it lands, every waiting device is acknowledged at once, and each
 * acknowledgement makes aedes read that device's next packets, which are judged, spooled and handed
 * to the rules: with hundreds of devices, one commit would start hundreds of readings' work in the
 * same turn, and a pressed alarm button arriving meanwhile would wait behind all of it before it is
 * even read. Here acknowledgements are released in order, at most `slice` per turn of the event
 * loop (`setImmediate`), so the loop polls its sockets between slices and an alarm is read and
 * raised after at most one slice of routine work.
 *
 * Nothing changes about what an acknowledgement means: it is released only after the reading is
 * durable, in the order the readings became durable (per device too), and a refusal goes through
 * the same queue, so its order is kept as well. What is queued is released at the latest after
 * `queued / slice` turns; a stopped broker's sockets are closed by aedes, whose callbacks then write
 * nothing.
 */
import { SliceQueue, slicesOf } from '../services/runtime/index.ts';

/**
 * PUBACKs per turn by default: one turn then carries at most this many readings' next packets
 * (a few milliseconds of work), while devices' in-flight windows keep moving; 32 cost throughput in
 * the bench's throughput row (docs/performance.md).
 */
export const DEFAULT_ACK_SLICE = 128;

export class AckPacer {
  private readonly queue: SliceQueue<(ok: boolean) => void>;

  /**
   * @param slice acknowledgements released per turn of the event loop (at least 1)
   * @param failed told when an acknowledgement throws (a bug): the others are still released
   */
  constructor(slice: number, failed: (err: unknown) => void = () => {}) {
    if (!(slice >= 1)) throw new Error('an acknowledgement slice must be at least 1');
    this.queue = new SliceQueue((ack) => ack(true), slicesOf(slice), failed);
  }

  /**
   * releases `ack` after every acknowledgement queued before it, within a turn or a few; it is
   * called with `ok` (so one function per device connection can serve both outcomes)
   */
  release(ack: (ok: boolean) => void, ok = true): void {
    // a refusal (rare) is the one that costs a closure
    this.queue.push(ok ? ack : () => ack(false));
  }

  /** acknowledgements waiting for their turn */
  get waiting(): number {
    return this.queue.waiting;
  }
}
