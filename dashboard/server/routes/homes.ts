import { z } from 'zod';
import { ConsentChangeRequest, HomeId } from '../../../services/domain/index.ts';
import { forbidden, notFound } from '../../../services/runtime/index.ts';
import { canChangeConsent, canSeeHome, visibleHomeIds } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import {
  ConsentEventView,
  ConsentScopeView,
  DeviceSummary,
  HomeSummary,
  LegalBasisView,
} from '../api/schemas.ts';
import { type Actor, audit, type DashboardContext } from '../context.ts';
import { deviceTestUntil, homeSummary } from '../test-mode.ts';
import { purposeOf, RECORD_ROLES } from '../transparency.ts';

const HomeParams = z.object({ homeId: HomeId });

export function homeRoutes(ctx: DashboardContext): AnyApiRoute[] {
  const visible = (homeId: string, actor: Actor) => {
    const home = ctx.registry.home(homeId);
    if (!home || !canSeeHome(actor.user, homeId, ctx.registry)) throw notFound('home');
    return home;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/homes',
      summary: 'Homes this person may see',
      tag: 'homes',
      access: 'session',
      query: z.strictObject({
        q: z.string().trim().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(2000).default(500),
      }),
      response: {
        status: 200,
        description:
          'the homes whose id or label contains `q` (any case), at most `limit`, sorted by label; `total` counts every match',
        schema: z.strictObject({ homes: z.array(HomeSummary), total: z.number().int() }),
      },
      handle: ({ actor, query }) => {
        // a municipality has up to 140,000 homes: filter and cap on the server, never send them all
        const q = query.q?.toLowerCase() ?? '';
        const matches = visibleHomeIds(actor.user, ctx.registry)
          .map((id) => ctx.registry.home(id)!)
          .filter((h) => !q || h.id.toLowerCase().includes(q) || h.label.toLowerCase().includes(q))
          .sort((a, b) => a.label.localeCompare(b.label, 'da'));
        const homes = matches.slice(0, query.limit);
        return { total: matches.length, homes: homes.map((h) => homeSummary(ctx, h)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId',
      summary: 'A home and its devices',
      tag: 'homes',
      access: 'session',
      params: HomeParams,
      response: {
        status: 200,
        description: 'the home',
        schema: z.strictObject({ home: HomeSummary, devices: z.array(DeviceSummary) }),
      },
      errors: ['not_found'],
      handle: ({ params, actor }) => {
        const home = visible(params.homeId, actor);
        audit(ctx, actor, 'home.read', home.id, purposeOf(actor.user.role));
        const devices = ctx.registry.devicesOfHome(home.id).map((d) => ({
          id: d.id,
          role: d.role,
          kinds: d.kinds,
          test: d.test,
          testUntil: deviceTestUntil(ctx, d),
          lastSeen: ctx.lastSeen?.(d.id) ?? null,
        }));
        return { home: homeSummary(ctx, home), devices };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/consent',
      summary: "A home's consent: the scope now, the legal bases in force, every change",
      description:
        "Not for technicians (403): they look after devices, not the citizen's choices; a test reading's answer says whether it was stored and judged.",
      tag: 'consent',
      access: RECORD_ROLES,
      params: HomeParams,
      response: {
        status: 200,
        description: 'the consent',
        schema: z.strictObject({
          scope: ConsentScopeView,
          bases: z.record(z.string(), LegalBasisView).meta({ description: 'keyed `category/purpose`' }),
          events: z.array(ConsentEventView),
        }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = visible(params.homeId, actor);
        audit(ctx, actor, 'consent.read', home.id, 'consent');
        return {
          scope: ctx.consent.scope(home.id),
          bases: ctx.consent.bases(home.id),
          events: await ctx.consent.history(home.id),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/consent',
      summary: 'Give or withdraw consent for a kind of monitoring',
      description:
        'Who acts and on whose behalf come from the session and the recorded powers of attorney, never the body. ' +
        '`textVersion` must be the version of the information text shown now (GET overview); a version never shown is a 400, ' +
        'a grant with an earlier one a 409 whose `detail` holds the current text. Takes effect before the answer is sent.',
      tag: 'consent',
      access: 'session',
      params: HomeParams,
      body: ConsentChangeRequest,
      response: {
        status: 200,
        description: 'the scope after the change, and the recorded event',
        schema: z.strictObject({ scope: ConsentScopeView, event: ConsentEventView }),
      },
      errors: ['not_found', 'forbidden', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const home = visible(params.homeId, actor);
        if (!canChangeConsent(actor.user, home.id, ctx.registry))
          throw forbidden('your role may not change consent');
        const change = await ctx.consent.change(home.id, body, {
          id: actor.user.id,
          role: actor.user.role,
          homeId: actor.user.homeId,
          teamIds: actor.user.teamIds,
        });
        audit(ctx, actor, `consent.${body.action}`, home.id, 'consent', `${body.category}/${body.purpose}`);
        return { scope: change.scope, event: change.event };
      },
    }),
  ];
}
