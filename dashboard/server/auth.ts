import type { Request, Response } from 'express';
import { z } from 'zod';
import type { User } from '../../services/domain/index.ts';
import { TryghedError } from '../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from './api/route.ts';
import { SessionView } from './api/schemas.ts';
import { audit, type DashboardContext } from './context.ts';
import { LoginRefused, PendingLogins, type RedirectIdentityProvider } from './identity/index.ts';
import { LoginLimited, type LoginLimiter } from './login-limit.ts';
import { SESSION_COOKIE } from './session-check.ts';
import { readCookie } from './sessions.ts';

export { actorFromCookie, SESSION_COOKIE } from './session-check.ts';

/** holds only a random handle to a redirect login in flight; the login itself stays on the server */
const PENDING_COOKIE = 'tryghed_login';
const PENDING_MS = 10 * 60_000;
/** logins in flight kept at most; anyone may start one, so a flood must not grow memory */
const PENDING_MAX = 10_000;

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
    mustChangePassword: user.mustChangePassword,
  };
}

/** Session cookies: httpOnly, SameSite=Strict, Secure over HTTPS (or when configured so). */
function cookieOptions(ctx: DashboardContext, req: Request) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: ctx.secureCookies || req.secure,
    path: '/',
  };
}

/**
 * A new session, with a new random id, for whoever just proved who they are. Any session the
 * browser brought along is ended first: an id planted before login is worthless after it.
 */
async function startSession(ctx: DashboardContext, req: Request, res: Response, user: User) {
  const old = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (old) await ctx.sessions.destroyCookie(old);
  const { session, cookie } = await ctx.sessions.create(user.id);
  res.cookie(SESSION_COOKIE, cookie, cookieOptions(ctx, req));
  return session;
}

/** Login, the current session, logout; and the redirect login when one is configured. */
export function sessionRoutes(ctx: DashboardContext): AnyApiRoute[] {
  const limiter = ctx.loginLimiter;
  const failures = ctx.metrics.counter('tryghed_dashboard_login_failures_total', 'Failed logins', ['reason']);
  const locks = ctx.metrics.counter(
    'tryghed_dashboard_login_locks_total',
    'Logins locked after repeated failures, per account or per source address',
    ['scope'],
  );
  const password = ctx.identity.find((p) => p.kind === 'password');
  const redirect = ctx.identity.filter((p): p is RedirectIdentityProvider => p.kind === 'redirect');

  const routes: AnyApiRoute[] = [
    defineRoute({
      method: 'get',
      path: '/api/session/providers',
      summary: 'The ways to log in',
      tag: 'session',
      access: 'public',
      response: {
        status: 200,
        description: 'each login method; a redirect one is started at its `start` URL',
        schema: z.strictObject({
          providers: z.array(
            z.strictObject({
              id: z.string(),
              kind: z.enum(['password', 'redirect']),
              label: z.strictObject({ da: z.string(), en: z.string() }).optional(),
              start: z.string().optional(),
            }),
          ),
        }),
      },
      handle: () => ({
        providers: ctx.identity.map((p) =>
          p.kind === 'password'
            ? { id: p.id, kind: p.kind }
            : { id: p.id, kind: p.kind, label: p.label, start: `/api/session/${p.id}/start` },
        ),
      }),
    }),
  ];

  if (password) {
    routes.push(
      defineRoute({
        method: 'post',
        path: '/api/session',
        summary: 'Log in with username and password',
        description: 'Sets the session cookie (a new id at every login) and returns the CSRF token.',
        tag: 'session',
        access: 'public',
        body: Login,
        response: { status: 200, description: 'logged in', schema: SessionView },
        errors: ['unauthenticated', 'rate_limited'],
        handle: async ({ body, req, res }) => {
          // req.ip is the connecting address unless it is a proxy named in TRUST_PROXY
          const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
          let attempt: Awaited<ReturnType<LoginLimiter['admit']>>;
          try {
            attempt = await limiter.admit(address, body.username);
          } catch (err) {
            if (!(err instanceof LoginLimited)) throw err;
            failures.inc({ reason: 'rate_limited' });
            const seconds = Math.ceil(err.retryAfterMs / 1000);
            res.set('retry-after', String(seconds));
            throw new TryghedError(
              'rate_limited',
              `too many failed logins; try again in ${seconds} s, log in with the municipality's login, or ask an administrator to unlock the account`,
            );
          }
          let user: User | null;
          try {
            user = await password.verify(body.username, body.password);
          } catch (err) {
            attempt.abandoned();
            throw err;
          }
          if (!user) {
            const { locked } = await attempt.failed();
            for (const scope of locked) locks.inc({ scope });
            failures.inc({ reason: 'bad_credentials' });
            throw new TryghedError('unauthenticated', 'wrong username or password');
          }
          await attempt.succeeded();
          const session = await startSession(ctx, req, res, user);
          ctx.logger.info({ userId: user.id, role: user.role, provider: password.id }, 'logged in');
          return { user: publicUser(user), csrfToken: session.csrfToken };
        },
      }),
    );
  }

  routes.push(
    defineRoute({
      method: 'get',
      path: '/api/session',
      summary: 'Who is logged in, and the CSRF token for state changes',
      tag: 'session',
      access: 'session',
      response: { status: 200, description: 'the current session', schema: SessionView },
      handle: async ({ actor }) => {
        const session = await ctx.sessions.peek(actor.sessionId);
        if (!session) throw new TryghedError('unauthenticated', 'please log in');
        return { user: publicUser(actor.user), csrfToken: session.csrfToken };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/session',
      summary: 'Log out',
      description: 'Ends the session on the server: the cookie stops working at once, also for /live.',
      tag: 'session',
      access: 'session',
      response: { status: 204, description: 'logged out' },
      handle: async ({ actor, req, res }) => {
        await ctx.sessions.destroy(actor.sessionId);
        res.clearCookie(SESSION_COOKIE, cookieOptions(ctx, req));
        return undefined;
      },
    }),
  );

  routes.push(
    defineRoute({
      method: 'delete',
      path: '/api/users/:username/login-lock',
      summary: "End an account's login lock",
      description:
        'Forgets the failed logins of the account and ends its lock at once (audited). Locks also end by themselves, after at most 15 minutes.',
      tag: 'session',
      access: ['admin'],
      params: z.strictObject({ username: z.string().min(1).max(100) }),
      response: { status: 204, description: 'the account may log in again' },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const user = await ctx.people.userByUsername(params.username);
        if (!user) throw new TryghedError('not_found', 'no such user');
        await limiter.unlock(user.username);
        audit(ctx, actor, 'user.login_unlock', null, 'administration', user.id);
        return undefined;
      },
    }),
  );

  for (const provider of redirect) routes.push(...redirectLoginRoutes(ctx, provider, failures, limiter));
  return routes;
}

