import express, { type Router } from 'express';
import type { DashboardContext } from '../context.ts';

/**
 * What staff need to know about the platform itself: when it is degraded (readings not stored,
 * the sensor broker down, rules running late) the board alone cannot be trusted, and critical
 * alerts also go to the fallback at once. The same list is pushed on /live as `platform`.
 */
export function statusRoutes(ctx: DashboardContext): Router {
  const router = express.Router();
  router.get('/api/status', (_req, res) => {
    const degraded = ctx.health?.degraded() ?? [];
    res.json({ status: degraded.length > 0 ? 'degraded' : 'ok', degraded });
  });
  return router;
}
