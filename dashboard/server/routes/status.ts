import { z } from 'zod';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import type { DashboardContext } from '../context.ts';

/**
 * What staff need to know about the platform itself: when it is degraded (readings not stored,
 * the sensor broker down, rules running late) the board alone cannot be trusted, and critical
 * alerts also go to the fallback at once. The same list is pushed on /live as `platform`.
 */
export function statusRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/status',
      summary: "The platform's state: ok, or degraded with the reasons",
      tag: 'status',
      access: 'session',
      response: {
        status: 200,
        description: 'the state',
        schema: z.strictObject({ status: z.enum(['ok', 'degraded']), degraded: z.array(z.string()) }),
      },
      handle: () => {
        const degraded = ctx.health?.degraded() ?? [];
        return { status: degraded.length > 0 ? ('degraded' as const) : ('ok' as const), degraded };
      },
    }),
  ];
}
