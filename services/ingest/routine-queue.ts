/**
 * Routine readings wait their turn here, so an alarm never waits behind them (issue 12 point 3).
 *
 * The broker hands every reading over in the turn of the event loop that read its packet; judged
 * there, a burst of routine readings (motion, doors, temperature from hundreds of devices) is judged,
 * spooled and run through the rules in the same turn, and an alarm button's packet, read later in
 * that turn or in the next, waits for all of it. Here a routine message is only queued when it
 * arrives; it is judged in slices of at most `sliceMs` of work per turn (`setImmediate`), so the loop
 * polls its sockets between slices and an alarm's packet is read, judged and raised after at most one
 * slice. Messages of alarm devices do not queue (`Ingest.handleReadings`).
 *
 * What a PUBACK means does not change: a queued message's promise says durable only once it was
 * judged and its readings made durable, as before; until then the device gets no PUBACK, and aedes
 * reads little more of it (see `broker/read-gate.ts`), so the queue is bounded by about one socket
 * read per device. Order
 * is kept: messages are judged in the order they arrived, and a device's queued messages are
 * judged before any later message of it that skips the queue (`catchUp`). Nothing queued is
 * acknowledged, so a kill -9 loses nothing: the devices send it again.
 */

import { DEFAULT_SLICE_MS, SliceQueue, slicesOfTime } from '../runtime/index.ts';

/** Default longest slice of routine judging per turn of the event loop, ms. */
export const DEFAULT_ROUTINE_SLICE_MS = DEFAULT_SLICE_MS;

/** judges one message now; resolves when it may be acknowledged (never rejects) */
export type JudgeMessage = (homeId: string, deviceId: string, payload: Buffer) => Promise<boolean>;

/** told once whether a message may be acknowledged */
export type Settled = (durable: boolean) => void;

interface Queued {
  homeId: string;
  deviceId: string;
  payload: Buffer;
  settle: Settled;
}

export class RoutineQueue {
  private readonly queue: SliceQueue<Queued>;
  private closed = false;
  /** queued messages per device, so a message that skips the queue can judge its device's first */
  private readonly queuedBy = new Map<string, number>();

  /**
   * @param judge judges one message at once (the same judging as without the queue)
   * @param sliceMs the longest slice of judging per turn: at least one message is judged per turn
   * @param now the time the slices are measured with (real time: it measures the event loop)
   */
  constructor(
    private readonly judge: JudgeMessage,
    sliceMs: number = DEFAULT_ROUTINE_SLICE_MS,
    now: () => number = () => performance.now(),
  ) {
    // the clock is read every few messages: a message costs tens of microseconds
    this.queue = new SliceQueue((entry) => this.run(entry), slicesOfTime(sliceMs, now, 4));
  }

  /** queues a message; resolves as `judge` would, once it was judged in its turn */
  enqueue(homeId: string, deviceId: string, payload: Buffer): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.enqueueTo(homeId, deviceId, payload, resolve));
  }

  /**
   * Queues a message; `settle` is told what `judge`'s promise says, once it was judged in its turn
   * (the broker's path: no promise per message). At once with false when the queue is closed.
   */
  enqueueTo(homeId: string, deviceId: string, payload: Buffer, settle: Settled): void {
    if (this.closed) {
      settle(false);
      return;
    }
    this.queuedBy.set(deviceId, (this.queuedBy.get(deviceId) ?? 0) + 1);
    this.queue.push({ homeId, deviceId, payload, settle });
  }

  /** messages waiting to be judged */
  get waiting(): number {
    return this.queue.waiting;
  }

  /** whether a message of this device waits to be judged */
  holds(deviceId: string): boolean {
    return this.queuedBy.has(deviceId);
  }

  /**
   * Judges this device's queued messages now, in order, ahead of everyone else's: before a later
   * message of the same device that skips the queue, so one device's readings are never reordered.
   */
  catchUp(deviceId: string): void {
    const queued = this.queuedBy.get(deviceId) ?? 0;
    for (const entry of this.queue.take((e) => e.deviceId === deviceId, queued)) this.run(entry);
  }

  /**
   * No more judging: what still waits is not acknowledged (the devices keep it and send it again).
   * Later messages are refused the same way.
   */
  close(): void {
    this.closed = true;
    for (const entry of this.queue.clear()) entry.settle(false);
    this.queuedBy.clear();
  }

  private run(entry: Queued): void {
    const n = this.queuedBy.get(entry.deviceId)! - 1;
    if (n > 0) this.queuedBy.set(entry.deviceId, n);
    else this.queuedBy.delete(entry.deviceId);
    let durable: Promise<boolean>;
    try {
      durable = this.judge(entry.homeId, entry.deviceId, entry.payload);
    } catch {
      // a bug in judging (ingest catches its own): this message is not acknowledged, the next is judged
      entry.settle(false);
      return;
    }
    durable.then(entry.settle, () => entry.settle(false));
  }
}
