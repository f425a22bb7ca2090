import express, { type Router } from 'express';
import { z } from 'zod';
import { outcomeStatistics } from '../../../services/alerts/index.ts';
import { localDate } from '../../../services/consent/index.ts';
import { forbidden } from '../../../services/runtime/index.ts';
import { homeFilter, visibleHomeIds } from '../access.ts';
import { actorOf } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';

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
export function oversightRoutes(ctx: DashboardContext): Router {
  const router = express.Router();

  router.get('/api/consent/reviews', (_req, res) => {
    const actor = actorOf(res);
    if (!['staff', 'admin'].includes(actor.user.role)) throw forbidden('only staff see review dates');
    const homes = visibleHomeIds(actor.user, ctx.registry);
    const reviews = ctx.consent
      .reviewsDue(homes, localDate(ctx.clock.now(), 'Europe/Copenhagen'))
      .map((r) => ({ ...r, homeLabel: ctx.registry.home(r.homeId)?.label ?? r.homeId }));
    res.json({ reviews });
  });

  router.get('/api/statistics', async (req, res) => {
    const actor = actorOf(res);
    if (!['staff', 'admin'].includes(actor.user.role))
      throw forbidden('only staff and administrators see statistics');
    const q = parseBody(StatsQuery, req.query);
    const to = q.to ? Date.parse(`${q.to}T00:00:00Z`) + DAY : ctx.clock.now();
    const from = q.from ? Date.parse(`${q.from}T00:00:00Z`) : to - 30 * DAY;
    const scope = homeFilter(actor.user, ctx.registry);
    const homes = scope ? new Set(scope) : null;
    const alerts = (await ctx.store.alerts.openedBetween(from, to)).filter(
      (a) => a.audience === 'care' && (!homes || homes.has(a.homeId)),
    );
    audit(ctx, actor, 'statistics.read', null, 'quality');
    res.json(outcomeStatistics(alerts, from, to, (homeId) => ctx.registry.home(homeId)?.teamId));
  });

  return router;
}
