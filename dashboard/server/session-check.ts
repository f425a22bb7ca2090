import { TryghedError } from '../../services/runtime/index.ts';
import type { Actor, DashboardContext } from './context.ts';
import { readCookie } from './sessions.ts';
import { whileStoreAnswers } from './store-down.ts';

// The session check on its own, apart from the login routes in auth.ts: every route and the live
// feed need it, and auth.ts itself is built from routes, so keeping them apart keeps the imports
// one-way (test/arrows.test.ts).

/** the cookie that carries a session's random handle */
export const SESSION_COOKIE = 'tryghed_session';

/**
 * The logged-in person behind a cookie header; 401 without a live session, 503 `store_down` when
 * the store that keeps sessions does not answer (so an action then is "not saved", not "error").
 */
export function actorFromCookie(ctx: DashboardContext, cookieHeader: string | undefined): Promise<Actor> {
  return whileStoreAnswers(async () => {
    const session = await ctx.sessions.fromCookie(readCookie(cookieHeader, SESSION_COOKIE));
    if (!session) throw new TryghedError('unauthenticated', 'please log in');
    const user = await ctx.people.user(session.userId);
    if (!user) throw new TryghedError('unauthenticated', 'please log in');
    return { user, sessionId: session.id };
  });
}
