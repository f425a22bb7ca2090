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
/**
 * PUBACKs per turn by default: one turn then carries at most this many readings' next packets
 * (a few milliseconds of work), while devices' in-flight windows keep moving; 32 cost throughput in
 * the bench's throughput row (docs/performance.md).
 */
export const DEFAULT_ACK_SLICE = 128;

export class AckPacer {
  private readonly queue: Array<(ok: boolean) => void> = [];
  /** what each queued acknowledgement is told: durable (PUBACK) or not (refused) */
  private readonly oks: boolean[] = [];
  /** where the next release starts in `queue` (the array is compacted once it is drained) */
  private head = 0;
  private scheduled = false;

  /**
   * @param slice acknowledgements released per turn of the event loop (at least 1)
   * @param failed told when an acknowledgement throws (a bug): the others are still released
   */
  constructor(
    private readonly slice: number,
    private readonly failed: (err: unknown) => void = () => {},
  ) {
    if (!(slice >= 1)) throw new Error('an acknowledgement slice must be at least 1');
  }

  /**
   * releases `ack` after every acknowledgement queued before it, within a turn or a few; it is
   * called with `ok` (so one function per device connection can serve both outcomes)
   */
  release(ack: (ok: boolean) => void, ok = true): void {
    this.queue.push(ack);
    this.oks.push(ok);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** acknowledgements waiting for their turn */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private readonly drain = (): void => {
    const end = Math.min(this.queue.length, this.head + this.slice);
    while (this.head < end) {
      const ack = this.queue[this.head]!;
      const ok = this.oks[this.head]!;
      this.queue[this.head++] = noop;
      try {
        ack(ok);
      } catch (err) {
        // one acknowledgement's failure must not hold back the others
        this.failed(err);
      }
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.oks.length = 0;
      this.head = 0;
      this.scheduled = false;
      return;
    }
    // never drained under a steady stream: drop what was released, now and then
    if (this.head >= 4096) {
      this.queue.splice(0, this.head);
      this.oks.splice(0, this.head);
      this.head = 0;
    }
    setImmediate(this.drain);
  };
}

const noop = () => {};
