import { z } from 'zod';
import {
  AcknowledgeRequest,
  ALERT_STATES,
  type Alert,
  AlertState,
  ResolveRequest,
} from '../../../services/domain/index.ts';
import { notFound } from '../../../services/runtime/index.ts';
import { canHandleAlert, canSeeAlert, homeFilter } from '../access.ts';
import { alertView } from '../alert-view.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { AlertView, NotificationView } from '../api/schemas.ts';
import { type Actor, audit, type DashboardContext } from '../context.ts';
import { whileStoreAnswers } from '../store-down.ts';
import { purposeOf } from '../transparency.ts';

const AlertParams = z.object({ id: z.string().min(1).max(100) });
/** a responder's step carries nothing: who and when are the server's to know */
const NoBody = z.strictObject({});
const StateList = z
  .string()
  .regex(
    new RegExp(`^(${ALERT_STATES.join('|')})(,(${ALERT_STATES.join('|')}))*$`),
    `one or more of ${ALERT_STATES.join(', ')}, separated by commas`,
  );

export function alertRoutes(ctx: DashboardContext): AnyApiRoute[] {
  const withLabel = (alert: Alert) => alertView(ctx, alert);
  // An alert of another team is "not found", not "forbidden": ids must not reveal that it exists.
  const handled = async (id: string, actor: Actor) => {
    const alert = await ctx.alerts.get(id);
    if (!alert || !canHandleAlert(actor.user, alert, ctx.registry)) throw notFound('alert');
    return alert;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/alerts',
      summary: 'Alerts this person may see',
      tag: 'alerts',
      access: 'session',
      query: z.object({
        state: StateList.default('open,acknowledged').meta({
          description: 'comma-separated states; default open,acknowledged',
        }),
      }),
      response: {
        status: 200,
        description: 'the alerts',
        schema: z.strictObject({ alerts: z.array(AlertView) }),
      },
      handle: async ({ query, actor }) => {
        const homeIds = homeFilter(actor.user, ctx.registry);
        const alerts = await ctx.alerts.list({
          ...(homeIds ? { homeIds } : {}),
          states: query.state.split(',').map((s) => AlertState.parse(s)),
        });
        const visible = alerts.filter((a) => canSeeAlert(actor.user, a, ctx.registry));
        // A list of alerts is a read of each home's data in it: one audit entry per home shown.
        for (const homeId of new Set(visible.map((a) => a.homeId)))
          audit(ctx, actor, 'alerts.list', homeId, purposeOf(actor.user.role));
        return { alerts: await Promise.all(visible.map(withLabel)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/alerts/:id',
      summary: 'One alert with its notification attempts',
      tag: 'alerts',
      access: 'session',
      params: AlertParams,
      response: {
        status: 200,
        description: 'the alert',
        schema: z.strictObject({ alert: AlertView, notifications: z.array(NotificationView) }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const alert = await ctx.alerts.get(params.id);
        if (!alert || !canSeeAlert(actor.user, alert, ctx.registry)) throw notFound('alert');
        audit(ctx, actor, 'alert.read', alert.homeId, purposeOf(actor.user.role), alert.id);
        return { alert: await withLabel(alert), notifications: await ctx.alerts.notifications(alert.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/alerts/:id/acknowledge',
      summary: "Acknowledge an alert: I'm on it",
      tag: 'alerts',
      access: 'session',
      params: AlertParams,
      body: AcknowledgeRequest,
      response: {
        status: 200,
        description: 'the acknowledged alert',
        schema: z.strictObject({ alert: AlertView }),
      },
      errors: ['not_found', 'conflict', 'unavailable'],
      handle: async ({ params, body, actor }) => {
        const { alert, changed } = await whileStoreAnswers(async () => {
          const alert = await handled(params.id, actor);
          const user = { id: actor.user.id, role: actor.user.role };
          return { alert, changed: await ctx.alerts.acknowledge(alert.id, user, body) };
        });
        audit(ctx, actor, 'alert.acknowledge', alert.homeId, 'care', alert.id);
        return { alert: await withLabel(changed) };
      },
    }),
    ...(
      [
        {
          step: 'en-route',
          summary: '"På vej": I am setting out to the home (also acknowledges an open alert)',
          action: 'alert.en_route',
          run: (id: string, actor: Actor) =>
            ctx.alerts.setOut(id, { id: actor.user.id, role: actor.user.role }),
        },
        {
          step: 'arrived',
          summary: '"Fremme": I am at the home (also acknowledges an open alert)',
          action: 'alert.arrived',
          run: (id: string, actor: Actor) =>
            ctx.alerts.arrive(id, { id: actor.user.id, role: actor.user.role }),
        },
      ] as const
    ).map(({ step, summary, action, run }) =>
      defineRoute({
        method: 'post',
        path: `/api/alerts/:id/${step}`,
        summary,
        description:
          "One tap by the responder. Who and when are taken from the session and the server's clock; the body must be empty (a time or person sent by the client is refused, never used). A second tap changes nothing and answers with the alert as it is; a resolved alert answers 409 `alert_already_resolved`.",
        tag: 'alerts',
        access: 'session',
        params: AlertParams,
        body: NoBody,
        response: {
          status: 200,
          description: 'the alert after the step',
          schema: z.strictObject({ alert: AlertView }),
        },
        errors: ['not_found', 'conflict', 'unavailable'],
        handle: async ({ params, actor }) => {
          const { alert, changed } = await whileStoreAnswers(async () => {
            const alert = await handled(params.id, actor);
            return { alert, changed: await run(alert.id, actor) };
          });
          const before = `${alert.enRouteAt}|${alert.arrivedAt}`;
          // a repeated tap changed nothing, and is not a second entry in the home's log
          if (`${changed.enRouteAt}|${changed.arrivedAt}` !== before)
            audit(ctx, actor, action, alert.homeId, 'care', alert.id);
          return { alert: await withLabel(changed) };
        },
      }),
    ),
    defineRoute({
      method: 'post',
      path: '/api/alerts/:id/resolve',
      summary: 'Resolve an alert with an outcome and a short note',
      tag: 'alerts',
      access: 'session',
      params: AlertParams,
      body: ResolveRequest,
      response: {
        status: 200,
        description: 'the resolved alert',
        schema: z.strictObject({ alert: AlertView }),
      },
      errors: ['not_found', 'conflict', 'unavailable'],
      handle: async ({ params, body, actor }) => {
        const { alert, changed } = await whileStoreAnswers(async () => {
          const alert = await handled(params.id, actor);
          const user = { id: actor.user.id, role: actor.user.role };
          return { alert, changed: await ctx.alerts.resolve(alert.id, user, body) };
        });
        audit(ctx, actor, 'alert.resolve', alert.homeId, 'care', alert.id);
        return { alert: await withLabel(changed) };
      },
    }),
  ];
}
