import type { ConsentCategory } from './sensor-kinds.ts';

/**
 * The messages of the ws `/live` channel, described once for the server that builds them and the
 * browser that reads them (no zod here: this folder goes into the browser bundle). The server sends
 * JSON of `LiveServerMessage`; the browser narrows it by `type`. What a browser sends when it
 * connects is `LiveConnectQuery`, which the server validates with a zod schema checked at compile
 * time to be this type (dashboard/server/live-schema.ts).
 *
 * The alert in an `alert` message is the same view `GET /api/alerts` answers with; its shape is the
 * API document's (a type parameter here, so this folder need not repeat the API's schema).
 */

/** what happened to an alert (services/domain AlertEvent['type']) */
export const LIVE_ALERT_EVENTS = [
  'opened',
  'repeated',
  'acknowledged',
  'en_route',
  'arrived',
  'resolved',
  'escalated',
  'notified',
] as const;
export type LiveAlertEvent = (typeof LIVE_ALERT_EVENTS)[number];

/** the logged-in person, as the first message names them */
export interface LiveUser {
  id: string;
  username: string;
  displayName: string;
  role: 'staff' | 'technician' | 'admin' | 'citizen' | 'relative';
  teamIds: string[];
  homeId: string | null;
  mustChangePassword: boolean;
}

/** first message on every (re)connect: from which seq the feed continues */
export interface LiveHello {
  type: 'hello';
  user: LiveUser;
  /** the last alert event stored when the feed started */
  lastSeq: number;
  /** whether anything outside the board is set up to catch escalated alerts */
  fallback: 'configured' | 'none';
}

/** an alert event, in seq order, each once */
export interface LiveAlertMessage<TAlert> {
  type: 'alert';
  seq: number;
  event: LiveAlertEvent;
  alert: TAlert;
}

/** the platform's degraded reasons (empty when healthy), after hello and on every change */
export interface LivePlatform {
  type: 'platform';
  degraded: string[];
}

/** a kind of alert a home has switched off (services/consent AlertsOff) */
export interface LiveAlertsOff {
  category: ConsentCategory;
  /** epoch ms of the withdrawal */
  since: number;
  /** the role of whoever recorded it: citizen, relative, staff, admin, system */
  actorRole: string;
  /** recorded for the citizen by someone else */
  onBehalfOfCitizen: boolean;
  channel: 'web' | 'paper' | 'phone' | 'in_person' | 'system';
}

/** a home's alerts consent changed: every kind of alert that is off there now */
export interface LiveConsent {
  type: 'consent';
  homeId: string;
  homeLabel: string;
  alertsOff: LiveAlertsOff[];
}

/** a home's test mode started, changed or ended: `until` null and no devices once it is over */
export interface LiveTestMode {
  type: 'test_mode';
  homeId: string;
  homeLabel: string;
  until: number | null;
  devices: Array<{ id: string; until: number }>;
}

/** every message the server sends on /live */
export type LiveServerMessage<TAlert> =
  | LiveHello
  | LiveAlertMessage<TAlert>
  | LivePlatform
  | LiveConsent
  | LiveTestMode;

export type LiveMessageType = LiveServerMessage<unknown>['type'];

/** what a browser sends: `/live?since=<the last seq it saw>` to resume after a drop */
export interface LiveConnectQuery {
  since?: number;
}

/** the query string of a `/live` URL */
export function liveQueryString(query: LiveConnectQuery): string {
  return query.since === undefined ? '' : `?since=${query.since}`;
}
