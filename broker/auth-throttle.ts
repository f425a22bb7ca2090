import { isIPv6 } from 'node:net';

/** Tuning for `AuthThrottle`; the defaults are in `AUTH_THROTTLE_DEFAULTS`. */
export interface AuthThrottleOptions {
  /** failures from one address for one id before that pair is refused for `lockMs` */
  pairLimit: number;
  /** failures for one id (from anywhere) before addresses that failed for it are refused */
  idLimit: number;
  /** failures from one address (any ids) before that address is refused for `lockMs` */
  addressLimit: number;
  /** how long a refusal lasts, and how long a failure is remembered, in ms */
  lockMs: number;
  /** the answer to the first failure is held back this long; doubled per further failure, in ms */
  firstDelayMs: number;
  /** the longest an answer to a failure is held back, in ms */
  maxDelayMs: number;
  /** most ids, addresses and pairs remembered, each; the oldest is forgotten first */
  maxEntries: number;
}

export const AUTH_THROTTLE_DEFAULTS: AuthThrottleOptions = {
  pairLimit: 5,
  idLimit: 20,
  addressLimit: 50,
  lockMs: 15 * 60_000,
  firstDelayMs: 250,
  maxDelayMs: 8000,
  maxEntries: 50_000,
};

interface Failures {
  count: number;
  /** when the count started; forgotten `lockMs` after the last failure */
  last: number;
  /** refused until then (ms), or 0 */
  lockedUntil: number;
  /** a refusal under this lock was already reported (logged) */
  reported?: boolean;
}

