import { randomBytes } from 'node:crypto';
import type { Clock } from '../../services/runtime/index.ts';

export interface Session {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

/**
 * Server-side sessions: the cookie carries only a random id. Idle and absolute timeouts; logout
 * deletes the session here, so a copied cookie is worthless afterwards. In memory for now: a
 * restart logs everyone out, which is safe; several dashboard servers need a shared store.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners = new Set<(id: string) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
  ) {}

  create(userId: string): Session {
    const now = this.clock.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      userId,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
    };
    this.sessions.set(session.id, session);
    this.sweep(now);
    return session;
  }

  /** the live session for this id, touched; undefined if unknown or timed out */
  get(id: string | undefined): Session | undefined {
    const session = this.peek(id);
    if (session) session.lastSeenAt = this.clock.now();
    return session;
  }

  /** like `get`, without counting as activity (for a check that is not the person doing something) */
  peek(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.expired(session, this.clock.now())) {
      this.end(id);
      return undefined;
    }
    return session;
  }

  /** ends a session here (logout): its cookie is worthless from now on */
  destroy(id: string): void {
    if (this.sessions.has(id)) this.end(id);
  }

  /** called with the id of every session that ends, by logout or timeout (e.g. to close its sockets) */
  onEnd(listener: (id: string) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt > this.idleMs || now - s.createdAt > this.absoluteMs;
  }

  private end(id: string): void {
    this.sessions.delete(id);
    for (const listener of this.endListeners) listener(id);
  }

  private sweep(now: number): void {
    if (this.sessions.size % 100 !== 0) return;
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.end(id);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
