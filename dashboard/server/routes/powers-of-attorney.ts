import { z } from 'zod';
import {
  type Home,
  HomeId,
  type PowerOfAttorney,
  Reference,
  type User,
} from '../../../services/domain/index.ts';
import { forbidden, notFound } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { PowerOfAttorneyView } from '../api/schemas.ts';
import { audit, type DashboardContext } from '../context.ts';
import { RECORD_ROLES, recordHome } from '../transparency.ts';

const HomeParams = z.object({ homeId: HomeId });
const PowerParams = z.object({
  homeId: HomeId,
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'the id of a power of attorney, a positive whole number')
    .transform(Number),
});

const NewPowerOfAttorney = z
  .object({
    /** the relative's user id, or their username (what staff can read off the relative's login) */
    relativeUserId: z.string().min(1).max(64).optional(),
    relativeUsername: z.string().trim().min(1).max(64).optional(),
    /** the document's reference (case number, notary's reference); no scan is kept */
    reference: Reference,
  })
  .strict()
  .refine((b) => (b.relativeUserId === undefined) !== (b.relativeUsername === undefined), {
    message: 'name the relative by relativeUserId or by relativeUsername (one of them)',
    path: ['relativeUsername'],
  });

/** Staff of the home's team (who saw the document) and administrators record and revoke. */
function mayRecord(user: User, home: Home): boolean {
  return user.role === 'admin' || (user.role === 'staff' && user.teamIds.includes(home.teamId));
}

/**
 * Powers of attorney ("fremtidsfuldmagt"): staff record one after seeing the verified document;
 * from then on the relative sees and acts for that citizen only. Revoked, never deleted.
 */
export function powerOfAttorneyRoutes(ctx: DashboardContext): AnyApiRoute[] {
  const view = async (p: PowerOfAttorney) => ({
    id: p.id,
    relative: {
      id: p.relativeUserId,
      displayName: (await ctx.people.user(p.relativeUserId))?.displayName ?? null,
    },
    reference: p.reference,
    verifiedAt: p.verifiedAt,
    revokedAt: p.revokedAt,
  });

  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/powers-of-attorney',
      summary: "The home's powers of attorney, revoked ones included; a relative sees only their own",
      tag: 'citizen',
      access: RECORD_ROLES,
      params: HomeParams,
      response: {
        status: 200,
        description: 'the powers of attorney',
        schema: z.strictObject({ powersOfAttorney: z.array(PowerOfAttorneyView) }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        audit(ctx, actor, 'power_of_attorney.list', home.id, 'power_of_attorney');
        let powers = await ctx.registry.powersOfAttorney(home.id);
        // a relative sees their own, not who else holds one
        if (actor.user.role === 'relative') powers = powers.filter((p) => p.relativeUserId === actor.user.id);
        return { powersOfAttorney: await Promise.all(powers.map(view)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/powers-of-attorney',
      summary: 'Record a verified power of attorney for a relative',
      description:
        "Staff of the home's team, having seen the document, and administrators. Only its reference is kept, no scan.",
      tag: 'citizen',
      access: ['staff', 'admin'],
      params: HomeParams,
      body: NewPowerOfAttorney,
      response: {
        status: 201,
        description: 'the power of attorney',
        schema: z.strictObject({ powerOfAttorney: PowerOfAttorneyView }),
      },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        if (!mayRecord(actor.user, home))
          throw forbidden("only staff of the home's team record a power of attorney");
        const relativeUserId =
          body.relativeUserId ?? (await ctx.people.userByUsername(body.relativeUsername!))?.id;
        if (!relativeUserId) throw notFound(`relative ${body.relativeUsername}`);
        const p = await ctx.registry.grantPowerOfAttorney({
          relativeUserId,
          homeId: home.id,
          verifiedBy: actor.user.id,
          reference: body.reference,
          at: ctx.clock.now(),
        });
        audit(ctx, actor, 'power_of_attorney.grant', home.id, 'power_of_attorney', `#${p.id}`);
        return { powerOfAttorney: await view(p) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/homes/:homeId/powers-of-attorney/:id',
      summary: 'Revoke a power of attorney; it stays on record as revoked',
      tag: 'citizen',
      access: ['staff', 'admin'],
      params: PowerParams,
      response: { status: 204, description: 'revoked' },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        if (!mayRecord(actor.user, home))
          throw forbidden("only staff of the home's team revoke a power of attorney");
        await ctx.registry.revokePowerOfAttorney(home.id, params.id, actor.user.id, ctx.clock.now());
        audit(ctx, actor, 'power_of_attorney.revoke', home.id, 'power_of_attorney', `#${params.id}`);
        return undefined;
      },
    }),
  ];
}
