import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../services/runtime/index.ts';
import type { PendingLogin } from './types.ts';

/**
 * Redirect logins in flight, by a random handle the browser holds in a cookie. Bounded: anyone may
 * start a login, so a flood of starts must not grow memory or make each start slower. The oldest
 * go first (they are the likeliest to be abandoned); a handle is used once.
 */
export class PendingLogins {
  /** in insertion order, which is start order */
  private readonly logins = new Map<string, PendingLogin>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.logins.size;
  }

  /** keeps a login in flight; the handle for the browser's cookie */
  add(login: PendingLogin): string {
    const now = this.clock.now();
    // expired ones are at the front: stop at the first that is not
    for (const [handle, p] of this.logins) {
      if (now - p.startedAt <= this.ttlMs) break;
      this.logins.delete(handle);
    }
    while (this.logins.size >= this.max) {
      const oldest = this.logins.keys().next().value;
      if (oldest === undefined) break;
      this.logins.delete(oldest);
    }
    const handle = randomBytes(24).toString('base64url');
    this.logins.set(handle, login);
    return handle;
  }

  /** the login a handle names, once; undefined when unknown, used, or too old */
  take(handle: string | undefined): PendingLogin | undefined {
    if (!handle) return undefined;
    const login = this.logins.get(handle);
    this.logins.delete(handle);
    if (!login || this.clock.now() - login.startedAt > this.ttlMs) return undefined;
    return login;
  }
}
