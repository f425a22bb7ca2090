import { z } from 'zod';
import { canSeeAlert, homeFilter } from '../access.ts';
import { alertView } from '../alert-view.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { AlertView } from '../api/schemas.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const DAY_MS = 24 * 3600_000;
/** how far back the list reaches: the shift's handover (24 h) or the week (7 d) */
const Period = z.enum(['24h', '7d']);
const PERIOD_MS: Record<z.infer<typeof Period>, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS };
/** `<resolvedAt>_<id>` of the last alert of the previous page */
const Cursor = z
  .string()
  .max(200)
  .regex(/^\d{1,15}_[\w-]{1,100}$/, 'the `next` value of the previous page');

/**
 * Recently resolved alerts (issue 11 point 2): what the team handled, with outcome and note, most
 * recently resolved first, one page at a time. Staff see their teams' care alerts, technicians
 * technical and test alerts, administrators all. Each home in a page is a read of its data (audited,
 * coalesced like every read).
 */
export function resolvedAlertRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/resolved-alerts',
      summary: 'Recently resolved alerts this person may see, most recently resolved first, paginated',
      tag: 'alerts',
      access: ['staff', 'technician', 'admin'],
      query: z.strictObject({
        period: Period.default('24h').meta({ description: 'resolved in the last 24 hours or 7 days' }),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: Cursor.optional(),
      }),
      response: {
        status: 200,
        description: '`next` is the cursor for the following page, null on the last',
        schema: z.strictObject({ alerts: z.array(AlertView), next: z.string().nullable() }),
      },
      handle: async ({ query, actor }) => {
        const homeIds = homeFilter(actor.user, ctx.registry);
        const role = actor.user.role;
        let before: { resolvedAt: number; id: string } | undefined;
        if (query.before) {
          const at = query.before.indexOf('_');
          before = { resolvedAt: Number(query.before.slice(0, at)), id: query.before.slice(at + 1) };
        }
        const page = await ctx.alerts.listResolved({
          ...(homeIds ? { homeIds } : {}),
          since: ctx.clock.now() - PERIOD_MS[query.period],
          ...(before ? { before } : {}),
          ...(role === 'staff' ? { audience: 'care' as const } : {}),
          ...(role === 'technician' ? { audience: 'technical' as const } : {}),
          limit: query.limit,
        });
        // the query already keeps to what the role sees; this is the same check every alert route makes
        const visible = page.filter((a) => canSeeAlert(actor.user, a, ctx.registry));
        for (const homeId of new Set(visible.map((a) => a.homeId)))
          audit(ctx, actor, 'alerts.list', homeId, purposeOf(role), 'resolved');
        const last = page.at(-1);
        return {
          alerts: await Promise.all(visible.map((a) => alertView(ctx, a))),
          next: page.length === query.limit && last ? `${last.resolvedAt}_${last.id}` : null,
        };
      },
    }),
  ];
}