/**
 * `start` sends the browser to the provider; `callback` is where it comes back. Both answer with a
 * redirect, because a person's browser follows them; a refusal lands on the login page with a
 * reason code the page can explain.
 */
function redirectLoginRoutes(
  ctx: DashboardContext,
  provider: RedirectIdentityProvider,
  failures: ReturnType<DashboardContext['metrics']['counter']>,
  limiter: LoginLimiter,
): AnyApiRoute[] {
  const pending = new PendingLogins(ctx.clock, PENDING_MS, PENDING_MAX);
  const base = `/api/session/${provider.id}`;
  // SameSite=Lax, not Strict: the browser comes back from the provider's site by a top-level GET,
  // and a Strict cookie would not be sent with it. It names a login in flight, nothing more.
  const pendingCookie = (req: Request) => ({
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.secureCookies || req.secure,
    path: base,
    maxAge: PENDING_MS,
  });

  return [
    defineRoute({
      method: 'get',
      path: `/api/session/${provider.id}/start`,
      summary: `Start a login at ${provider.label.en.replace(/^Log in with /, '')}`,
      tag: 'session',
      access: 'public',
      response: { status: 303, description: "to the identity provider's login page" },
      errors: ['unavailable'],
      handle: async ({ req, res }) => {
        let begun: Awaited<ReturnType<RedirectIdentityProvider['begin']>>;
        try {
          begun = await provider.begin();
        } catch (err) {
          // logged once, with this cause, by the error handler
          throw new TryghedError('unavailable', 'the login service cannot be reached; try again shortly', {
            cause: err,
          });
        }
        const handle = pending.add(begun.pending);
        res.cookie(PENDING_COOKIE, handle, pendingCookie(req));
        res.redirect(303, begun.url);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: `/api/session/${provider.id}/callback`,
      summary: 'Where the identity provider sends the browser back',
      description:
        'On success: the session cookie is set and the browser goes to `/`. On refusal: to `/?login=refused&reason=<code>`.',
      tag: 'session',
      access: 'public',
      query: z.object({
        code: z.string().max(4096).optional(),
        state: z.string().max(512).optional(),
        error: z.string().max(512).optional(),
        error_description: z.string().max(2048).optional(),
        iss: z.string().max(2048).optional(),
        session_state: z.string().max(2048).optional(),
      }),
      response: { status: 303, description: 'to the dashboard, logged in or with the reason for refusal' },
      handle: async ({ query, req, res }) => {
        const handle = readCookie(req.headers.cookie, PENDING_COOKIE);
        // one try per login: a handle is used up whatever happens next
        const login = pending.take(handle);
        res.clearCookie(PENDING_COOKIE, { ...pendingCookie(req), maxAge: undefined });
        try {
          if (!login) {
            throw new LoginRefused('state', 'no login in progress in this browser, or it took too long');
          }
          const user = await provider.complete(query, login);
          await startSession(ctx, req, res, user);
          // proven at the municipality's login: a password lock (someone guessing) is no reason to keep them out
          await limiter.unlock(user.username);
          ctx.logger.info({ userId: user.id, role: user.role, provider: provider.id }, 'logged in');
          res.redirect(303, '/');
        } catch (err) {
          const reason = err instanceof LoginRefused ? err.reason : 'internal';
          failures.inc({ reason: `${provider.id}_${reason}` });
          // the message only: a jose error carries the token's claims, which are personal data
          const message = err instanceof Error ? err.message : 'unknown';
          ctx.logger.warn({ provider: provider.id, reason, message }, 'login refused');
          res.redirect(303, `/?login=refused&reason=${reason}`);
        }
        return undefined;
      },
    }),
  ];
}
