import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { z } from 'zod';
import type { AlertService, ChainTargets } from '../../services/alerts/index.ts';
import { AuditLog } from '../../services/audit/index.ts';
import { CareRecords } from '../../services/care-record/index.ts';
import type { ConsentRegistry } from '../../services/consent/index.ts';
import { ErasureLog } from '../../services/erasure/index.ts';
import type { PlatformBus } from '../../services/events/index.ts';
import type { HealthView } from '../../services/health/index.ts';
import type { Ingest } from '../../services/ingest/index.ts';
import type { NightRound } from '../../services/night-round/index.ts';
import { People } from '../../services/people/index.ts';
import type { Registry } from '../../services/registry/index.ts';
import { ResponderCards } from '../../services/responder-cards/index.ts';
import {
  type Clock,
  LogBudget,
  type Logger,
  type Metrics,
  REFUSAL_LINES_PER_WINDOW,
  REFUSAL_WINDOW_MS,
  StartError,
  systemClock,
  TryghedError,
} from '../../services/runtime/index.ts';
import type { Store } from '../../services/store/index.ts';
import type { ReadingStore } from '../../services/timeseries/index.ts';
import {
  type AnyApiRoute,
  declaredRoutes,
  defineRoute,
  mountedApiRoutes,
  mountRoutes,
  type OpenApiDocument,
  openApiDocumentInSlices,
} from './api/index.ts';
import { sessionRoutes } from './auth.ts';
import type { DashboardContext, GatewayPairingSource } from './context.ts';
import { errorHandler } from './http-errors.ts';
import { dataHeaders } from './http-headers.ts';
import { type IdentityProvider, LocalAccounts, type OidcSettings, OpenIdConnect } from './identity/index.ts';
import { listenHttp } from './listen.ts';
import { LiveChannel } from './live.ts';
import { LoginLimiter } from './login-limit.ts';
import { adminRoutes } from './routes/admin.ts';
import { administrationRoutes } from './routes/administration.ts';
import { alertRoutes } from './routes/alerts.ts';
import { brokerRoutes, type DeviceConnection } from './routes/broker.ts';
import { careRecordRoutes } from './routes/care-record.ts';
import { citizenRoutes } from './routes/citizen.ts';
import { consentNoticeRoutes } from './routes/consent-notices.ts';
import { deviceAttentionRoutes } from './routes/device-attention.ts';
import { deviceRoutes } from './routes/devices.ts';
import { gatewayPairingRoutes } from './routes/gateway-pairing.ts';
import { homeRoutes } from './routes/homes.ts';
import { nightRoundRoutes } from './routes/night-round.ts';
import { opsRoutes } from './routes/ops.ts';
import { oversightRoutes } from './routes/oversight.ts';
import { provisioningRoutes } from './routes/provisioning.ts';
import { readingRoutes } from './routes/readings.ts';
import { resolvedAlertRoutes } from './routes/resolved-alerts.ts';
import { responderCardRoutes } from './routes/responder-card.ts';
import { ruleSettingsRoutes } from './routes/rule-settings.ts';
import { statusRoutes } from './routes/status.ts';
import { undeliveredNoticeRoutes } from './routes/undelivered-notices.ts';
import { SessionStore } from './sessions.ts';
import type { SettingsInForceSource } from './settings-in-force.ts';
import { webRoutes } from './web.ts';

export { BatteryLevels } from './battery-levels.ts';
export type { DeviceConnection } from './device-connection.ts';
export { type OpsServer, startOpsServer } from './ops-server.ts';

