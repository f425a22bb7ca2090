/**
 * Routine devices' packets are read in slices; an alarm device's at once (issue 12 point 3).
 *
 * aedes reads a client's socket when it becomes readable (and when the packets it handed out have
 * called back), parses what it read and handles every packet in it at once: for a reading, our
 * `authorizePublish` and the hand-over to ingest. So one poll of the sockets that finds a hundred
 * routine devices' packets handles all of them before the callbacks after it run, and an alarm
 * button's packet found in the same poll waits for the packets read before it (measured: the 61st of
 * 61 in `test/broker-read-gate.test.ts`).
 *
 * Here a routine device connection's read step (aedes' `nextBatch`) is not run where it is called
 * but queued, and the queue is run in slices of at most `sliceMs` per turn of the event loop
 * (`setImmediate`), so a poll only queues routine reads and the loop polls its sockets again between
 * slices. A connection that may carry an alarm (`mayCarryAlarm`: a device that declares an alarm
 * kind, a gateway of a home with one), the platform's own service accounts, and any client not yet
 * authenticated are read at once, as before.
 *
 * Nothing is lost or reordered: a deferred read is the same call, made later, exactly once, and a
 * read takes a connection's bytes from the front of its stream, so its packets are parsed in the order
 * they came whenever the reads run. A deferred read of a connection that has closed meanwhile reads
 * nothing. A read step called while the connection holds no unread bytes is made at once: it parses
 * nothing (it only tells aedes the packets in hand are done), and putting it off would cost a turn
 * of the queue per reading of every quiet device. Whether a connection may carry an alarm is asked
 * at each read, so a home that gets an alarm device has its gateway read at once from its next
 * packet on. Unread bytes stay in the socket's buffer and then the kernel's: a device that sends
 * faster than its slices allow is slowed by TCP, not by dropping anything.
 *
 * This relies on aedes 1.x's client internals: its read step is `client._nextBatch`, installed as the
 * connection's `readable` listener and passed as every packet's done callback
 * (`lib/client.js`). `gate()` checks both and leaves a client it does not recognise ungated.
 */
import { ALARM_KINDS, type SensorKind } from '../services/domain/index.ts';
import type { Registry } from '../services/registry/index.ts';
import { DEFAULT_SLICE_MS, SliceQueue, slicesOfTime } from '../services/runtime/index.ts';
import type { Identity } from './acl.ts';

/** Default longest slice of deferred routine reads per turn of the event loop, ms. */
export const DEFAULT_READ_SLICE_MS = DEFAULT_SLICE_MS;

type NextBatch = (err?: Error | null) => void;

/** The part of an aedes client this gate touches. */
export interface GateableClient {
  /** a stream: `readableLength` is what it holds unread (when it does not say, a read is put off) */
  conn: NodeJS.EventEmitter & { readableLength?: number };
  _nextBatch?: NextBatch;
}

export interface ReadGateOptions {
  /** whether this client's reads go at once (it may carry an alarm, or is not a device) */
  urgent: (client: GateableClient) => boolean;
  /** the longest slice of deferred reads per turn: at least one read is made per turn */
  sliceMs?: number;
  /** the time slices are measured with (real time: it measures the event loop) */
  now?: () => number;
  /** told of every deferred read (a metric) */
  counted?: { inc(): void };
}

export class ReadGate {
  private readonly queue: SliceQueue<NextBatch>;
  private closed = false;

  constructor(private readonly o: ReadGateOptions) {
    // aedes' read step reports its own errors on the client; one throwing must not stop the rest
    this.queue = new SliceQueue(
      (read) => read(),
      slicesOfTime(o.sliceMs ?? DEFAULT_READ_SLICE_MS, o.now ?? (() => performance.now()), 2),
    );
  }

  /**
   * Puts the client's reads behind the gate. Call once per client, as soon as it is created (before
   * its first packet is handled). Returns false, and leaves the client as it was, when it does not
   * look like an aedes 1.x client.
   */
  gate(client: GateableClient): boolean {
    const read = client._nextBatch;
    if (typeof read !== 'function' || !client.conn.listeners('readable').includes(read)) return false;
    // assigned where it is made, not named by a `const`: under tsx (esbuild's keepNames) a named
    // closure is given its name by a defineProperty each time it is made, here on every connect
    client._nextBatch = (err) => {
      // an error, a closed gate or a client that may alarm: straight through, as aedes would
      if (err || this.closed || this.o.urgent(client)) return read(err);
      // Nothing unread: the read would parse nothing, only count the packet aedes had in hand as
      // done, so it is made now. Bytes that come later make the stream `readable`, and that read is
      // put off as any other. (After each reading of a device that sends now and then, which is
      // most devices, there is nothing to read: no turn of the queue for it.)
      if (client.conn.readableLength === 0) return read();
      this.defer(read);
    };
    client.conn.removeListener('readable', read);
    client.conn.on('readable', client._nextBatch);
    return true;
  }

  /** reads waiting for their turn */
  get waiting(): number {
    return this.queue.waiting;
  }

  /** Reads everything still deferred now, and lets every later read through at once. */
  close(): void {
    this.closed = true;
    for (const read of this.queue.clear()) read();
  }

  private defer(read: NextBatch): void {
    this.o.counted?.inc();
    this.queue.push(read);
  }
}

/**
 * Whether a connection's packets may carry an alarm, so are read at once: a device that declares an
 * alarm kind, a gateway whose home has such a device, and every client that is not a device (the
 * platform's service accounts) or not authenticated yet.
 */
export function mayCarryAlarm(identity: Identity | undefined, registry: Registry): boolean {
  if (identity?.kind !== 'device') return true;
  if (identity.role === 'gateway') {
    for (const device of registry.devicesOfHome(identity.homeId))
      if (declaresAlarm(device.kinds)) return true;
    return false;
  }
  return declaresAlarm(registry.device(identity.deviceId)?.kinds);
}

function declaresAlarm(kinds: readonly SensorKind[] | undefined): boolean {
  if (kinds) for (const kind of kinds) if (ALARM_KINDS.has(kind)) return true;
  return false;
}
