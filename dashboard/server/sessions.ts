import { createHash, randomBytes } from 'node:crypto';
import type { PlatformBus } from '../../services/events/index.ts';
import type { Clock, Logger, Timer } from '../../services/runtime/index.ts';
import type { SessionRepository } from '../../services/store/index.ts';

export interface Session {
  /** the SHA-256 of the cookie's value: how the server names a session; the value itself is never kept */
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

/**
 * Activity is written to the store at most this often per session: a request does not cost a
 * write. What is not written yet is kept here, so this process judges the idle timeout exactly;
 * only a crash can make a session end up to this much early after a restart.
 */
const ACTIVITY_WRITE_MS = 60_000;
/** how often ended sessions are swept out of the store (and their live feeds closed) */
const SWEEP_MS = 60_000;

/** The session a cookie value names: its SHA-256, hex. */
export function sessionIdOf(cookieValue: string): string {
  return createHash('sha256').update(cookieValue).digest('hex');
}

/**
 * Server-side sessions, kept in the store so a restart logs nobody out. The cookie carries only a
 * random 256-bit value; the store keeps its SHA-256, so a copy of the database opens no session.
 * Idle and absolute timeouts by the injected clock; logout deletes the session, so a copied cookie
 * is worthless afterwards.
 */
export class SessionStore {
  /** activity seen by this process and not yet written: session id → when */
  private readonly unwritten = new Map<string, number>();
  private sweeper: Timer | undefined;

  constructor(
    private readonly repo: SessionRepository,
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
    private readonly logger: Logger,
    /** every session that ends, by logout or timeout, goes out as `session/ended` (its sockets close) */
    private readonly events: PlatformBus,
  ) {}

  /** Deletes what ended while nobody was running, then sweeps every minute until `close`. */
  async start(): Promise<void> {
    await this.sweep();
    this.sweeper ??= this.clock.setInterval(() => void this.sweep(), SWEEP_MS).unref();
  }

  /** A new session; `cookie` is the value for the browser, shown nowhere else. */
  async create(userId: string): Promise<{ session: Session; cookie: string }> {
    const cookie = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: Session = {
      id: sessionIdOf(cookie),
      userId,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.repo.create({ ...session, idHash: session.id });
    return { session, cookie };
  }

  /** the live session a cookie value names, touched; undefined if unknown or timed out */
  async fromCookie(value: string | undefined): Promise<Session | undefined> {
    return value ? this.load(sessionIdOf(value), true) : undefined;
  }

  /** the live session with this id, touched; undefined if unknown or timed out */
  get(id: string): Promise<Session | undefined> {
    return this.load(id, true);
  }

  /** like `get`, without counting as activity (for a check that is not the person doing something) */
  peek(id: string): Promise<Session | undefined> {
    return this.load(id, false);
  }

  /** ends a session (logout): its cookie is worthless from now on */
  async destroy(id: string): Promise<void> {
    this.unwritten.delete(id);
    if (await this.repo.delete(id)) this.ended(id);
  }

  /** ends every session of a person (a password reset): logged out everywhere, sockets closed */
  async destroyOfUser(userId: string): Promise<void> {
    for (const id of await this.repo.deleteOfUser(userId)) {
      this.unwritten.delete(id);
      this.ended(id);
    }
  }

  /** ends the session a cookie value names, if any */
  destroyCookie(value: string): Promise<void> {
    return this.destroy(sessionIdOf(value));
  }

  /** Writes the activity not written yet, then deletes every session that has ended. */
  async sweep(): Promise<void> {
    try {
      await this.flush();
      const now = this.clock.now();
      for (const id of await this.repo.deleteExpired(now - this.idleMs, now - this.absoluteMs)) {
        this.unwritten.delete(id);
        this.ended(id);
      }
    } catch (err) {
      this.logger.error({ err }, 'sweeping ended sessions failed');
    }
  }

  /** Stops the sweeper and writes what activity is not written yet. */
  async close(): Promise<void> {
    this.sweeper?.cancel();
    this.sweeper = undefined;
    await this.flush();
  }

  private async load(id: string, touch: boolean): Promise<Session | undefined> {
    const row = await this.repo.get(id);
    if (!row) {
      this.unwritten.delete(id);
      return undefined;
    }
    const now = this.clock.now();
    const session: Session = {
      id,
      userId: row.userId,
      csrfToken: row.csrfToken,
      createdAt: row.createdAt,
      lastSeenAt: Math.max(row.lastSeenAt, this.unwritten.get(id) ?? 0),
    };
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.absoluteMs) {
      await this.destroy(id);
      return undefined;
    }
    if (touch) {
      session.lastSeenAt = now;
      if (now - row.lastSeenAt >= ACTIVITY_WRITE_MS) {
        await this.repo.touch(id, now);
        this.unwritten.delete(id);
      } else this.unwritten.set(id, now);
    }
    return session;
  }

  private async flush(): Promise<void> {
    const pending = [...this.unwritten];
    this.unwritten.clear();
    for (const [id, at] of pending) await this.repo.touch(id, at);
  }

  private ended(id: string): void {
    this.events.emit('session/ended', { sessionId: id });
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      // A malformed escape (`%zz`) is a value that names nothing here, not a server error.
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}
