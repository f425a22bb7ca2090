/**
 * Routine devices' packets are read in slices; an alarm device's at once (issue 12 point 3).
 *
 * aedes reads a client's socket, parses what it read and handles every packet in it (for a reading:
 * our `authorizePublish`, the hand-over to ingest) in one go, and it does so each time the last
 * packet it handled calls back. For a reading that is when its PUBACK goes out, so every slice of
 * PUBACKs (`AckPacer`) also reads, parses and hands over those devices' next packets: 128 PUBACKs
 * start up to 128 devices' in-flight windows of work in the same turn of the event loop. An alarm
 * button's packet, arriving meanwhile, is read only at the next poll of the sockets: after all of it.
 *
 * Here the read that follows (aedes' `nextBatch`, on `readable` and after each handled packet) is
 * deferred for a routine device's connection: queued, in order, and run in slices of at most
 * `sliceMs` per turn of the event loop (`setImmediate`), so the loop polls its sockets between
 * slices. A connection that may carry an alarm (a device that declares an alarm kind, a gateway of
 * a home with one), the platform's own service accounts, and any client not yet authenticated
 * read at once, as before.
 *
 * Nothing is lost or reordered: a deferred read is the same call, made later, exactly once, and
 * one connection's reads stay in order (one queue). A deferred read of a connection that has closed
 * meanwhile reads nothing. Whether a connection may alarm is asked at each read, so a device whose
 * kinds change is read accordingly from its next packet on.
 *
 * This relies on aedes 1.x's client internals: its read step is `client._nextBatch`, installed as the
 * connection's `readable` listener and passed as every packet's done callback
 * (`lib/client.js`). `gate()` checks both and leaves a client it does not recognise ungated.
 */

/** Default longest slice of deferred routine reads per turn of the event loop, ms. */
export const DEFAULT_READ_SLICE_MS = 1;

type NextBatch = (err?: Error | null) => void;

/** The part of an aedes client this gate touches. */
export interface GateableClient {
  conn: NodeJS.EventEmitter;
  _nextBatch?: NextBatch;
}

export class ReadGate {
  private queue: Array<NextBatch | null> = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private deferredReads = 0;

  /**
   * @param urgent whether this client's reads go at once (it may carry an alarm, or is not a device)
   * @param sliceMs the longest slice of deferred reads per turn: at least one read is made per turn
   * @param now the time slices are measured with (real time: it measures the event loop)
   */
  constructor(
    private readonly urgent: (client: GateableClient) => boolean,
    private readonly sliceMs: number = DEFAULT_READ_SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Puts the client's reads behind the gate. Call once per client, as soon as it is created (before
   * its first packet is handled). Returns false, and leaves the client as it was, when it does not
   * look like an aedes 1.x client.
   */
  gate(client: GateableClient): boolean {
    const read = client._nextBatch;
    if (typeof read !== 'function' || !client.conn.listeners('readable').includes(read)) return false;
    const gated: NextBatch = (err) => {
      // an error, a closed gate or a client that may alarm: straight through, as aedes would
      if (err || this.closed || this.urgent(client)) return read(err);
      this.defer(read);
    };
    client._nextBatch = gated;
    client.conn.removeListener('readable', read);
    client.conn.on('readable', gated);
    return true;
  }

  /** reads waiting for their turn */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** reads deferred so far (a counter for metrics) */
  get deferred(): number {
    return this.deferredReads;
  }

  /** Reads everything still deferred now, and lets every later read through at once. */
  close(): void {
    this.closed = true;
    const pending = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const read of pending) read?.();
  }

  private defer(read: NextBatch): void {
    this.deferredReads++;
    this.queue.push(read);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    if (this.closed) return;
    const end = this.now() + this.sliceMs;
    let made = 0;
    while (this.head < this.queue.length) {
      const read = this.queue[this.head]!;
      this.queue[this.head++] = null;
      try {
        read?.();
      } catch {
        // aedes' read step reports its own errors on the client; one throwing must not stop the rest
      }
      // the clock is read every other read: one read handles a few packets, tens of microseconds each
      if ((++made & 1) === 0 && this.now() >= end) break;
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
      return;
    }
    // never drained under a steady stream: drop what was read, now and then
    if (this.head >= 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    setImmediate(this.drain);
  };
}
