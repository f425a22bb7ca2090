import type { Clock, Timer } from './clock.ts';

/** refusals of one kind (a reason, a status) logged one by one in a window; the rest are counted */
export const REFUSAL_LINES_PER_WINDOW = 20;
export const REFUSAL_WINDOW_MS = 10_000;

export interface LogBudgetOptions {
  clock: Clock;
  /** lines of one kind logged one by one in a window */
  perWindow: number;
  windowMs: number;
  /** said once at the end of a window in which lines of `key` were held back */
  summary(key: string, notLogged: number, windowMs: number): void;
}

/**
 * How many lines of one kind a part logs one by one: `perWindow` in each window of `windowMs`; the
 * rest are counted and said in one line when the window ends. A flood (a hostile device's refused
 * connections, thousands a second) then neither fills the log nor crowds other parts' lines out of
 * a slow log output (whose buffer drops what does not fit: `createLogger`). What is counted in
 * metrics is counted in full; only the log lines are held back. Keys are few (reasons), not ids.
 */
export class LogBudget {
  private readonly windows = new Map<
    string,
    { start: number; logged: number; held: number; timer?: Timer }
  >();

  constructor(private readonly o: LogBudgetOptions) {}

  /** true: log this line now; false: it is counted for the window's summary line */
  take(key: string): boolean {
    const now = this.o.clock.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.o.windowMs) {
      if (w) this.end(key, w);
      w = { start: now, logged: 0, held: 0 };
      this.windows.set(key, w);
    }
    if (w.logged < this.o.perWindow) {
      w.logged++;
      return true;
    }
    w.held++;
    if (!w.timer) {
      const window = w;
      window.timer = this.o.clock
        .setTimeout(() => this.end(key, window), window.start + this.o.windowMs - now)
        .unref();
    }
    return false;
  }

  /** says what is held back now, and stops the timers */
  stop(): void {
    for (const [key, w] of this.windows) this.end(key, w);
    this.windows.clear();
  }

  private end(key: string, w: { held: number; timer?: Timer }): void {
    w.timer?.cancel();
    w.timer = undefined;
    if (w.held === 0) return;
    const held = w.held;
    w.held = 0;
    this.o.summary(key, held, this.o.windowMs);
  }
}
