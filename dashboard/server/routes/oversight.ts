import { z } from 'zod';
import { DEFAULT_CHAIN_TARGETS, outcomeStatistics } from '../../../services/alerts/index.ts';
import { localDate } from '../../../services/consent/index.ts';
import { homeFilter, visibleHomeIds } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { ReviewDueView, StatisticsView } from '../api/schemas.ts';
import { audit, type DashboardContext } from '../context.ts';

const DAY = 86_400_000;

const StatsQuery = z
  .object({
    from: z.iso.date('from: a date as YYYY-MM-DD').optional(),
    to: z.iso.date('to: a date as YYYY-MM-DD').optional(),
  })
  .strict();

/**
 * What the municipality oversees: § 128 a decisions due for review, and outcome statistics per
 * rule kind and per team (never per employee).
 */
export function oversightRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/consent/reviews',
      summary: '§ 128 a decisions due for review within 30 days, or overdue',
      tag: 'consent',
      access: ['staff', 'admin'],
      response: {
        status: 200,
        description: 'the reviews, oldest first',
        schema: z.strictObject({ reviews: z.array(ReviewDueView) }),
      },
      handle: ({ actor }) => {
        const homes = visibleHomeIds(actor.user, ctx.registry);
        const reviews = ctx.consent
          .reviewsDue(homes, localDate(ctx.clock.now(), 'Europe/Copenhagen'))
          .map((r) => ({ ...r, homeLabel: ctx.registry.home(r.homeId)?.label ?? r.homeId }));
        return { reviews };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/statistics',
      summary: 'Outcome statistics per rule kind and per team (never per employee)',
      tag: 'oversight',
      access: ['staff', 'admin'],
      query: StatsQuery,
      response: { status: 200, description: 'the statistics', schema: StatisticsView },
      handle: async ({ query, actor }) => {
        const to = query.to ? Date.parse(`${query.to}T00:00:00Z`) + DAY : ctx.clock.now();
        const from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : to - 30 * DAY;
        const scope = homeFilter(actor.user, ctx.registry);
        const homes = scope ? new Set(scope) : null;
        const alerts = (await ctx.alerts.openedBetween(from, to)).filter(
          (a) => a.audience === 'care' && (!homes || homes.has(a.homeId)),
        );
        audit(ctx, actor, 'statistics.read', null, 'quality');
        const stats = outcomeStatistics(
          alerts,
          from,
          to,
          (homeId) => ctx.registry.home(homeId)?.teamId,
          ctx.chainTargets ?? DEFAULT_CHAIN_TARGETS,
          Math.min(to, ctx.clock.now()),
        );
        const teamNames: Record<string, string> = {};
        for (const id of Object.keys(stats.byTeam)) teamNames[id] = (await ctx.people.team(id))?.name ?? id;
        return { ...stats, teamNames };
      },
    }),
  ];
}
