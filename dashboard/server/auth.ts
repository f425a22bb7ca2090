import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import { z } from 'zod';
import { TryghedError, verifySecret } from '../../services/runtime/index.ts';
import type { User, UserRole } from '../../services/store/index.ts';
import type { Actor, DashboardContext } from './context.ts';
import { parseBody } from './http-errors.ts';
import { readCookie } from './sessions.ts';

export const SESSION_COOKIE = 'tryghed_session';
const LOGIN_LIMIT = 10;
const LOGIN_WINDOW_MS = 5 * 60_000;

const Login = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) })
  .strict();

export function publicUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    teamIds: user.teamIds,
    homeId: user.homeId,
  };
}

/** Same work for an unknown user as for a wrong password, so timing does not reveal who exists. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function sessionRoutes(ctx: DashboardContext): Router {
  const router = express.Router();
  const attempts = new Map<string, number[]>();
  const failures = ctx.metrics.counter('tryghed_dashboard_login_failures_total', 'Failed logins', ['reason']);

  router.post('/api/session', async (req, res) => {
    const body = parseBody(Login, req.body);
    const key = `${body.username.toLowerCase()}|${req.ip}`;
    const now = ctx.clock.now();
    const recent = (attempts.get(key) ?? []).filter((t) => now - t < LOGIN_WINDOW_MS);
    if (recent.length >= LOGIN_LIMIT) {
      failures.inc({ reason: 'rate_limited' });
      throw new TryghedError('rate_limited', 'too many login attempts; wait a few minutes and try again');
    }
    const user = await ctx.store.users.byUsername(body.username);
    const ok = await verifySecret(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      recent.push(now);
      attempts.set(key, recent);
      failures.inc({ reason: 'bad_credentials' });
      throw new TryghedError('unauthenticated', 'wrong username or password');
    }
    attempts.delete(key);
    // a new session id at every login: a session fixed before login is worthless after it
    const old = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (old) ctx.sessions.destroy(old);
    const session = ctx.sessions.create(user.id);
    res.cookie(SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secureCookies,
      path: '/',
    });
    ctx.logger.info({ userId: user.id, role: user.role }, 'logged in');
    res.json({ user: publicUser(user), csrfToken: session.csrfToken });
  });

  router.get('/api/session', requireActor(ctx), (req, res) => {
    const actor = actorOf(res);
    const session = ctx.sessions.get(actor.sessionId);
    res.json({ user: publicUser(actor.user), csrfToken: session?.csrfToken });
    void req;
  });

  router.delete('/api/session', requireActor(ctx), (_req, res) => {
    ctx.sessions.destroy(actorOf(res).sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  return router;
}

/** The logged-in user for this request; 401 without a live session. */
export function requireActor(ctx: DashboardContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.actor = await actorFromCookie(ctx, req.headers.cookie);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export async function actorFromCookie(
  ctx: DashboardContext,
  cookieHeader: string | undefined,
): Promise<Actor> {
  const session = ctx.sessions.get(readCookie(cookieHeader, SESSION_COOKIE));
  if (!session) throw new TryghedError('unauthenticated', 'please log in');
  const user = await ctx.store.users.get(session.userId);
  if (!user) throw new TryghedError('unauthenticated', 'please log in');
  return { user, sessionId: session.id };
}

export function actorOf(res: Response): Actor {
  return res.locals.actor as Actor;
}

/** Every state-changing request must carry the session's CSRF token in `x-csrf-token`. */
export function requireCsrf(ctx: DashboardContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const session = ctx.sessions.get(actorOf(res).sessionId);
    if (!session || req.get('x-csrf-token') !== session.csrfToken) {
      return next(new TryghedError('forbidden', 'missing or wrong CSRF token; reload the page'));
    }
    next();
  };
}

export function requireRole(...roles: UserRole[]) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (!roles.includes(actorOf(res).user.role))
      return next(new TryghedError('forbidden', 'your role may not do this'));
    next();
  };
}
