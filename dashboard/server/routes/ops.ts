import express, { type Router } from 'express';
import type { DashboardContext } from '../context.ts';

/** For the operator: liveness, readiness (each check by name) and Prometheus metrics. */
export function opsRoutes(ctx: DashboardContext, readiness: Record<string, () => Promise<boolean>>): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }),
    );
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'degraded', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return router;
}
