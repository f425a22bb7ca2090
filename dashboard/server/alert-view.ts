import { DEFAULT_CHAIN_TARGETS } from '../../services/alerts/index.ts';
import {
  type Alert,
  type AlertDelivery,
  deliveryChannels,
  type NotificationAttempt,
  type UndeliveredNotice,
} from '../../services/domain/index.ts';
import { channelParts } from '../../services/outbox/index.ts';
import type { DashboardContext } from './context.ts';

/** An alert as people see it: with the home's label and what was really done to reach someone. */
export type AlertViewModel = Alert & {
  homeLabel: string;
  delivery: AlertDelivery;
  /** the home's team, so a worker in several teams sees whose alert it is */
  team: { id: string; name: string };
  /**
   * who said "I'm on it", by display name. Alert views go only to those who may handle the alert
   * (its team, administrators; technicians for technical ones), never to citizens, and nothing
   * counts or ranks them per person.
   */
  acknowledgedByName: string | null;
  /** who set out ("på vej") and who arrived ("fremme"), by display name, shown as above */
  enRouteByName: string | null;
  arrivedByName: string | null;
  /**
   * when the arrival target passes for a care alert nobody has reached yet (not resolved, no
   * "fremme"); null otherwise. The board marks the alert overdue after it, in words.
   */
  arrivalDueAt: number | null;
};

/**
 * The board must never claim more than happened (issue 7 item 11): the delivery lines come from
 * the attempts recorded on the alert (`alert_notifications`), and `fallback` says whether any way
 * out of the dashboard is set up at all. A store that cannot answer leaves the lines empty rather
 * than failing the whole view: the alert itself matters more.
 */
export async function alertView(ctx: DashboardContext, alert: Alert): Promise<AlertViewModel> {
  const [attempts, undelivered] = await Promise.all([
    ctx.alerts.notifications(alert.id).catch((err: unknown) => {
      ctx.logger.error({ err, alertId: alert.id }, 'could not read notification attempts');
      return [];
    }),
    undeliveredNotices(ctx, alert.id),
  ]);
  const home = ctx.registry.home(alert.homeId);
  const teamId = home?.teamId ?? '';
  // the same person usually taps all three: each person is asked for once
  const asked = new Map<string, Promise<string | null>>();
  const nameOf = (id: string | null): Promise<string | null> | null => {
    if (!id) return null;
    let name = asked.get(id);
    if (!name) {
      name = ctx.people.user(id).then(
        (u) => u?.displayName ?? null,
        () => null,
      );
      asked.set(id, name);
    }
    return name;
  };
  const [team, acknowledger, enRouteBy, arrivedBy] = await Promise.all([
    teamId ? teamName(ctx, teamId) : null,
    nameOf(alert.acknowledgedBy),
    nameOf(alert.enRouteBy),
    nameOf(alert.arrivedBy),
  ]);
  return buildView(
    ctx,
    alert,
    attempts,
    teamId,
    team,
    {
      acknowledgedByName: acknowledger,
      enRouteByName: enRouteBy,
      arrivedByName: arrivedBy,
    },
    undelivered,
  );
}

/**
 * The alert's notices the outbox has not delivered, with when each counts as late. The board
 * marks them "Besked ikke leveret" from then on by its own clock, and hears again (a `notified`
 * event) when a try is made, so a notice delivered late stops being shown.
 */
async function undeliveredNotices(ctx: DashboardContext, alertId: string): Promise<UndeliveredNotice[]> {
  const outbox = ctx.outbox;
  if (!outbox) return [];
  const rows = await outbox.notDelivered(alertId).catch((err: unknown) => {
    ctx.logger.error({ err, alertId }, 'could not read the notice outbox');
    return [];
  });
  return rows
    .map((r) => ({
      ...channelParts(r.channel),
      since: r.createdAt,
      lateAt: r.createdAt + outbox.lateMs,
      givenUp: r.state === 'given_up',
      attempts: r.attempts,
      detail: r.lastError,
    }))
    .sort((x, y) => x.since - y.since);
}

/** Who took each step of the chain, by display name. */
type ChainNames = Pick<AlertViewModel, 'acknowledgedByName' | 'enRouteByName' | 'arrivedByName'>;

/**
 * The view of an alert just opened, built without waiting for anything, or null when something
 * must be read first (the team's name the first time it is seen, or anyone who took a step). Nothing
 * has been tried yet to reach anyone about a new alert (its id did not exist before the store wrote
 * it) and nobody has taken it on, so the delivery lines are empty: what is true at the moment it is
 * shown. A later `notified` event carries the lines read from the store.
 */
export function openedAlertView(ctx: DashboardContext, alert: Alert): AlertViewModel | null {
  if (alert.acknowledgedBy || alert.enRouteBy || alert.arrivedBy) return null;
  const teamId = ctx.registry.home(alert.homeId)?.teamId ?? '';
  const team = teamId ? teamNames.get(ctx)?.get(teamId) : null;
  if (team === undefined) return null;
  return buildView(
    ctx,
    alert,
    [],
    teamId,
    team,
    { acknowledgedByName: null, enRouteByName: null, arrivedByName: null },
    [],
  );
}

function buildView(
  ctx: DashboardContext,
  alert: Alert,
  attempts: readonly NotificationAttempt[],
  teamId: string,
  team: string | null,
  names: ChainNames,
  undelivered: UndeliveredNotice[],
): AlertViewModel {
  const arriveWithinS = (ctx.chainTargets ?? DEFAULT_CHAIN_TARGETS).arriveWithinS;
  const waiting = alert.audience === 'care' && alert.state !== 'resolved' && alert.arrivedAt === null;
  // the row version is the store's business, not the board's
  const { version: _version, ...shown } = alert;
  return {
    ...shown,
    homeLabel: ctx.registry.home(alert.homeId)?.label ?? alert.homeId,
    delivery: { fallback: ctx.fallback ?? 'none', channels: deliveryChannels(attempts), undelivered },
    team: { id: teamId, name: team ?? teamId },
    ...names,
    arrivalDueAt: waiting ? alert.openedAt + arriveWithinS * 1000 : null,
  };
}

/**
 * Team names, read once per dashboard: a list of thousands of alerts (a technician's board in an
 * outage) must not read the same few teams thousands of times. Teams are created, never renamed;
 * a team not found is asked again next time.
 */
const teamNames = new WeakMap<DashboardContext, Map<string, string>>();

async function teamName(ctx: DashboardContext, teamId: string): Promise<string | null> {
  let names = teamNames.get(ctx);
  if (!names) {
    names = new Map();
    teamNames.set(ctx, names);
  }
  const known = names.get(teamId);
  if (known !== undefined) return known;
  const team = await ctx.people.team(teamId).catch(() => null);
  if (team) names.set(teamId, team.name);
  return team?.name ?? null;
}
