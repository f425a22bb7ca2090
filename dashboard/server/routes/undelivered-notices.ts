import { z } from 'zod';
import { channelParts } from '../../../services/outbox/index.ts';
import { TryghedError } from '../../../services/runtime/index.ts';
import { homeFilter } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const DAY_MS = 24 * 3600_000;
const Period = z.enum(['24h', '7d']);
const PERIOD_MS: Record<z.infer<typeof Period>, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS };

const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });

const UndeliveredNoticeItem = z.strictObject({
  id: z.string(),
  notifier: z.string().meta({ description: 'webhook, sms, log, care-record' }),
  target: z.string().meta({ description: 'the configured name; never a URL or phone number' }),
  alertId: z.string().nullable(),
  homeId: z.string().nullable(),
  homeLabel: z.string().nullable(),
  state: z.enum(['pending', 'given_up']).meta({
    description: '`pending`: still being tried, past NOTICE_LATE_S; `given_up`: it will not be sent',
  }),
  attempts: z.number().int(),
  since: epochMs.meta({ description: 'when the notice was made' }),
  lateAt: epochMs,
  detail: z.string().nullable().meta({ description: "the latest try's short reason" }),
});

/**
 * "Ikke leveret" (issue 13): notices outside the dashboard (webhook, SMS, care record) not
 * delivered within NOTICE_LATE_S, or given up, newest first. Staff see their teams' homes,
 * administrators every home. Each home listed is a read of its data (audited like every list).
 */
export function undeliveredNoticeRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/notices/undelivered',
      summary: 'Notices outside the dashboard not delivered in time ("ikke leveret"), newest first',
      tag: 'alerts',
      access: ['staff', 'admin'],
      errors: ['unavailable'],
      query: z.strictObject({
        period: Period.default('24h').meta({ description: 'made in the last 24 hours or 7 days' }),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: {
        status: 200,
        description: '`lateAfterS` is NOTICE_LATE_S',
        schema: z.strictObject({ lateAfterS: z.number().int(), notices: z.array(UndeliveredNoticeItem) }),
      },
      handle: async ({ query, actor }) => {
        const outbox = ctx.outbox;
        if (!outbox) throw new TryghedError('unavailable', 'the notice outbox is not running here');
        const homeIds = homeFilter(actor.user, ctx.registry) ?? null;
        const rows = await outbox.undelivered({
          since: ctx.clock.now() - PERIOD_MS[query.period],
          homeIds,
          limit: query.limit,
        });
        for (const homeId of new Set(rows.map((r) => r.homeId).filter((h) => h !== null)))
          audit(ctx, actor, 'notices.list', homeId, purposeOf(actor.user.role), 'undelivered');
        return {
          lateAfterS: Math.round(outbox.lateMs / 1000),
          notices: rows.map((r) => ({
            id: r.id,
            ...channelParts(r.channel),
            alertId: r.alertId,
            homeId: r.homeId,
            homeLabel: r.homeId ? (ctx.registry.home(r.homeId)?.label ?? null) : null,
            state: r.state === 'given_up' ? ('given_up' as const) : ('pending' as const),
            attempts: r.attempts,
            since: r.createdAt,
            lateAt: r.createdAt + outbox.lateMs,
            detail: r.lastError,
          })),
        };
      },
    }),
  ];
}
