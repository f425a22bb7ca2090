import { type Clock, systemClock, type Timer } from '../runtime/index.ts';

/**
 * Asks something the platform depends on (the relational store) whether it answers, on a timer,
 * so a health check can read the answer synchronously. Down after one failed or late answer: staff
 * must know within seconds, and an answer after the timeout is no better than none. Runs on real
 * time: it watches I/O (docs/architecture.md, "Time").
 */
export class ReachabilityWatch {
  private timer: Timer | undefined;
  private failing = false;
  private asking = false;

  constructor(
    private readonly ask: () => Promise<unknown>,
    private readonly o: { intervalMs: number; timeoutMs: number; clock?: Clock },
  ) {}

  /** whether the last answer failed or was late */
  down(): boolean {
    return this.failing;
  }

  /** asks once now; resolves with whether it answered in time */
  async check(): Promise<boolean> {
    const clock = this.o.clock ?? systemClock;
    let late: Timer | undefined;
    try {
      await Promise.race([
        this.ask(),
        new Promise((_, reject) => {
          late = clock.setTimeout(() => reject(new Error('no answer in time')), this.o.timeoutMs);
        }),
      ]);
      this.failing = false;
    } catch {
      this.failing = true;
    } finally {
      late?.cancel();
    }
    return !this.failing;
  }

  start(): void {
    if (this.timer) return;
    this.timer = (this.o.clock ?? systemClock).setInterval(() => {
      if (this.asking) return;
      this.asking = true;
      void this.check().finally(() => {
        this.asking = false;
      });
    }, this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