/** A map that forgets its least recently touched entry beyond `max`, so attackers cannot grow it. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  /** drops entries from the oldest set on while `match` says so */
  dropOldestWhile(match: (value: V) => boolean): void {
    for (const [key, value] of this.map) {
      if (!match(value)) return;
      this.map.delete(key);
    }
  }
  /** O(size): for rare administrative acts only */
  deleteWhere(match: (key: string) => boolean): void {
    for (const key of [...this.map.keys()]) if (match(key)) this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * One source, for counting: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, because one
 * home or attacker holds a whole /64 and could otherwise take a fresh address per attempt.
 */
export function sourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4?.[1]) return v4[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** `first`: the first refusal under this lock, the one worth a log line */
export type ThrottleVerdict = { allowed: true } | { allowed: false; until: number; first: boolean };

/**
 * Slows down and then refuses guessing of device secrets. Failures are counted per (id, address)
 * pair, per id and per address, each remembered for `lockMs` after its last failure:
 *
 * - every failed attempt is answered late: `firstDelayMs`, doubled per further failure of the pair
 *   or address, at most `maxDelayMs` (a right secret is answered at once);
 * - `pairLimit` failures for one id from one address: that pair is refused for `lockMs`;
 * - `idLimit` failures for one id from anywhere: the id is refused from every address that has
 *   failed for it, but an address without failures for it still gets its secret checked. So an
 *   attacker who knows a device id cannot lock the real device out from another address;
 * - `addressLimit` failures from one address, whatever the ids: that address is refused.
 *
 * Refused attempts are not counted, so a device retrying with an old secret does not extend its
 * own lock. Unknown ids are counted exactly like known ones, so the answers reveal nothing.
 * Memory is bounded: at most `maxEntries` ids, addresses and pairs each.
 */
export class AuthThrottle {
  private readonly o: AuthThrottleOptions;
  private readonly pairs: BoundedMap<Failures>;
  private readonly ids: BoundedMap<Failures>;
  private readonly addresses: BoundedMap<Failures>;

  constructor(
    private readonly now: () => number,
    options: Partial<AuthThrottleOptions> = {},
  ) {
    this.o = { ...AUTH_THROTTLE_DEFAULTS, ...options };
    this.pairs = new BoundedMap(this.o.maxEntries);
    this.ids = new BoundedMap(this.o.maxEntries);
    this.addresses = new BoundedMap(this.o.maxEntries);
  }

  /**
   * Whether any failure is remembered for an address or an (id, address) pair. While none is,
   * every attempt is allowed whatever its address, and a success has nothing to forgive: the
   * caller need not read the address (a system call per connect).
   */
  watching(): boolean {
    if (this.pairs.size === 0 && this.addresses.size === 0) return false;
    // each entry is moved to the back when it fails again, so the oldest failures are at the front:
    // those forgotten by now are dropped, and a quiet day's one mistyped secret stops being watched
    // (a failure's lock ends at most lockMs after its last failure: forgotten is "lockMs since the last")
    const before = this.now() - this.o.lockMs;
    this.pairs.dropOldestWhile((f) => f.last <= before);
    this.addresses.dropOldestWhile((f) => f.last <= before);
    return this.pairs.size > 0 || this.addresses.size > 0;
  }

  /** May this id be tried from this address now? */
  check(id: string, address: string): ThrottleVerdict {
    const now = this.now();
    const pair = this.live(this.pairs, pairKey(id, address), now);
    const byAddress = this.live(this.addresses, address, now);
    const byId = this.live(this.ids, id, now);
    const locks: Failures[] = [];
    if (pair && pair.lockedUntil > now) locks.push(pair);
    if (byAddress && byAddress.lockedUntil > now) locks.push(byAddress);
    // the id is under attack: refuse it from addresses that failed for it, not from others
    if (byId && byId.lockedUntil > now && pair && pair.count > 0) locks.push(byId);
    if (locks.length === 0) return { allowed: true };
    const first = locks.some((l) => !l.reported);
    for (const l of locks) l.reported = true;
    return { allowed: false, until: Math.max(...locks.map((l) => l.lockedUntil)), first };
  }

  /** Counts a failed attempt; returns how long to hold back the answer, in ms. */
  failed(id: string, address: string): number {
    const now = this.now();
    const pair = this.bump(this.pairs, pairKey(id, address), now, this.o.pairLimit);
    this.bump(this.ids, id, now, this.o.idLimit);
    const byAddress = this.bump(this.addresses, address, now, this.o.addressLimit);
    const n = Math.max(pair.count, byAddress.count);
    return Math.min(this.o.maxDelayMs, this.o.firstDelayMs * 2 ** Math.min(n - 1, 30));
  }

  /** A right secret: that pair's failures are forgiven (not the id's or the address's). */
  succeeded(id: string, address: string): void {
    this.pairs.delete(pairKey(id, address));
  }

  /**
   * Forgets an id's failures (not its addresses'): its secret was just rotated, so a device that
   * was locked out for an old or lost secret can connect with the new one at once.
   */
  forgetId(id: string): void {
    this.ids.delete(id);
    this.pairs.deleteWhere((key) => key.endsWith(` ${id}`));
  }

  /** how many ids, addresses and pairs are remembered (for tests and metrics) */
  size(): { ids: number; addresses: number; pairs: number } {
    return { ids: this.ids.size, addresses: this.addresses.size, pairs: this.pairs.size };
  }

  private live(map: BoundedMap<Failures>, key: string, now: number): Failures | undefined {
    const f = map.get(key);
    if (f && f.lockedUntil <= now && now - f.last >= this.o.lockMs) {
      map.delete(key);
      return undefined;
    }
    return f;
  }

  private bump(map: BoundedMap<Failures>, key: string, now: number, limit: number): Failures {
    const f = this.live(map, key, now) ?? { count: 0, last: now, lockedUntil: 0 };
    if (f.lockedUntil > 0 && f.lockedUntil <= now) {
      // a lock served: start counting again
      f.count = 0;
      f.lockedUntil = 0;
      f.reported = false;
    }
    f.count++;
    f.last = now;
    if (f.count >= limit) f.lockedUntil = now + this.o.lockMs;
    map.set(key, f);
    return f;
  }
}

const pairKey = (id: string, address: string) => `${address} ${id}`;
