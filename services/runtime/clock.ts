/** A scheduled call, from `Clock.setTimeout` or `Clock.setInterval`. */
export interface Timer {
  /** the call will not happen (again); safe to call twice, or after a timeout fired */
  cancel(): void;
  /** does not keep the process alive on its own (the system clock's `unref`); a no-op elsewhere */
  unref(): Timer;
}

/**
 * Time comes from a clock that tests can control, so a 30-minute rule tests in milliseconds. The
 * clock also schedules: a periodic job runs on the clock that gives it its time, so a test moves
 * time and the job runs, without sleeping. Delays are in ms; below 1 ms counts as 1 ms, as in Node.
 */
export interface Clock {
  now(): number;
  /**
   * ms on a scale that never jumps, for how late a timer of this clock runs: the system clock's is
   * `performance.now()` (a wall-clock step must not look like a late tick); a ManualClock's is its time
   */
  monotonic(): number;
  /** calls `fn` once, `ms` from now */
  setTimeout(fn: () => void, ms: number): Timer;
  /** calls `fn` every `ms` from now on, until cancelled */
  setInterval(fn: () => void, ms: number): Timer;
}

function nodeTimer(handle: NodeJS.Timeout, clear: (h: NodeJS.Timeout) => void): Timer {
  const timer: Timer = {
    cancel: () => clear(handle),
    unref: () => {
      handle.unref();
      return timer;
    },
  };
  return timer;
}

/** Real time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => nodeTimer(setTimeout(fn, ms), clearTimeout),
  setInterval: (fn, ms) => nodeTimer(setInterval(fn, ms), clearInterval),
};

interface Scheduled {
  at: number;
  /** order of scheduling: timers due at the same time fire in the order they were set, as in Node */
  seq: number;
  fn: () => void;
  /** the period of an interval; 0 for a timeout */
  every: number;
  cancelled: boolean;
}

/** one turn of the event loop: promise chains started by a timer settle before the next one fires */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const delayOf = (ms: number) => (Number.isFinite(ms) && ms >= 1 ? ms : 1);

/**
 * A clock tests move by hand. Its timers fire only when it is moved, synchronously, in time order
 * (same time: in the order they were set), the clock reading each timer's own due time while it
 * runs. Two ways to move it:
 * - `advance(ms)` is time passing: every timer due on the way fires, intervals once per period,
 *   timers set by timers included when they fall due within the step.
 * - `set(t)` is a jump (a wall-clock step, a machine waking up): each timer overdue at `t` fires
 *   once, at `t`, and an interval goes on from `t`, as Node's timers do after a blocked event loop.
 *   Moving back fires nothing.
 * `advanceAsync`/`setAsync` do the same but wait one event-loop turn after each firing, so the
 * promise chains a timer starts (a store write, an escalation) settle before the next timer fires.
 */
export class ManualClock implements Clock {
  private readonly timers: Scheduled[] = [];
  private seq = 0;

  constructor(private t: number = Date.UTC(2026, 0, 5, 9, 0, 0)) {}

  now(): number {
    return this.t;
  }

  monotonic(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule(fn, delayOf(ms), 0);
  }

  setInterval(fn: () => void, ms: number): Timer {
    const every = delayOf(ms);
    return this.schedule(fn, every, every);
  }

  /** timers waiting to fire */
  get pending(): number {
    return this.timers.length;
  }

  /** when the next timer is due, or undefined when none waits */
  nextDue(): number | undefined {
    return this.timers[0]?.at;
  }

  /** a jump to `t`: overdue timers fire once each (see the class comment); returns the new time */
  set(t: number | Date): number {
    const to = typeof t === 'number' ? t : t.getTime();
    for (const due of this.jump(to)) this.fire(due, to);
    this.t = to;
    return this.t;
  }

  /** time passes by `ms`: every timer due on the way fires; returns the new time */
  advance(ms: number): number {
    const to = this.t + ms;
    for (let next = this.takeDue(to); next; next = this.takeDue(to)) this.fire(next, next.at);
    this.t = to;
    return this.t;
  }

  /** like `advance`, waiting one event-loop turn after each timer fired (and once at the end) */
  async advanceAsync(ms: number): Promise<number> {
    const to = this.t + ms;
    for (let next = this.takeDue(to); next; next = this.takeDue(to)) {
      this.fire(next, next.at);
      await nextTurn();
    }
    this.t = to;
    await nextTurn();
    return this.t;
  }

  /** like `set`, waiting one event-loop turn after each timer fired (and once at the end) */
  async setAsync(t: number | Date): Promise<number> {
    const to = typeof t === 'number' ? t : t.getTime();
    for (const due of this.jump(to)) {
      this.fire(due, to);
      await nextTurn();
    }
    this.t = to;
    await nextTurn();
    return this.t;
  }

  private schedule(fn: () => void, delay: number, every: number): Timer {
    const entry: Scheduled = { at: this.t + delay, seq: this.seq++, fn, every, cancelled: false };
    this.insert(entry);
    const timer: Timer = {
      cancel: () => {
        entry.cancelled = true;
        const i = this.timers.indexOf(entry);
        if (i >= 0) this.timers.splice(i, 1);
      },
      unref: () => timer,
    };
    return timer;
  }

  /** kept sorted by (at, seq); tests hold a handful of timers, so a sorted array is enough */
  private insert(entry: Scheduled): void {
    let i = this.timers.length;
    while (i > 0) {
      const before = this.timers[i - 1]!;
      if (before.at < entry.at || (before.at === entry.at && before.seq < entry.seq)) break;
      i--;
    }
    this.timers.splice(i, 0, entry);
  }

  private takeDue(to: number): Scheduled | undefined {
    const first = this.timers[0];
    if (!first || first.at > to) return undefined;
    this.timers.shift();
    return first;
  }

  /** the timers overdue at `to`, taken out in firing order (a jump fires each one once) */
  private jump(to: number): Scheduled[] {
    const due: Scheduled[] = [];
    for (let next = this.takeDue(to); next; next = this.takeDue(to)) due.push(next);
    return due;
  }

  /** runs one timer with the clock at `at`; an interval is set again first, so it may cancel itself */
  private fire(entry: Scheduled, at: number): void {
    if (entry.cancelled) return;
    if (at > this.t) this.t = at;
    if (entry.every > 0) {
      entry.at = at + entry.every;
      entry.seq = this.seq++;
      this.insert(entry);
    } else {
      entry.cancelled = true;
    }
    entry.fn();
  }
}
