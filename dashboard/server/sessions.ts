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
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.absoluteMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(now: number): void {
    if (this.sessions.size % 100 !== 0) return;
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeenAt > this.idleMs || now - s.createdAt > this.absoluteMs) this.sessions.delete(id);
    }
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
