import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { TryghedError } from '../../../services/runtime/index.ts';
import type { DashboardContext } from '../context.ts';

/** True when the request carries `Authorization: Bearer <token>`; constant time in the token. */
function hasBearer(req: Request, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * For the operator: liveness and readiness, open to a load balancer but saying only ok or not
 * (which check failed is for the operator, with the token); Prometheus metrics only with the bearer
 * token `METRICS_TOKEN`, and not at all without one. Metrics carry no team, home or person.
 */
export function opsRoutes(
  ctx: Pick<DashboardContext, 'metrics'>,
  readiness: Record<string, () => Promise<boolean>>,
  metricsToken: string,
): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
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
    const operator = metricsToken !== '' && hasBearer(req, metricsToken);
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'degraded', ...(operator ? { checks } : {}) });
  });
  router.get('/metrics', async (req, res, next) => {
    if (!metricsToken) return next(new TryghedError('not_found', 'metrics are off: set METRICS_TOKEN'));
    if (!hasBearer(req, metricsToken)) {
      res.set('www-authenticate', 'Bearer realm="metrics"');
      return next(new TryghedError('unauthenticated', 'metrics need the bearer token (METRICS_TOKEN)'));
    }
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return router;
}
