import { systemClock } from '../runtime/index.ts';
import type { DeliveryAttempt, DeliveryResult, SendOptions } from './types.ts';

/** How hard an HTTP notifier tries. */
export interface RetryPolicy {
  /** attempts in all, the first included */
  maxAttempts: number;
  /** the first wait between attempts, in ms; doubled each time */
  baseDelayMs: number;
  /** the longest wait between attempts, in ms */
  maxDelayMs: number;
  /** how long one request may take, in ms */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 5000,
};

/** Things tests replace: how to wait, and the source of jitter. */
export interface RetryDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

/** Real time: the waits between HTTP attempts pace a remote server, not the citizen's day. */
export const realRetryDeps: RetryDeps = {
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = systemClock.setTimeout(done, ms);
      function done() {
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: Math.random,
};

/**
 * The wait before attempt `attempt + 1`: exponential, capped, with "equal jitter": at least half
 * the step, so waits still grow, plus a random half, so many senders that failed together (a
 * gateway outage) do not come back in lockstep.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** What one HTTP answer means: 2xx delivered; 408, 429 and 5xx worth another try; other 4xx final. */
export function classifyStatus(status: number): 'delivered' | 'retry' | 'final' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'final';
}

/** The outcome of one try: an HTTP status, or an error code (never a message that could carry data). */
export type TryOutcome = { status: number } | { error: string };

/**
 * Runs `tryOnce` until it delivers, fails for good, or `maxAttempts` is reached, reporting every
 * attempt. A stop signal ends the loop before the next attempt.
 */
export async function withRetries(
  tryOnce: (signal: AbortSignal) => Promise<TryOutcome>,
  policy: RetryPolicy,
  deps: RetryDeps,
  options: SendOptions = {},
): Promise<DeliveryResult> {
  let detail: string | null = null;
  let attempts = 0;
  let final = false;
  // numbered on from the outbox's earlier tries, so the alert's record counts them all
  const offset = (options.firstAttempt ?? 1) - 1;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (options.signal?.aborted) break;
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const outcome = await tryOnce(signal);
    attempts = attempt;
    let verdict: 'delivered' | 'retry' | 'final';
    if ('status' in outcome) {
      detail = `HTTP ${outcome.status}`;
      verdict = classifyStatus(outcome.status);
    } else {
      detail = outcome.error;
      verdict = outcome.error === 'aborted' ? 'final' : 'retry';
    }
    const report: DeliveryAttempt = {
      attempt: attempt + offset,
      result: verdict === 'delivered' ? 'delivered' : 'failed',
      detail,
    };
    await options.onAttempt?.(report);
    if (verdict === 'delivered') return { delivered: true, attempts, detail };
    if (verdict === 'final') {
      final = 'status' in outcome;
      break;
    }
    if (attempt < policy.maxAttempts) {
      await deps.sleep(backoffDelay(attempt, policy, deps.random), options.signal);
    }
  }
  return final ? { delivered: false, attempts, detail, final } : { delivered: false, attempts, detail };
}

/**
 * POSTs JSON once. Errors become short codes: `timeout`, `aborted`, or the system code
 * (`ECONNREFUSED`, …); the error's message is not kept, since it may quote the URL.
 */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<TryOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
      redirect: 'manual',
    });
    // read the body so the connection goes back to the pool
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    return { error: errorCode(err, signal) };
  }
}

function errorCode(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    return reason?.name === 'TimeoutError' ? 'timeout' : 'aborted';
  }
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'network_error';
}
