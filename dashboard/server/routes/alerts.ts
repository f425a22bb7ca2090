import express, { type Router } from 'express';
import {
  AcknowledgeRequest,
  type Alert,
  AlertState,
  ResolveRequest,
} from '../../../services/domain/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import { canHandleAlert, canSeeAlert, homeFilter } from '../access.ts';
import { actorOf } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';

export function alertRoutes(ctx: DashboardContext): Router {
  const router = express.Router();
  const withLabel = (alert: Alert) => ({
    ...alert,
    homeLabel: ctx.registry.home(alert.homeId)?.label ?? alert.homeId,
  });

  router.get('/api/alerts', async (req, res) => {
    const { user } = actorOf(res);
    const stateParam = typeof req.query.state === 'string' ? req.query.state : 'open,acknowledged';
    const states = stateParam.split(',').map((s) => AlertState.safeParse(s));
    if (states.some((s) => !s.success)) {
      throw new TryghedError('bad_request', 'unknown state', {
        issues: [{ path: 'state', message: 'one or more of open, acknowledged, resolved' }],
      });
    }
    const homeIds = homeFilter(user, ctx.registry);
    const alerts = await ctx.alerts.list({
      ...(homeIds ? { homeIds } : {}),
      states: states.map((s) => s.data!) as AlertState[],
    });
    res.json({ alerts: alerts.filter((a) => canSeeAlert(user, a, ctx.registry)).map(withLabel) });
  });

  // An alert of another team is "not found", not "forbidden": ids must not reveal that it exists.
  const handled = async (id: string, res: express.Response) => {
    const alert = await ctx.alerts.get(id);
    if (!alert || !canHandleAlert(actorOf(res).user, alert, ctx.registry)) throw notFound('alert');
    return alert;
  };

  router.get('/api/alerts/:id', async (req, res) => {
    const alert = await ctx.alerts.get(req.params.id!);
    const actor = actorOf(res);
    if (!alert || !canSeeAlert(actor.user, alert, ctx.registry)) throw notFound('alert');
    audit(ctx, actor, 'alert.read', alert.homeId, 'care', alert.id);
    res.json({ alert: withLabel(alert), notifications: await ctx.alerts.notifications(alert.id) });
  });

  router.post('/api/alerts/:id/acknowledge', async (req, res) => {
    const body = parseBody(AcknowledgeRequest, req.body ?? {});
    const alert = await handled(req.params.id!, res);
    const actor = actorOf(res);
    const changed = await ctx.alerts.acknowledge(
      alert.id,
      { id: actor.user.id, role: actor.user.role },
      body,
    );
    audit(ctx, actor, 'alert.acknowledge', alert.homeId, 'care', alert.id);
    res.json({ alert: withLabel(changed) });
  });

  router.post('/api/alerts/:id/resolve', async (req, res) => {
    const body = parseBody(ResolveRequest, req.body);
    const alert = await handled(req.params.id!, res);
    const actor = actorOf(res);
    const changed = await ctx.alerts.resolve(alert.id, { id: actor.user.id, role: actor.user.role }, body);
    audit(ctx, actor, 'alert.resolve', alert.homeId, 'care', alert.id);
    res.json({ alert: withLabel(changed) });
  });

  return router;
}
