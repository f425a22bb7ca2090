import type { ErasureLog } from '../services/erasure/index.ts';
import { isRemoteEvent, type PlatformBus } from '../services/events/index.ts';
import type { Clock, Logger } from '../services/runtime/index.ts';

/** one erasure as every process learns of it: the home and the erasure's time (`requested_at`) */
export interface ErasureNotice {
  homeId: string;
  at: number;
  /**
   * Read from the store at a catch-up, and carried out well before this process started (more
   * than `SETTLED_BEFORE_START_MS`): what this process derived it loaded after the erasure had
   * long removed the home's state, so only what it held from before its start (spooled readings)
   * is left to forget. Forgetting more would remove what the home's owner has derived since the
   * erasure (a door open at night, a cold spell), for instance at every start of a rolling deploy.
   */
  beforeStart?: boolean;
}

/** an erasure this long before the start had finished everywhere before this process loaded its state */
export const SETTLED_BEFORE_START_MS = 60_000;

/** how often a process of a cluster reads the erasures from the store, whatever the link says */
export const ERASURE_CATCH_UP_EVERY_MS = 5 * 60_000;

/**
 * Erasures recorded up to this long before this process started are read at its start too (a
 * process that stopped, or lost its link, just before one was carried out elsewhere); erasures are
 * rare, so reading them all from then on at every catch-up costs a few rows.
 */
export const ERASURE_LOOKBACK_MS = 10 * 60_000;

export interface ErasureFollower {
  /** an erasure carried out here: not applied again when read back from the store */
  carriedOutHere(e: ErasureNotice): void;
  /**
   * Reads from the store (the truth) the erasures recorded since this process started (less the
   * look-back, or since the oldest reading found in its spool) and applies those not applied here yet, oldest first. Rejects when the store does
   * not answer; an erasure whose applying failed is tried again at the next catch-up.
   */
  catchUp(): Promise<void>;
  close(): void;
}

/**
 * How this process forgets a home erased through another process (docs/architecture.md, "The
 * citizen's side", *Several processes*): on `home/erased` from the cluster link, and, because an
 * event can be missed (Redis down, its sender dead before sending), from the store after the link
 * is back and at start. Both ways run the same `forget`, each erasure once.
 */
export function followErasures(o: {
  events: PlatformBus;
  erasures: ErasureLog;
  /** what this process forgets of an erased home: one function for the event and the catch-up */
  forget: (e: ErasureNotice) => Promise<void>;
  /** the oldest reading this process found in its spool at start: erasures since then are read too */
  heldSince?: number;
  /**
   * Also catch up on this period (ms, the injected clock): a catch-up that failed when the link came
   * back (the store did not answer then) or an event refused on the way is made good within it.
   */
  everyMs?: number;
  clock: Clock;
  logger: Logger;
}): ErasureFollower {
  const startedAt = o.clock.now();
  const from = Math.min(startedAt - ERASURE_LOOKBACK_MS, o.heldSince ?? Number.POSITIVE_INFINITY);
  const key = (e: ErasureNotice) => `${e.homeId}\u0000${e.at}`;
  /** erasures applied here, or being applied (the promise), by home and time */
  const applied = new Map<string, Promise<void> | true>();
  const apply = (e: ErasureNotice): Promise<void> => {
    const k = key(e);
    const known = applied.get(k);
    if (known === true) return Promise.resolve();
    if (known) return known;
    const running = o.forget(e).then(
      () => {
        applied.set(k, true);
      },
      (err: unknown) => {
        // tried again at the next catch-up
        applied.delete(k);
        throw err;
      },
    );
    applied.set(k, running);
    return running;
  };
  const off = o.events.on('home/erased', (erased) => {
    if (!isRemoteEvent(erased)) return;
    apply({ homeId: erased.homeId, at: erased.at }).catch((err: unknown) =>
      o.logger.error({ err, homeId: erased.homeId }, 'could not forget an erased home here'),
    );
  });
  let chain: Promise<void> = Promise.resolve();
  const follower: ErasureFollower = {
    carriedOutHere(e) {
      applied.set(key(e), true);
    },
    catchUp() {
      const run = chain.then(async () => {
        const missed = (await o.erasures.since(from))
          .map((r) => ({
            homeId: r.homeId,
            at: r.requestedAt,
            beforeStart: r.requestedAt < startedAt - SETTLED_BEFORE_START_MS,
          }))
          .filter((e) => applied.get(key(e)) !== true);
        let failed: unknown;
        for (const e of missed) {
          await apply(e).catch((err: unknown) => {
            failed ??= err;
          });
        }
        if (missed.length > 0)
          o.logger.info({ erasures: missed.length }, 'erasures carried out elsewhere read from the store');
        if (failed) throw failed;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    close() {
      off();
      timer?.cancel();
    },
  };
  const timer =
    o.everyMs === undefined
      ? undefined
      : o.clock
          .setInterval(
            () =>
              void follower
                .catchUp()
                .catch((err: unknown) => o.logger.error({ err }, 'reading erasures from the store failed')),
            o.everyMs,
          )
          .unref();
  return follower;
}
