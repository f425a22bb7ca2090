import express, { type Router } from 'express';
import { z } from 'zod';
import type { PowerOfAttorney } from '../../../services/domain/index.ts';
import { forbidden, notFound } from '../../../services/runtime/index.ts';
import type { Home, User } from '../../../services/store/index.ts';
import { actorOf } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';
import { recordHome } from '../transparency.ts';

const NewPowerOfAttorney = z
  .object({
    relativeUserId: z.string().min(1).max(64),
    /** the document's reference (case number, notary's reference); no scan is kept */
    reference: z.string().trim().min(1).max(200),
  })
  .strict();

/** Staff of the home's team (who saw the document) and administrators record and revoke. */
function mayRecord(user: User, home: Home): boolean {
  return user.role === 'admin' || (user.role === 'staff' && user.teamIds.includes(home.teamId));
}

/**
 * Powers of attorney ("fremtidsfuldmagt"): staff record one after seeing the verified document;
 * from then on the relative sees and acts for that citizen only. Revoked, never deleted.
 */
export function powerOfAttorneyRoutes(ctx: DashboardContext): Router {
  const router = express.Router();

  const view = async (p: PowerOfAttorney) => ({
    id: p.id,
    relative: {
      id: p.relativeUserId,
      displayName: (await ctx.store.users.get(p.relativeUserId))?.displayName ?? null,
    },
    reference: p.reference,
    verifiedAt: p.verifiedAt,
    revokedAt: p.revokedAt,
  });

  router.get('/api/homes/:homeId/powers-of-attorney', async (req, res) => {
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    audit(ctx, actor, 'power_of_attorney.list', home.id, 'power_of_attorney');
    let powers = await ctx.registry.powersOfAttorney(home.id);
    // a relative sees their own, not who else holds one
    if (actor.user.role === 'relative') powers = powers.filter((p) => p.relativeUserId === actor.user.id);
    res.json({ powersOfAttorney: await Promise.all(powers.map(view)) });
  });

  router.post('/api/homes/:homeId/powers-of-attorney', async (req, res) => {
    const body = parseBody(NewPowerOfAttorney, req.body);
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    if (!mayRecord(actor.user, home))
      throw forbidden("only staff of the home's team record a power of attorney");
    const p = await ctx.registry.grantPowerOfAttorney({
      relativeUserId: body.relativeUserId,
      homeId: home.id,
      verifiedBy: actor.user.id,
      reference: body.reference,
      at: ctx.clock.now(),
    });
    audit(ctx, actor, 'power_of_attorney.grant', home.id, 'power_of_attorney', `#${p.id}`);
    res.status(201).json({ powerOfAttorney: await view(p) });
  });

  router.delete('/api/homes/:homeId/powers-of-attorney/:id', async (req, res) => {
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    if (!mayRecord(actor.user, home))
      throw forbidden("only staff of the home's team revoke a power of attorney");
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw notFound('power of attorney');
    await ctx.registry.revokePowerOfAttorney(home.id, id, actor.user.id, ctx.clock.now());
    audit(ctx, actor, 'power_of_attorney.revoke', home.id, 'power_of_attorney', `#${id}`);
    res.status(204).end();
  });

  return router;
}
