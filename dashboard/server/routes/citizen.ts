import { z } from 'zod';
import {
  CATEGORY_TEXTS,
  CONSENT_CATEGORIES,
  categoryOf,
  HomeId,
  PURPOSE_TEXTS,
  PURPOSES,
  SENSOR_NAMES,
  TECHNICAL_TEXT,
} from '../../../services/domain/index.ts';
import { forbidden, TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { AccessLogEntryView, CitizenAlertView, ErasureRequestView, OverviewView } from '../api/schemas.ts';
import { audit, type DashboardContext } from '../context.ts';
import { eraseCardDetails } from '../responder-card.ts';
import {
  accessLog,
  accessLogHome,
  consentHistory,
  homeAlertPage,
  OWN_DATA_ROLES,
  purposeOf,
  RECORD_ROLES,
  recordHome,
} from '../transparency.ts';
import { exportRoutes } from './citizen-export.ts';
import { powerOfAttorneyRoutes } from './powers-of-attorney.ts';

const HomeParams = z.object({ homeId: HomeId });

/**
 * The citizen's and relative's side: what is measured and why, consent with its information
 * texts, alerts, who looked, export and erasure. Every read and change is audited.
 */
export function citizenRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/overview',
      summary:
        'What is measured in the home and why, the consent now with its information texts, and its history',
      description:
        'For the citizen, their relatives (with a power of attorney), the home’s staff and administrators. ' +
        'Each purpose carries the versioned information text to show before a yes or no; send its version ' +
        'with the consent change.',
      tag: 'citizen',
      access: RECORD_ROLES,
      params: HomeParams,
      response: { status: 200, description: 'the overview', schema: OverviewView },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        audit(ctx, actor, 'home.overview', home.id, purposeOf(actor.user.role));
        const devices = ctx.registry.devicesOfHome(home.id);
        const sensorsOf = (category: string) =>
          devices.flatMap((d) =>
            d.kinds
              .filter((k) => categoryOf(k) === category)
              .map((kind) => ({ deviceId: d.id, kind, name: SENSOR_NAMES[kind] })),
          );
        const scope = ctx.consent.scope(home.id);
        return {
          home: { id: home.id, label: home.label, timezone: home.timezone },
          retentionDays: ctx.retentionDays ?? null,
          categories: CONSENT_CATEGORIES.map((category) => ({
            category,
            text: CATEGORY_TEXTS[category],
            sensors: sensorsOf(category),
            purposes: PURPOSES.map((purpose) => ({
              purpose,
              granted: scope[category][purpose],
              since: ctx.consent.changedAt(home.id, category, purpose),
              basis: ctx.consent.basis(home.id, category, purpose)?.basis ?? null,
              text: PURPOSE_TEXTS[category][purpose],
            })),
          })),
          technical: { text: TECHNICAL_TEXT, sensors: sensorsOf('technical') },
          consentHistory: await consentHistory(ctx, home.id),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/alerts',
      summary: "The home's care alerts, newest first, with outcome, note and who handled them",
      description:
        "The home's alert history: for the citizen, their relatives, the home's team and administrators. A page at a time with `limit` and the previous page's `next` as `before`.",
      tag: 'citizen',
      access: RECORD_ROLES,
      params: HomeParams,
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
        before: z
          .string()
          .max(200)
          .regex(/^\d{1,15}_[\w-]{1,100}$/, 'the `next` value of the previous page')
          .optional(),
      }),
      response: {
        status: 200,
        description: '`next` is the cursor for the following page, null on the last',
        schema: z.strictObject({ alerts: z.array(CitizenAlertView), next: z.string().nullable() }),
      },
      errors: ['not_found'],
      handle: async ({ params, query, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        audit(ctx, actor, 'alerts.read', home.id, purposeOf(actor.user.role));
        let before: { openedAt: number; id: string } | undefined;
        if (query.before) {
          const at = query.before.indexOf('_');
          before = { openedAt: Number(query.before.slice(0, at)), id: query.before.slice(at + 1) };
        }
        return homeAlertPage(ctx, actor.user, home.id, { limit: query.limit, ...(before ? { before } : {}) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/access-log',
      summary: "Who read or changed the home's data, with role and purpose, newest first",
      description:
        "For the citizen, their relatives and administrators; not staff, so colleagues cannot watch each other. The citizen's own reads are recorded but not shown back, nor the asking person's own; reads are recorded once per person, home, purpose and kind of read per 15 minutes.",
      tag: 'citizen',
      access: OWN_DATA_ROLES,
      params: HomeParams,
      response: {
        status: 200,
        description: 'the entries',
        schema: z.strictObject({ entries: z.array(AccessLogEntryView) }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = accessLogHome(ctx, actor.user, params.homeId);
        // Recorded before it is read, so a relative's look is itself in what the citizen sees;
        // once per 15 minutes per person, like every read (services/audit/read-log.ts).
        const at = ctx.clock.now();
        const purpose = purposeOf(actor.user.role);
        const read = { actorId: actor.user.id, homeId: home.id, purpose, action: 'access_log.read' };
        if (ctx.auditLog.shouldRecordRead(read, at))
          await ctx.auditLog.append({
            at,
            actorId: actor.user.id,
            actorRole: actor.user.role,
            action: 'access_log.read',
            homeId: home.id,
            purpose,
            detail: null,
          });
        return { entries: await accessLog(ctx, home.id, 500, actor.user.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/erasure-requests',
      summary: "Requests to erase the home's readings, and what came of each",
      tag: 'citizen',
      access: RECORD_ROLES,
      params: HomeParams,
      response: {
        status: 200,
        description: 'the requests, oldest first',
        schema: z.strictObject({ requests: z.array(ErasureRequestView) }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        audit(ctx, actor, 'erasure.list', home.id, purposeOf(actor.user.role));
        return { requests: await ctx.erasures.ofHome(home.id) };
      },
    }),
    /**
     * Erases the readings stored about the home, at once, and records who asked and how it went.
     * Alerts and their notes are the municipality's care record and are not erased here.
     */
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/erasure-requests',
      summary: "Erase the home's stored readings now, and record the request",
      description:
        "Carried out at once against the time-series store (what ingest still holds is written out first). Alerts and their notes are the municipality's care record and stay. The responder's card loses its phone numbers, contacts, key box and notes; its address stays while the home is served. A failed erasure is recorded too, and answered with 503.",
      tag: 'citizen',
      access: RECORD_ROLES,
      params: HomeParams,
      body: z.strictObject({}),
      response: {
        status: 201,
        description: 'the recorded request, carried out',
        schema: z.strictObject({ request: ErasureRequestView }),
      },
      errors: ['not_found', 'unavailable'],
      handle: async ({ params, actor }) => {
        const home = recordHome(ctx, actor.user, params.homeId);
        if (actor.user.role === 'staff' && !actor.user.teamIds.includes(home.teamId))
          throw forbidden("only staff of the home's team may pass on an erasure request");
        if (!ctx.eraseHomeReadings)
          throw new TryghedError('unavailable', 'no time-series store is connected');
        const requestedAt = ctx.clock.now();
        // the responder's card: phones, contacts, key box and notes go, the address stays (docs/architecture.md)
        await eraseCardDetails(ctx, actor, home.id);
        let result: 'erased' | 'failed' = 'erased';
        let detail: string | null = null;
        let failure: unknown;
        try {
          await ctx.eraseHomeReadings(home.id, requestedAt);
        } catch (err) {
          result = 'failed';
          detail = 'the time-series store did not answer; please try again later';
          failure = err; // logged once, as the cause of the 503, by the error handler
        }
        const request = await ctx.erasures.record({
          homeId: home.id,
          requestedBy: actor.user.id,
          requesterRole: actor.user.role,
          onBehalfOf: actor.user.role === 'citizen' ? null : `citizen:${home.id}`,
          scope: 'readings',
          requestedAt,
          completedAt: ctx.clock.now(),
          result,
          detail,
        });
        audit(ctx, actor, 'erasure.request', home.id, purposeOf(actor.user.role), `readings: ${result}`);
        if (result === 'failed')
          throw new TryghedError('unavailable', detail ?? 'erasure failed', { cause: failure });
        return { request };
      },
    }),
    ...exportRoutes(ctx),
    ...powerOfAttorneyRoutes(ctx),
  ];
}
