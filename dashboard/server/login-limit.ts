import type { Clock, Logger } from '../../services/runtime/index.ts';
import type { LoginLimitRepository, LoginLimitState } from '../../services/store/index.ts';

/** How many failed logins a key may have before it is locked, and how long the lock lasts. */
export interface LimitPolicy {
  /** failures before the first lock */
  failures: number;
  /** the first lock; each further failure after a lock doubles it */
  firstLockMs: number;
  /** a lock never lasts longer than this, so nobody can lock a person out for good */
  maxLockMs: number;
  /** a key with no failure and no lock for this long starts afresh */
  forgetMs: number;
}

const MINUTE = 60_000;

/**
 * Per account, across addresses: 10 guesses, then one more each time a lock ends (1, 2, 4, 8, then
 * 15 minutes). About 100 guesses a day against one account, and the real person is never locked
 * out for more than 15 minutes at a time.
 */
export const ACCOUNT_POLICY: LimitPolicy = {
  failures: 10,
  firstLockMs: MINUTE,
  maxLockMs: 15 * MINUTE,
  forgetMs: 60 * MINUTE,
};

/**
 * Per source address, across usernames. Higher than per account: a municipal office may bring a
 * whole shift through one address. An IPv6 client counts by its /64, which one machine usually has.
 */
export const ADDRESS_POLICY: LimitPolicy = {
  failures: 30,
  firstLockMs: MINUTE,
  maxLockMs: 15 * MINUTE,
  forgetMs: 60 * MINUTE,
};

/** ended state is deleted from the store at most this often */
const SWEEP_MS = MINUTE;

/** A login attempt that may not be checked now; try again after `retryAfterMs`. */
export class LoginLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super('too many failed logins');
    this.name = 'LoginLimited';
  }
}

/** An admitted attempt: say how it went, exactly once. */
export interface LoginAttempt {
  /** the password was wrong (or the user unknown); `locked` when this failure locked a key */
  failed(): Promise<{ locked: Array<'account' | 'address'> }>;
  /** the password was right: the account's failures are forgotten (the address's are not) */
  succeeded(): Promise<void>;
  /** the check could not be made (an error); nothing is counted */
  abandoned(): void;
}

/**
 * Limits password guessing per account and per source address, in the store (so every dashboard
 * process on one database sees the same counts, and a restart forgets nothing). An attempt is
 * admitted only while neither key is locked and the attempts still being checked fit in what is
 * left before the lock, so a burst sent in parallel gets no more guesses than one sent in a row.
 * Unknown usernames count like known ones: a lock says nothing about who exists.
 */
export class LoginLimiter {
  /** attempts being checked right now, per key (this process only; a burst lasts one scrypt) */
  private readonly inFlight = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly repo: LoginLimitRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly policies: { account: LimitPolicy; address: LimitPolicy } = {
      account: ACCOUNT_POLICY,
      address: ADDRESS_POLICY,
    },
  ) {}

  /** Admits an attempt, or throws `LoginLimited`. */
  async admit(address: string, username: string): Promise<LoginAttempt> {
    const keys = [
      { scope: 'account' as const, key: accountKey(username), policy: this.policies.account },
      { scope: 'address' as const, key: `address:${addressKey(address)}`, policy: this.policies.address },
    ];
    const now = this.clock.now();
    let retryAfterMs = 0;
    for (const { key, policy } of keys) {
      const state = live(await this.repo.get(key), policy, now);
      if (state && state.lockedUntil > now) retryAfterMs = Math.max(retryAfterMs, state.lockedUntil - now);
      else if ((this.inFlight.get(key) ?? 0) >= budget(state, policy)) {
        retryAfterMs = Math.max(retryAfterMs, 1000);
      }
    }
    if (retryAfterMs > 0) throw new LoginLimited(retryAfterMs);
    for (const { key } of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);

    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      for (const { key } of keys) {
        const n = (this.inFlight.get(key) ?? 1) - 1;
        if (n > 0) this.inFlight.set(key, n);
        else this.inFlight.delete(key);
      }
      return true;
    };
    return {
      failed: async () => {
        if (!finish()) return { locked: [] };
        const at = this.clock.now();
        const locked: Array<'account' | 'address'> = [];
        for (const { scope, key, policy } of keys) {
          const next = await this.repo.update(key, (current) =>
            afterFailure(live(current, policy, at), policy, at),
          );
          if (
            next &&
            next.lockedUntil > at &&
            next.lastFailureAt === at &&
            next.failures >= policy.failures
          ) {
            locked.push(scope);
          }
        }
        await this.sweep(at);
        return { locked };
      },
      succeeded: async () => {
        if (finish()) await this.repo.delete(keys[0]!.key);
      },
      abandoned: () => {
        finish();
      },
    };
  }

  /** Forgets an account's failures and ends its lock (an administrator's unlock, or a login elsewhere). */
  unlock(username: string): Promise<void> {
    return this.repo.delete(accountKey(username));
  }

  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = now;
    const longest = Math.max(this.policies.account.forgetMs, this.policies.address.forgetMs);
    try {
      await this.repo.sweep(now - longest);
    } catch (err) {
      this.logger.error({ err }, 'sweeping login limits failed');
    }
  }
}

/** State older than the policy's memory is as good as none. */
function live(state: LoginLimitState | null, policy: LimitPolicy, now: number): LoginLimitState | null {
  if (!state) return null;
  return now - Math.max(state.lastFailureAt, state.lockedUntil) > policy.forgetMs ? null : state;
}

/** attempts that may still be checked before the next lock */
function budget(state: LoginLimitState | null, policy: LimitPolicy): number {
  if (!state) return policy.failures;
  // after a lock has ended, one guess at a time: its failure locks again, for twice as long
  return state.lockLevel > 0 ? 1 : Math.max(0, policy.failures - state.failures);
}

function afterFailure(state: LoginLimitState | null, policy: LimitPolicy, now: number): LoginLimitState {
  const failures = (state?.failures ?? 0) + 1;
  let lockLevel = state?.lockLevel ?? 0;
  let lockedUntil = state?.lockedUntil ?? 0;
  if (failures >= policy.failures) {
    lockLevel++;
    lockedUntil = now + Math.min(policy.firstLockMs * 2 ** (lockLevel - 1), policy.maxLockMs);
  }
  return { failures, lockLevel, lockedUntil, lastFailureAt: now };
}

/** Usernames are matched as people type them: case and Unicode width do not make a new account key. */
function accountKey(username: string): string {
  return `account:${username.normalize('NFKC').toLowerCase()}`;
}

/**
 * The part of an address that names one client: an IPv4 address as it is (also when written as
 * IPv6-mapped), an IPv6 address by its first 64 bits (one machine usually has a whole /64).
 */
export function addressKey(ip: string): string {
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
