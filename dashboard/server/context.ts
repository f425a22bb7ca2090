import type { AlertService, ChainTargets } from '../../services/alerts/index.ts';
import { type AuditLog, isRead } from '../../services/audit/index.ts';
import type { CareRecords } from '../../services/care-record/index.ts';
import type { ConsentRegistry } from '../../services/consent/index.ts';
import type { SensorKind, User } from '../../services/domain/index.ts';
import type { ErasureLog } from '../../services/erasure/index.ts';
import type { PlatformBus } from '../../services/events/index.ts';
import type { HealthView } from '../../services/health/index.ts';
import type { Ingest } from '../../services/ingest/index.ts';
import type { NightRound } from '../../services/night-round/index.ts';
import type { NoticeOutbox } from '../../services/outbox/index.ts';
import type { People } from '../../services/people/index.ts';
import type { Registry } from '../../services/registry/index.ts';
import type { ResponderCards } from '../../services/responder-cards/index.ts';
import type { Clock, Logger, Metrics } from '../../services/runtime/index.ts';
import type { ReadingStore } from '../../services/timeseries/index.ts';
import type { DeviceConnection } from './device-connection.ts';
import type { IdentityProvider } from './identity/index.ts';
import type { LoginLimiter } from './login-limit.ts';
import type { SessionStore } from './sessions.ts';
import type { SettingsInForceSource } from './settings-in-force.ts';

/** The platform's side of a gateway's pairing bundle. */
export interface GatewayPairingSource {
  /** the URLs a home's gateway may use, best (TLS) first */
  urls(): string[];
  /** PEM of the CA a gateway must trust to verify the platform; null without TLS or with a public CA */
  ca(): string | null;
  /** (re)publishes the home's retained config, so a newly paired gateway learns its scope at once */
  announce(homeId: string): Promise<void>;
}

/** A test reading run by another process's ingest: its result (accepted, reasons refused), or null. */
export type RemoteTestReading = (request: {
  homeId: string;
  deviceId: string;
  reading: { kind: SensorKind; value: number | boolean; ts: number; seq: number };
}) => Promise<{ accepted: number; rejected: string[] } | null>;

/** What every route needs, handed over once. */
export interface DashboardContext {
  /** users and teams; the dashboard never touches the store's tables itself (docs/architecture.md) */
  people: People;
  /** the audit log, and the access log the citizen reads from it */
  auditLog: AuditLog;
  /** the record of erasure requests */
  erasures: ErasureLog;
  responderCards: ResponderCards;
  /** password guessing limits, one per dashboard, shared by login and password change */
  loginLimiter: LoginLimiter;
  registry: Registry;
  consent: ConsentRegistry;
  alerts: AlertService;
  /** handled alerts as FHIR documents for the care record (consent checked, validated); absent, 503 */
  careRecords?: CareRecords;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** the platform's bus: alert, consent, health, test-mode and session events */
  events: PlatformBus;
  sessions: SessionStore;
  /** the ways to log in, in the order the login page offers them */
  identity: IdentityProvider[];
  /** always mark cookies Secure (an HTTPS public URL); they are also Secure on a request that came over HTTPS */
  secureCookies: boolean;
  /** the platform's degraded reasons, shown to staff; absent means none are tracked */
  health?: HealthView;
  /** when a device was last heard from, if the broker knows */
  lastSeen?: (deviceId: string) => number | undefined;
  /** the latest battery level a device reported since start (dashboard/server/battery-levels.ts) */
  latestBattery?: (deviceId: string) => { value: number; ts: number } | undefined;
  /** the latest status a device (or its gateway) reported on its status topic */
  reportedStatus?: (deviceId: string) => { online: boolean; receivedAt: number } | undefined;
  /** what a gateway's pairing bundle holds about the platform; absent, pairing answers 503 */
  pairing?: GatewayPairingSource;
  /** InfluxDB: charts and battery levels, and the citizen's export; without it those endpoints answer 503 */
  readings?: ReadingStore;
  /** the real ingest path, for a technician's test readings */
  ingest?: Pick<Ingest, 'handleMessage'>;
  /**
   * without ingest here: a broker+ingest process runs the test reading (over the cluster link) and
   * says what its ingest did; null when none answered
   */
  remoteTestReading?: RemoteTestReading;
  /** erases every stored reading of a home, including any ingest still holds; absent, erasure answers 503 */
  eraseHomeReadings?: (homeId: string, at: number) => Promise<void>;
  /** the night round (issue 13 point 4); absent, its routes answer 503 */
  nightRound?: NightRound;
  /** how long readings are kept, told to the citizen */
  retentionDays?: number;
  /** the broker's URLs, certificate fingerprint and CA, for technicians pairing gateways */
  deviceConnection?: () => DeviceConnection;
  /** the notice outbox: what was not delivered in time ("ikke leveret"); absent, none is shown */
  outbox?: Pick<NoticeOutbox, 'undelivered' | 'notDelivered' | 'lateMs'>;
  /** whether a fallback outside the dashboard is set up (webhook or SMS); absent means none */
  fallback?: 'configured' | 'none';
  /** answered within, reached within (ANSWER_TARGET_S, ARRIVAL_TARGET_MIN); absent, the defaults */
  chainTargets?: ChainTargets;
  /** the escalation and notifier settings in force, shown to administrators; absent, that view answers 503 */
  settingsInForce?: SettingsInForceSource;
}

export interface Actor {
  user: User;
  sessionId: string;
}

/** Appends to the audit log: every read of a home's data and every change, with its purpose. */
export function audit(
  ctx: DashboardContext,
  actor: Actor,
  action: string,
  homeId: string | null,
  purpose: string,
  detail: string | null = null,
): void {
  const at = ctx.clock.now();
  // a read already recorded for this person, home and purpose in the last 15 minutes is not written again
  if (
    isRead(action) &&
    !ctx.auditLog.shouldRecordRead({ actorId: actor.user.id, homeId, purpose, action }, at)
  )
    return;
  ctx.auditLog
    .append({
      at,
      actorId: actor.user.id,
      actorRole: actor.user.role,
      action,
      homeId,
      purpose,
      detail,
    })
    .catch((err: unknown) => ctx.logger.error({ err, action }, 'writing the audit log failed'));
}
