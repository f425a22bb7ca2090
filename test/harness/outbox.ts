import { NoticeOutbox, type OutboxRetryPolicy } from '../../services/outbox/index.ts';
import { type Clock, type Metrics, silentLogger } from '../../services/runtime/index.ts';
import type { Store } from '../../services/store/index.ts';

/**
 * The durable outbox on a fixture's real store and clock, with no jitter unless asked (so a test
 * knows when the next try is due: half the step, `backoffDelay` with random() = 0).
 */
export function testOutbox(
  f: { store: Store; clock: Clock; metrics: Metrics },
  retry: OutboxRetryPolicy,
  options: { lateMs?: number; owner?: string; random?: () => number } = {},
): NoticeOutbox {
  return new NoticeOutbox({
    store: f.store,
    clock: f.clock,
    logger: silentLogger(),
    metrics: f.metrics,
    retry,
    lateMs: options.lateMs ?? 60_000,
    random: options.random ?? (() => 0),
    ...(options.owner ? { owner: options.owner } : {}),
  });
}
