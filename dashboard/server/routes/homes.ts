import express, { type Router } from 'express';
import { ConsentChangeRequest } from '../../../services/domain/index.ts';
import { forbidden, notFound } from '../../../services/runtime/index.ts';
import { canChangeConsent, canSeeHome, visibleHomeIds } from '../access.ts';
import { actorOf } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';

export function homeRoutes(ctx: DashboardContext): Router {
  const router = express.Router();
  const visible = (homeId: string, res: express.Response) => {
    const home = ctx.registry.home(homeId);
    if (!home || !canSeeHome(actorOf(res).user, homeId, ctx.registry)) throw notFound('home');
    return home;
  };

  router.get('/api/homes', (_req, res) => {
    const { user } = actorOf(res);
    const homes = visibleHomeIds(user, ctx.registry).map((id) => ctx.registry.home(id)!);
    res.json({
      homes: homes.map(({ id, label, teamId, timezone, test }) => ({ id, label, teamId, timezone, test })),
    });
  });

  router.get('/api/homes/:homeId', (req, res) => {
    const home = visible(req.params.homeId!, res);
    audit(ctx, actorOf(res), 'home.read', home.id, 'care');
    const devices = ctx.registry.devicesOfHome(home.id).map((d) => ({
      id: d.id,
      role: d.role,
      kinds: d.kinds,
      test: d.test,
      lastSeen: ctx.lastSeen?.(d.id) ?? null,
    }));
    res.json({
      home: { id: home.id, label: home.label, teamId: home.teamId, timezone: home.timezone, test: home.test },
      devices,
    });
  });

  router.get('/api/homes/:homeId/consent', async (req, res) => {
    const home = visible(req.params.homeId!, res);
    audit(ctx, actorOf(res), 'consent.read', home.id, 'consent');
    res.json({
      scope: ctx.consent.scope(home.id),
      bases: ctx.consent.bases(home.id),
      events: await ctx.consent.history(home.id),
    });
  });

  router.post('/api/homes/:homeId/consent', async (req, res) => {
    const body = parseBody(ConsentChangeRequest, req.body);
    const home = visible(req.params.homeId!, res);
    const actor = actorOf(res);
    if (!canChangeConsent(actor.user, home.id, ctx.registry))
      throw forbidden('your role may not change consent');
    const change = await ctx.consent.change(home.id, body, {
      id: actor.user.id,
      role: actor.user.role,
      homeId: actor.user.homeId,
      teamIds: actor.user.teamIds,
    });
    audit(ctx, actor, `consent.${body.action}`, home.id, 'consent', `${body.category}/${body.purpose}`);
    res.json({ scope: change.scope, event: change.event });
  });

  return router;
}
