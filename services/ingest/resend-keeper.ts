import type { Clock, Logger, Timer } from '../runtime/index.ts';
import type { ResendFilter } from './dedup.ts';

/** Where the resend filter's windows are kept: the store's `resendWindows`, seen from ingest. */
export interface ResendWindowStore {
  heardSince(since: number): Promise<Array<{ deviceId: string; state: string; heardAt: number }>>;
  save(put: Array<{ deviceId: string; state: string; heardAt: number }>, forgetBefore: number): Promise<void>;
}

/**
 * Keeps the resend filter's windows in the store, so a reading sent before a restart and sent
 * again after it is still known: loaded at start (the devices heard within the window), and the
 * windows that changed written together every `everyMs`, never one write per reading.
 */
export class ResendKeeper {
  private timer: Timer | undefined;
  private saving: Promise<void> | null = null;

  constructor(
    private readonly o: {
      filter: ResendFilter;
      store: ResendWindowStore;
      clock: Clock;
      logger: Logger;
      windowMs: number;
      everyMs: number;
      /**
       * The id as the registry holds it, or undefined for a device no longer provisioned (its
       * window is not restored). The filter keeps a reference to the id it is given: the registry's
       * string costs nothing more, the store row's would be a copy held as long as the window.
       */
      deviceId?: (id: string) => string | undefined;
    },
  ) {}

  /** Loads the windows of devices heard within the resend window: O(devices heard lately). */
  async restore(): Promise<number> {
    const { filter, store, clock, logger, windowMs, deviceId = (id: string) => id } = this.o;
    const rows = await store.heardSince(clock.now() - windowMs);
    let taken = 0;
    for (const row of rows) {
      const id = deviceId(row.deviceId);
      if (id !== undefined && filter.restore(id, row.state, row.heardAt)) taken++;
    }
    logger.info({ devices: taken }, 'resend windows restored');
    return taken;
  }

  start(): void {
    this.timer = this.o.clock.setInterval(() => void this.save(), this.o.everyMs);
    this.timer.unref();
  }

  /** Writes the changed windows (and forgets those older than the window); one save at a time. */
  async save(): Promise<void> {
    while (this.saving) await this.saving;
    const put = this.o.filter.takeChanged();
    const forgetBefore = this.o.clock.now() - this.o.windowMs;
    this.saving = this.o.store
      .save(put, forgetBefore)
      .catch((err: unknown) => {
        this.o.filter.markChanged(put.map((p) => p.deviceId));
        this.o.logger.error(
          { err, devices: put.length },
          'could not save resend windows; kept for the next try',
        );
      })
      .finally(() => {
        this.saving = null;
      });
    await this.saving;
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.save();
  }
}