export interface DashboardOptions {
  host: string;
  port: number;
  /**
   * the tables of the owners the dashboard builds (people, audit log, erasures, responder's cards,
   * sessions, login limits); no route sees them. Alerts, homes, devices and consent come through
   * their services below.
   */
  store: Pick<
    Store,
    'users' | 'teams' | 'audit' | 'erasures' | 'responderCards' | 'sessions' | 'loginLimits'
  >;
  registry: Registry;
  consent: ConsentRegistry;
  alerts: AlertService;
  /** the platform's bus: /live listens on it, sessions that end are said on it */
  events: PlatformBus;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  readiness: Record<string, () => Promise<boolean>>;
  /** bearer token for /metrics (and the checks on /readyz); empty or absent: /metrics is off */
  metricsToken?: string;
  /** origins allowed to open /live; default: the dashboard's own */
  allowedOrigins?: string[];
  /** always mark cookies Secure (HTTPS public URL); a request that came over HTTPS gets Secure anyway */
  secureCookies: boolean;
  /** reverse proxies whose X-Forwarded-* headers are believed (express `trust proxy`); default none */
  trustProxy?: string[];
  /** a session ends after this long without a request (default 30) */
  sessionIdleMinutes?: number;
  /** and this long after login, whatever happens (default 12) */
  sessionAbsoluteHours?: number;
  /** login with OpenID Connect; `redirectUrl` defaults to this dashboard's `/api/session/oidc/callback` */
  oidc?: Omit<OidcSettings, 'redirectUrl'> & { redirectUrl?: string };
  /** check each JSON response against the API document (tests); a mismatch is a logged 500 */
  checkResponses?: boolean;
  lastSeen?: (deviceId: string) => number | undefined;
  latestBattery?: DashboardContext['latestBattery'];
  reportedStatus?: DashboardContext['reportedStatus'];
  /** what gateways' pairing bundles hold; without it, pairing answers 503 */
  pairing?: GatewayPairingSource;
  /** the platform's health; staff see its degraded reasons on /api/status and /live */
  health?: HealthView;
  readings?: ReadingStore;
  ingest?: Pick<Ingest, 'handleMessage'>;
  remoteTestReading?: DashboardContext['remoteTestReading'];
  eraseHomeReadings?: (homeId: string, at: number) => Promise<void>;
  /** the night round; without it, its routes answer 503 */
  nightRound?: NightRound;
  retentionDays?: number;
  /** other WebSocket upgrades on this server, by exact path (MQTT over WebSocket on `MQTT_WS_PATH`) */
  upgrades?: Record<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  /** the broker's URLs, certificate fingerprint and CA (`GET /api/broker/connection`) */
  deviceConnection?: () => DeviceConnection;
  /** whether escalation has a fallback outside the dashboard; the board says so when it has none */
  fallback?: 'configured' | 'none';
  /** the notice outbox, for "ikke leveret" on the board and its list */
  outbox?: DashboardContext['outbox'];
  /** the chain's targets: answered within, reached within (ANSWER_TARGET_S, ARRIVAL_TARGET_MIN) */
  chainTargets?: ChainTargets;
  /** the escalation and notifier settings in force, for the administration page */
  settingsInForce?: SettingsInForceSource;
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  /** teams with at least one member connected to /live now */
  watchingTeams(): Set<string>;
  /** `METHOD /api/path` of every route express serves under /api, read from express itself */
  mountedApiRoutes(): string[];
  close(): Promise<void>;
}

/** express.json's limit; a larger body is a 413 naming the limit */
const BODY_LIMIT_BYTES = 64 * 1024;

const API_INFO = {
  title: 'Tryghed dashboard API',
  version: '1',
  description:
    "The people's edge of Tryghed: alerts, homes, consent, provisioning, sessions, and the citizen's own side (what is measured and why, who looked, export, erasure, powers of attorney). Errors are `{ error, message, issues? }`.",
};

