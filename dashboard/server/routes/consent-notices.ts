import { z } from 'zod';
import type { AlertsOff, AlertsState } from '../../../services/consent/index.ts';
import { CONSENT_CATEGORIES, CONSENT_CHANNELS, HomeId } from '../../../services/domain/index.ts';
import { notFound } from '../../../services/runtime/index.ts';
import { canSeeHome, visibleHomeIds } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const Category = z.enum(CONSENT_CATEGORIES);
const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });

export const AlertsOffView = z.strictObject({
  category: Category,
  since: epochMs.meta({ description: 'when the alerts were switched off' }),
  actorRole: z.string().meta({ description: 'who switched them off, by role: citizen, relative, staff, …' }),
  onBehalfOfCitizen: z.boolean(),
  channel: z.enum(CONSENT_CHANNELS),
});

export const HomeAlertsOffView = z.strictObject({
  homeId: z.string(),
  homeLabel: z.string(),
  alertsOff: z.array(AlertsOffView),
});

const AlertsStateView = z.strictObject({
  category: Category,
  on: z.boolean(),
  since: epochMs.nullable().meta({ description: 'the latest change; null when never given nor withdrawn' }),
  actorRole: z.string().nullable(),
  onBehalfOfCitizen: z.boolean(),
});

// Compile-time: the registry's types still fit the schemas that document them.
type Fits<S extends z.ZodType, T> = [T] extends [z.input<S>] ? true : never;
const _fits: [Fits<typeof AlertsOffView, AlertsOff>, Fits<typeof AlertsStateView, AlertsState>] = [
  true,
  true,
];
void _fits;

/**
 * What care staff must know about consent to alerts (issue 7 item 12): which homes have switched
 * a kind of alert off, and since when, so nobody waits for an alert that will not come. The same
 * list goes out on `/live` as `{type:'consent'}` when it changes, to the home's team only.
 */
export function consentNoticeRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/consent/alerts-off',
      summary: 'Homes of my teams where a kind of alert was switched off, and since when',
      tag: 'consent',
      access: ['staff', 'admin'],
      response: {
        status: 200,
        description: 'the homes with any alerts off, by label',
        schema: z.strictObject({ homes: z.array(HomeAlertsOffView) }),
      },
      handle: ({ actor }) => {
        const homes = [];
        for (const homeId of visibleHomeIds(actor.user, ctx.registry)) {
          const home = ctx.registry.home(homeId);
          // a test home raises no care alerts at all, so nothing is missing there
          if (!home || home.test) continue;
          const alertsOff = ctx.consent.alertsOff(homeId);
          if (alertsOff.length === 0) continue;
          audit(ctx, actor, 'consent.read', homeId, purposeOf(actor.user.role), 'alerts-off');
          homes.push({ homeId, homeLabel: home.label, alertsOff });
        }
        return { homes: homes.sort((a, b) => a.homeLabel.localeCompare(b.homeLabel, 'da')) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/alerts-consent',
      summary: 'Per category: are alerts to care staff on, since when, and who changed it',
      tag: 'consent',
      access: ['staff', 'admin'],
      params: z.object({ homeId: HomeId }),
      response: {
        status: 200,
        description: 'one entry per category',
        schema: z.strictObject({ categories: z.array(AlertsStateView) }),
      },
      errors: ['not_found'],
      handle: ({ params, actor }) => {
        if (!canSeeHome(actor.user, params.homeId, ctx.registry)) throw notFound('home');
        audit(ctx, actor, 'consent.read', params.homeId, purposeOf(actor.user.role), 'alerts-state');
        return { categories: ctx.consent.alertsState(params.homeId) };
      },
    }),
  ];
}