/** The people's edge: REST API, ws /live and the web app, on one HTTP server. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const clock = o.clock ?? systemClock;
  // known once the server listens; only read when a login is started
  let ownUrl = '';
  const people = new People(o.store);
  const identity: IdentityProvider[] = [new LocalAccounts(people)];
  if (o.oidc) {
    const { redirectUrl, ...oidc } = o.oidc;
    identity.push(
      new OpenIdConnect(
        { ...oidc, redirectUrl: () => redirectUrl || `${ownUrl}/api/session/oidc/callback` },
        people,
        clock,
      ),
    );
  }
  const auditLog = new AuditLog(o.store);
  const ctx: DashboardContext = {
    people,
    auditLog,
    erasures: new ErasureLog(o.store),
    responderCards: new ResponderCards(o.store),
    loginLimiter: new LoginLimiter(o.store.loginLimits, clock, o.logger),
    registry: o.registry,
    consent: o.consent,
    alerts: o.alerts,
    careRecords: new CareRecords({
      alerts: o.alerts,
      consent: o.consent,
      registry: o.registry,
      people,
      auditLog,
      clock,
      logger: o.logger.child({ part: 'care-record' }),
      metrics: o.metrics,
    }),
    events: o.events,
    metrics: o.metrics,
    logger: o.logger,
    clock,
    secureCookies: o.secureCookies,
    identity,
    sessions: new SessionStore(
      o.store.sessions,
      clock,
      (o.sessionIdleMinutes ?? 30) * 60_000,
      (o.sessionAbsoluteHours ?? 12) * 3_600_000,
      o.logger,
      o.events,
    ),
    ...(o.lastSeen ? { lastSeen: o.lastSeen } : {}),
    ...(o.latestBattery ? { latestBattery: o.latestBattery } : {}),
    ...(o.reportedStatus ? { reportedStatus: o.reportedStatus } : {}),
    ...(o.pairing ? { pairing: o.pairing } : {}),
    ...(o.health ? { health: o.health } : {}),
    ...(o.readings ? { readings: o.readings } : {}),
    ...(o.ingest ? { ingest: o.ingest } : {}),
    ...(o.remoteTestReading ? { remoteTestReading: o.remoteTestReading } : {}),
    ...(o.eraseHomeReadings ? { eraseHomeReadings: o.eraseHomeReadings } : {}),
    ...(o.retentionDays ? { retentionDays: o.retentionDays } : {}),
    ...(o.nightRound ? { nightRound: o.nightRound } : {}),
    ...(o.deviceConnection ? { deviceConnection: o.deviceConnection } : {}),
    ...(o.fallback ? { fallback: o.fallback } : {}),
    ...(o.outbox ? { outbox: o.outbox } : {}),
    ...(o.chainTargets ? { chainTargets: o.chainTargets } : {}),
    ...(o.settingsInForce ? { settingsInForce: o.settingsInForce } : {}),
  };
  // Every /api route is declared here, once: the declarations mount, validate and document it.
  const routes: AnyApiRoute[] = [
    ...sessionRoutes(ctx),
    ...alertRoutes(ctx),
    ...resolvedAlertRoutes(ctx),
    ...careRecordRoutes(ctx),
    ...undeliveredNoticeRoutes(ctx),
    ...homeRoutes(ctx),
    ...adminRoutes(ctx),
    ...administrationRoutes(ctx),
    ...oversightRoutes(ctx),
    ...ruleSettingsRoutes(ctx),
    ...statusRoutes(ctx),
    ...brokerRoutes(ctx),
    ...deviceRoutes(ctx),
    ...deviceAttentionRoutes(ctx),
    ...gatewayPairingRoutes(ctx),
    ...readingRoutes(ctx),
    ...citizenRoutes(ctx),
    ...consentNoticeRoutes(ctx),
    ...provisioningRoutes(ctx),
    ...responderCardRoutes(ctx),
    ...nightRoundRoutes(ctx),
  ];
  // made when first asked for, a few routes per turn of the event loop (most of a second of CPU in
  // all): not at start, and never in one go while alarms are coming in
  let document: Promise<OpenApiDocument> | undefined;
  routes.push(
    defineRoute({
      method: 'get',
      path: '/api/openapi.json',
      summary: 'This document: every API route, generated from the schemas that validate it',
      tag: 'meta',
      access: 'public',
      response: {
        status: 200,
        description: 'OpenAPI 3.1',
        schema: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
      },
      handle: () => {
        document ??= openApiDocumentInSlices(routes, API_INFO).catch((err: unknown) => {
          document = undefined;
          throw err;
        });
        return document;
      },
    }),
  );

  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is whatever a client writes unless a proxy we know put it there: believing it from
  // anyone would let a client pick its own address, and with it a fresh login limit per request.
  app.set('trust proxy', o.trustProxy?.length ? o.trustProxy : false);
  app.use(['/api', '/healthz', '/readyz', '/metrics'], dataHeaders);
  // A route that declares a larger body is parsed first, with its own limit; the parser below skips it.
  for (const r of routes) if (r.bodyLimitBytes) app.use(r.path, express.json({ limit: r.bodyLimitBytes }));
  app.use(express.json({ limit: BODY_LIMIT_BYTES }));
  app.use(opsRoutes(ctx, o.readiness, o.metricsToken ?? ''));
  app.use(await webRoutes());
  app.use(mountRoutes(ctx, routes, { checkResponses: o.checkResponses ?? false }));
  app.use('/api', (_req, _res, next) => next(new TryghedError('not_found', 'no such API endpoint')));
  // anyone can send requests that are refused (no session, a made-up path): each is logged, up to a
  // budget per status and code; a flood is said in one line per window, so it cannot fill the log
  const refusalLines = new LogBudget({
    clock,
    perWindow: REFUSAL_LINES_PER_WINDOW,
    windowMs: REFUSAL_WINDOW_MS,
    summary: (statusAndCode, notLogged, windowMs) =>
      o.logger.info(
        {
          status: Number(statusAndCode.split(' ')[0]),
          code: statusAndCode.split(' ')[1],
          notLogged,
          windowS: windowMs / 1000,
        },
        'requests refused more than were logged one by one',
      ),
  });
  app.use(errorHandler(o.logger, BODY_LIMIT_BYTES, refusalLines));

  // A route mounted on express without a declaration would be served but undocumented: refuse to start.
  const declared = new Set(declaredRoutes(routes));
  const undeclared = mountedApiRoutes(app).filter((r) => !declared.has(r));
  if (undeclared.length > 0) {
    throw new StartError(`API routes mounted without a declaration: ${undeclared.join(', ')}`);
  }

  // sessions that ended while the platform was down are deleted now, not at the first sweep
  await ctx.sessions.start();
  const server: Server = createServer(app);
  let url: string;
  try {
    url = await listenHttp(server, { host: o.host, port: o.port, what: 'dashboard' });
  } catch (err) {
    await ctx.sessions.close();
    throw err;
  }
  const port = Number(new URL(url).port);
  ownUrl = url;
  const origins = o.allowedOrigins ?? [url, `http://localhost:${port}`];
  const upgrades = new Map(Object.entries(o.upgrades ?? {}));
  const live = new LiveChannel(ctx, server, () => origins, new Set(upgrades.keys()));
  live.start();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.get(new URL(req.url ?? '/', 'http://localhost').pathname)?.(req, socket, head);
  });
  o.logger.info({ url }, 'dashboard listening');

  return {
    url,
    port,
    watchingTeams: () => live.watchingTeams(),
    mountedApiRoutes: () => mountedApiRoutes(app),
    close: () =>
      new Promise<void>((resolve) => {
        live.stop();
        refusalLines.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => ctx.sessions.close()),
  };
}
