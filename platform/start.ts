import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { BrokerEndpoints, DeviceBroker } from '../broker/index.ts';
import {
  BatteryLevels,
  type Dashboard,
  type DeviceConnection,
  startDashboard,
  startOpsServer,
} from '../dashboard/server/index.ts';
import { AlertService } from '../services/alerts/index.ts';
import { ReportedAvailability } from '../services/availability/index.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import { ErasureLog } from '../services/erasure/index.ts';

import { EscalationService } from '../services/escalation/index.ts';
import {
  type ClusterLink,
  createPlatformBus,
  isRemoteEvent,
  openClusterLink,
  type PlatformBus,
} from '../services/events/index.ts';
import { PlatformHealth, ReachabilityWatch } from '../services/health/index.ts';
import type { Ingest } from '../services/ingest/index.ts';
import { NightRound } from '../services/night-round/index.ts';
import { NoticeOutbox } from '../services/outbox/index.ts';
import { ShardLeases } from '../services/ownership/index.ts';
import { People } from '../services/people/index.ts';
import { openTeamPresence, type TeamPresence } from '../services/presence/index.ts';
import { Registry } from '../services/registry/index.ts';
import { ResponderCards } from '../services/responder-cards/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import {
  type Clock,
  DeviceSecretHasher,
  type Logger,
  loadDeviceSecretKey,
  logOutputOf,
  Metrics,
  StartError,
  systemClock,
} from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import type { ReadingStore } from '../services/timeseries/index.ts';
import { localProvisioner, startDemo } from '../simulators/index.ts';
import { ensureAdmin, ensureDemoUsers } from './bootstrap.ts';
import { startCareRecordPush } from './care-record.ts';
import { followOtherProcesses } from './cluster-sync.ts';
import type { Config, Role } from './config.ts';
import { type DeviceEdge, startDeviceEdge } from './device-edge.ts';
import { ERASURE_CATCH_UP_EVERY_MS, followErasures } from './erasure-follow.ts';
import type { LocalInfluxd } from './influxd.ts';
import { buildNotifiers, fallbackConfigured, outboxRetry } from './notifiers.ts';
import { openReadingsBackend } from './readings-backend.ts';
import { remoteTestReadings, serveRemoteTestReadings } from './remote-test-reading.ts';
import { settingsInForce } from './settings-in-force.ts';

export interface Platform {
  readonly config: Config;
  readonly dashboardUrl: string;
  /** the plain MQTT URL, or the TLS one when plain MQTT is off */
  readonly mqttUrl: string;
  /** every door devices may use; `webSocketPath` is MQTT over WebSocket on the dashboard's port */
  readonly mqttEndpoints: BrokerEndpoints & { webSocketPath: string | null };
  /**
   * MQTT over TLS, for a gateway's pairing bundle: its URL, the PEM it must trust (`caPem`: the
   * self-signed certificate, or the chain in MQTT_TLS_CERT) and the certificate's SHA-256
   * fingerprint. Null when TLS is off.
   */
  readonly mqttTls: MqttTlsInfo | null;
  /**
   * the parts this process runs (`ROLES`, `tryghed start --roles`); asking for a part it does not
   * run (`rules`, `ingest`, `broker`, `dashboard`, …) throws, naming the role
   */
  readonly roles: readonly Role[];
  /** without the dashboard role: the small HTTP server for /healthz, /readyz and /metrics */
  readonly opsUrl: string | null;
  readonly store: Store;
  readonly registry: Registry;
  readonly consent: ConsentRegistry;
  readonly alerts: AlertService;
  readonly rules: RuleEngine;
  readonly ingest: Ingest;
  readonly readings: ReadingStore;
  readonly broker: DeviceBroker;
  readonly dashboard: Dashboard;
  readonly metrics: Metrics;
  /** the one bus the parts talk over (services/events) */
  readonly events: PlatformBus;
  readonly health: PlatformHealth;
  readonly escalation: EscalationService;
  /** notices outside the dashboard, kept until delivered or given up */
  readonly outbox: NoticeOutbox;
  readonly nightRound: NightRound;
  /** the bus stretched over every process on one Redis (REDIS_URL); null without Redis */
  readonly link: ClusterLink | null;
  /** who runs which homes' rules and escalation, when several processes share PostgreSQL; null on SQLite (this process runs every home) */
  readonly ownership: ShardLeases | null;
  /** which teams watch a board on any process (REDIS_URL); null without Redis (this process's board only) */
  readonly presence: TeamPresence | null;
  /** things an operator must know at start (say, no fallback notifier configured) */
  readonly warnings: string[];
  /** set once, on the first start on an empty database without ADMIN_PASSWORD */
  readonly generatedAdminPassword: string | null;
  close(): Promise<void>;
}

export interface MqttTlsInfo {
  url: string;
  caPem: string;
  fingerprint256: string;
  selfSigned: boolean;
  certPath: string;
  validTo: string;
}

/** The rules' tick may run this late (ms) before the platform counts as degraded. */
const RULES_LAG_LIMIT_MS = 5000;
const HEALTH_INTERVAL_MS = 1000;
/** The store must answer a ping within this long (ms), or the platform counts as degraded. */
const STORE_PING_TIMEOUT_MS = 2000;
const ESCALATION_TICK_MS = 1000;
/** On a failed start, each opened part gets this long to close before start gives up on it. */
const START_FAILURE_CLOSE_MS = 1500;

async function closeWithin(close: () => Promise<void> | void, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a part did not close within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(close), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything in one process: store, registries, InfluxDB (started locally when needed), ingest,
 * rules, alerts, the device broker and the dashboard. Parts are started inside-out and stopped
 * outside-in, so no reading arrives at a part that is not running.
 */
export async function startPlatform(
  config: Config,
  options: {
    logger: Logger;
    clock?: Clock;
    metrics?: Metrics;
    /** check every API response against the OpenAPI document (tests) */
    checkResponses?: boolean;
  },
): Promise<Platform> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new Metrics();
  // The parts this process runs (docs/operations.md, "Roles"); all of them unless ROLES says less.
  const runs = (role: Role) => config.roles.includes(role);
  // Each part that started, with what stops it: stopped in reverse order, outside-in.
  const closers: Array<{ part: string; close: () => Promise<void> | void }> = [];
  const started = (part: string, close: () => Promise<void> | void) => {
    closers.push({ part, close });
    logger.debug({ started: part }, 'part started');
  };
  const closeAll = async (deadlineMs?: number) => {
    for (const { part, close } of closers.splice(0).reverse()) {
      try {
        await (deadlineMs === undefined ? close() : closeWithin(close, deadlineMs));
        logger.debug({ stopped: part }, 'part stopped');
      } catch (err) {
        logger.warn({ err, part }, 'error while stopping');
      }
    }
  };
  // The parts talk over one bus: a failing listener is logged and counted, the others still hear.
  const events = createPlatformBus({ logger: logger.child({ part: 'events' }), metrics });
  // log lines the output did not take in time (its reader stalled): dropped, never waited for
  const logOutput = logOutputOf(logger);
  if (logOutput) {
    const droppedLines = metrics.counter(
      'tryghed_log_lines_dropped_total',
      'Log lines dropped because the log output was not read in time (LOG_BUFFER_BYTES was full)',
    );
    started(
      'log output',
      logOutput.onDrop(() => droppedLines.inc()),
    );
  }

  try {
    // PostgreSQL when DATABASE_URL is set (several processes share it); else the embedded SQLite file
    const store = await openStore(
      config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqlitePath: config.sqlitePath },
      { clock },
    );
    logger.info({ store: store.kind }, 'store open');
    started('store', () => store.close());
    const sqliteLog = store.sqliteLog;
    if (sqliteLog) {
      metrics.sampled(
        'tryghed_store_wal_bytes',
        "Bytes in the SQLite store's write-ahead log: grows when its checkpoints cannot keep up",
        () => sqliteLog().walBytes,
      );
      metrics.sampled(
        'tryghed_store_checkpointer_fell_back',
        '1 when the SQLite checkpoint worker stopped and commits checkpoint on the main thread again',
        () => (sqliteLog().fellBack ? 1 : 0),
      );
    }
    // Several processes on one Redis tell each other what happened (services/events/cluster-link.ts).
    // Opened before the caches are read from the store: it reads on from where the stream stood now,
    // so a change made elsewhere while this process loads is not missed.
    const link = config.redisUrl
      ? await openClusterLink({
          redisUrl: config.redisUrl,
          bus: events,
          logger: logger.child({ part: 'cluster-link' }),
          metrics,
        })
      : null;
    if (link) started('cluster-link', () => link.close());
    // Device secrets are checked with a keyed hash; the key is never in the database.
    const deviceKey = loadDeviceSecretKey({ setting: config.deviceSecretKey, dataDir: config.dataDir });
    for (const warning of deviceKey.warnings) logger.warn(warning);
    if (deviceKey.source === 'created') logger.info({ path: deviceKey.path }, 'device secret key created');
    const registry = await Registry.load(store, {
      deviceSecrets: new DeviceSecretHasher(deviceKey.key),
      events,
    });
    const people = new People(store);
    const consent = await ConsentRegistry.load(
      store,
      registry,
      logger.child({ part: 'consent' }),
      clock,
      events,
    );

    if (link)
      started(
        'cluster-follow',
        followOtherProcesses({ link, registry, consent, logger: logger.child({ part: 'cluster-link' }) }),
      );

    const health = new PlatformHealth(logger.child({ part: 'health' }), metrics, events);
    if (link) health.addCheck('events_link_down', () => !link.connected());

    // InfluxDB: ingest writes the readings, the dashboard reads them; the rules need none
    const backend: { readings: ReadingStore; influxd: LocalInfluxd | null } | null =
      runs('ingest') || runs('dashboard')
        ? await openReadingsBackend(config, logger.child({ part: 'timeseries' }), clock)
        : null;
    if (backend?.influxd) started('influxd', () => backend.influxd?.stop());
    if (backend) started('readings', () => backend.readings.close());
    const readings = backend?.readings ?? null;

    const alerts = new AlertService({
      store,
      consent,
      registry,
      clock,
      logger: logger.child({ part: 'alerts' }),
      metrics,
      events,
    });
    started('alerts', () => alerts.stop()); // repeats counted but not yet written
    // alerts raised while the store was unreachable: shown to staff, kept in memory, retried
    health.addCheck('alerts_not_stored', () => alerts.unsavedCount() > 0);
    const storeWatch = new ReachabilityWatch(() => store.ping(), {
      intervalMs: HEALTH_INTERVAL_MS,
      timeoutMs: STORE_PING_TIMEOUT_MS,
    });
    storeWatch.start();
    started('store-watch', () => storeWatch.stop());
    health.addCheck('store_down', () => storeWatch.down());
    // On PostgreSQL several processes may share the store: each home's rules and escalation then
    // have one owner at a time, by shard lease (services/ownership). On SQLite this process is alone.
    // Only a process that runs the rules takes leases: else it would own homes nobody watches.
    const ownership =
      store.kind === 'postgres' && runs('rules')
        ? new ShardLeases({
            store,
            clock,
            metrics,
            ttlMs: config.leaseTtlMs,
            cycleMs: config.leaseCycleMs,
            logger: logger.child({ part: 'ownership' }),
          })
        : null;
    const rules = runs('rules')
      ? new RuleEngine({
          ...(ownership ? { ownership } : {}),
          registry,
          consent,
          clock,
          metrics,
          logger: logger.child({ part: 'rules' }),
          events,
          // rule state outlives the process: written after each tick, loaded here before start
          store,
          onCandidate: (candidate) => {
            alerts
              .raise(candidate)
              .catch((err: unknown) =>
                logger.error({ err, rule: candidate.rule }, 'raising an alert failed'),
              );
          },
        })
      : null;
    if (rules) {
      // hears readings (first, before anything else: the alarm path) and devices from the bus
      if (!ownership) await rules.restore();
      rules.start(config.rulesTickMs);
      rules.follow();
      started('rules', async () => {
        rules.stop();
        await rules.saveState();
      });
    }
    // the night round (issue 13 point 4): hears readings before ingest starts, escalates by the
    // clock where the rules run; the dashboard shows the round
    const nightRound =
      runs('rules') || runs('dashboard')
        ? await NightRound.load({
            store,
            registry,
            consent,
            raise: (candidate) => alerts.raise(candidate),
            events,
            clock,
            logger: logger.child({ part: 'night-round' }),
            metrics,
            lookWithinMs: config.nightRoundLookMin * 60_000,
          })
        : null;
    if (nightRound) {
      nightRound.start(undefined, { escalate: runs('rules') });
      started('night-round', () => nightRound.stop());
    }
    if (ownership) {
      // the first cycle takes this process's share (every shard when alone), loading their state;
      // stopping saves and releases them first, so another process takes over at once
      await ownership.start();
      started('ownership', () => ownership.stop());
    }
    if (rules) {
      health.addCheck('rules_lagging', () => rules.tickLagMs() > RULES_LAG_LIMIT_MS);
      // half the sensors silent at once: the platform cannot hear homes, so their alarms cannot come
      health.addCheck('devices_silent', () => rules.devicesSilent());
    }

    const batteryLevels = new BatteryLevels();
    started(
      'battery-levels',
      events.on('reading/accepted', (reading) => batteryLevels.record(reading)),
    );
    // when each device was last heard by any process (the broker knows only its own connections)
    const heard = new Map<string, number>();
    started(
      'last-heard',
      events.on('device/heard', ({ deviceId, at }) => {
        if ((heard.get(deviceId) ?? 0) < at) heard.set(deviceId, at);
      }),
    );
    const deviceDoors: { webSocketPath: string | null } = { webSocketPath: null };
    let webSocketOrigins: string[] = config.publicUrl ? [new URL(config.publicUrl).origin] : [];
    // What homes report about their devices (a gateway relays zigbee2mqtt's availability).
    const availability = new ReportedAvailability();
    // a status received by a broker in another process (the cluster link), for this dashboard
    started(
      'reported-status',
      events.on('device/status', ({ deviceId, online, receivedAt }) =>
        availability.note(deviceId, { online, receivedAt }),
      ),
    );
    // The devices' edge: ingest and the broker, together (a PUBACK means stored by this process).
    const edge: DeviceEdge | null =
      runs('broker') && readings
        ? await startDeviceEdge(config, {
            store,
            registry,
            consent,
            readings,
            events,
            health,
            availability,
            webSocketOrigins: () => webSocketOrigins,
            linked: link !== null,
            clock,
            metrics,
            logger,
            started,
          })
        : null;
    const ingest = edge?.ingest ?? null;
    // technicians' test readings asked at a process without ingest (ROLES): one with ingest runs them
    if (link && ingest)
      started(
        'remote-test-readings',
        serveRemoteTestReadings({ events, link, ingest, logger: logger.child({ part: 'test-readings' }) }),
      );
    const broker = edge?.broker ?? null;
    const tls = edge?.tls ?? null;
    // An erasure (docs/architecture.md, "The citizen's side"): what this process derived from the
    // home's readings goes, wherever the erasure was carried out. The same steps follow an erasure
    // carried out elsewhere, whether heard on the cluster link or read from the store after an outage.
    const forgetDerived = async (homeId: string) => {
      batteryLevels.forget(registry.devicesOfHome(homeId).map((d) => d.id));
      await rules?.forgetHome(homeId);
      await nightRound?.eraseHome(homeId);
    };
    const erasureFollower = followErasures({
      events,
      erasures: new ErasureLog(store),
      // readings spooled before a stop, of a home erased while this process was down
      ...(ingest?.oldestRecoveredAt() !== undefined ? { heldSince: ingest.oldestRecoveredAt()! } : {}),
      ...(link ? { everyMs: ERASURE_CATCH_UP_EVERY_MS } : {}),
      forget: async ({ homeId, at, beforeStart }) => {
        // what ingest holds of it received up to the erasure, and what it wrote of it since (a race)
        await ingest?.forgetErased(homeId, at);
        // long before this start, what the rules, the night round and battery levels hold was
        // loaded or heard after it: theirs is the home's life since, not the erased readings
        if (!beforeStart) await forgetDerived(homeId);
      },
      clock,
      logger: logger.child({ part: 'erasure' }),
    });
    started('erasure-follow', () => erasureFollower.close());
    const catchUpErasures = () =>
      erasureFollower
        .catchUp()
        .catch((err: unknown) => logger.error({ err }, 'reading erasures carried out elsewhere failed'));
    if (link)
      started(
        'erasure-catch-up',
        link.onRestored(() => void catchUpErasures()),
      );
    health.start(HEALTH_INTERVAL_MS);
    started('health', () => health.stop());

    const generatedAdminPassword = await ensureAdmin(people, config, logger);

    // Every notice outside the dashboard goes through the durable outbox; it starts sending once
    // escalation has named its channels (below), and shows what was not delivered in time.
    const outbox = new NoticeOutbox({
      store,
      clock,
      logger: logger.child({ part: 'outbox' }),
      metrics,
      retry: outboxRetry(config),
      lateMs: config.noticeLateS * 1000,
      // a process killed mid-try holds its notice no longer than this; another takes it over then
      claimMs: config.notifyTimeoutMs * 2 + 5000,
    });

    // /readyz: only the parts this process runs (ROLES)
    const readiness: Record<string, () => Promise<boolean>> = {
      store: async () => {
        await store.ping();
        return true;
      },
      ...(readings ? { influxdb: () => readings.ping() } : {}),
      ...(ingest ? { ingest: async () => !ingest.health().failing } : {}),
      ...(config.redisUrl
        ? { redis: async () => (broker?.sharedStateUp() ?? true) && (link?.connected() ?? true) }
        : {}),
    };
    // without a broker here, the certificate gateways must trust is MQTT_TLS_CERT's (the brokers' own)
    const brokerCertificate = !edge && config.mqttTlsCert ? readBrokerCertificate(config.mqttTlsCert) : null;
    // The HTTP API, /live and the web app (role `dashboard`); a part this process does not run is
    // left out, and its routes answer 503; without the broker, test readings go over the cluster
    // link, and pairing and the broker page use MQTT_PUBLIC_URLS (docs/operations.md, "Roles").
    const dashboardOptions: Parameters<typeof startDashboard>[0] = {
      host: config.httpHost,
      port: config.httpPort,
      store,
      registry,
      consent,
      alerts,
      events,
      metrics,
      clock,
      logger: logger.child({ part: 'dashboard' }),
      secureCookies: config.secureCookies || config.publicUrl.startsWith('https:'),
      health,
      fallback: fallbackConfigured(config),
      outbox,
      chainTargets: { answerWithinS: config.answerTargetS, arriveWithinS: config.arrivalTargetMin * 60 },
      settingsInForce: settingsInForce(config),
      trustProxy: config.trustProxy,
      metricsToken: config.metricsToken,
      sessionIdleMinutes: config.sessionIdleMinutes,
      sessionAbsoluteHours: config.sessionAbsoluteHours,
      ...(config.oidcIssuer
        ? {
            oidc: {
              issuer: config.oidcIssuer,
              clientId: config.oidcClientId,
              clientSecret: config.oidcClientSecret,
              userClaim: config.oidcUserClaim,
              redirectUrl:
                config.oidcRedirectUrl ||
                (config.publicUrl ? new URL('/api/session/oidc/callback', config.publicUrl).href : ''),
            },
          }
        : {}),
      ...(options.checkResponses ? { checkResponses: true } : {}),
      lastSeen: (deviceId) => {
        const here = broker?.lastSeen(deviceId);
        const anywhere = heard.get(deviceId);
        return here === undefined ? anywhere : anywhere === undefined ? here : Math.max(here, anywhere);
      },
      latestBattery: (deviceId) => batteryLevels.of(deviceId),
      reportedStatus: (deviceId) => availability.of(deviceId),
      ...(edge
        ? {
            pairing: {
              // TLS first: a gateway in a home tries the URLs in order, and plain MQTT is for development
              urls: () =>
                config.mqttPublicUrls.length > 0
                  ? config.mqttPublicUrls
                  : [edge.broker.endpoints.tls, edge.broker.endpoints.plain].filter((u): u is string =>
                      Boolean(u),
                    ),
              // the PEM the gateway must trust: the broker's own certificate chain (self-signed or the
              // operator's); none when TLS is off
              ca: () => tls?.caPem ?? null,
              announce: async (homeId: string) => {
                await edge.publishConfig(homeId);
              },
            },
          }
        : link && config.mqttPublicUrls.length > 0
          ? {
              // no broker here (ROLES): the addresses gateways use, from MQTT_PUBLIC_URLS; the broker
              // processes publish the home's scope when told over the cluster link
              pairing: {
                urls: () => config.mqttPublicUrls,
                ca: () => brokerCertificate,
                announce: async (homeId: string) => {
                  events.emit('home/changed', { homeId });
                },
              },
            }
          : {}),
      ...(readings ? { readings } : {}),
      ...(ingest ? { ingest } : link ? { remoteTestReading: remoteTestReadings({ events, link }) } : {}),
      ...(nightRound ? { nightRound } : {}),
      retentionDays: config.retentionDays,
      // Drop what ingest still holds of the home first (also from the spool), so no reading of the
      // home lands after the erasure, nor comes back at the next start.
      // (only the parts this process runs: see docs/operations.md, "Roles")
      ...(readings
        ? {
            eraseHomeReadings: async (homeId: string, at: number) => {
              // every other process forgets what it holds of the home too (the home's rules owner among them)
              erasureFollower.carriedOutHere({ homeId, at });
              events.emit('home/erased', { homeId, at });
              await ingest?.eraseHome(homeId);
              // what the rules and the device list keep of the home's readings goes too (docs/architecture.md)
              await forgetDerived(homeId);
              await readings.eraseHome(homeId);
            },
          }
        : {}),
      ...(config.publicUrl ? { allowedOrigins: [new URL(config.publicUrl).origin] } : {}),
      ...(config.mqttWsPath && broker
        ? { upgrades: { [config.mqttWsPath]: broker.handleWebSocketUpgrade } }
        : {}),
      // read per request: the WebSocket path's URL is known only once the dashboard listens
      ...(broker
        ? {
            deviceConnection: () => ({
              endpoints: { ...broker.endpoints, webSocketPath: deviceDoors.webSocketPath },
              tls:
                tls && broker.endpoints.tls
                  ? {
                      fingerprint256: tls.fingerprint256,
                      caPem: tls.caPem,
                      selfSigned: tls.selfSigned,
                      validTo: tls.validTo.toISOString(),
                      clientCertificates: tls.clientCertificates,
                    }
                  : null,
            }),
          }
        : {}),
      // no broker here (ROLES): what the operator configured for devices (MQTT_PUBLIC_URLS, MQTT_TLS_CERT)
      ...(!broker && config.mqttPublicUrls.length > 0
        ? { deviceConnection: () => connectionFromConfig(config.mqttPublicUrls, brokerCertificate, config) }
        : {}),
      readiness,
    };
    const dashboard = runs('dashboard') ? await startDashboard(dashboardOptions) : null;
    if (dashboard) {
      started('dashboard', () => dashboard.close());
      webSocketOrigins = [...webSocketOrigins, new URL(dashboard.url).origin];
    }
    // without the dashboard, a load balancer and Prometheus still ask this process how it is
    const ops = dashboard
      ? null
      : await startOpsServer({
          host: config.httpHost,
          port: config.httpPort,
          readiness,
          metrics,
          metricsToken: config.metricsToken,
          logger: logger.child({ part: 'ops' }),
        });
    if (ops) started('ops', () => ops.close());
    const webSocketPath =
      config.mqttWsPath && dashboard && broker
        ? `${(config.publicUrl || dashboard.url).replace(/\/$/, '').replace(/^http/, 'ws')}${config.mqttWsPath}`
        : null;
    deviceDoors.webSocketPath = webSocketPath;
    const mqttTls: MqttTlsInfo | null =
      tls && broker?.endpoints.tls
        ? {
            url: broker.endpoints.tls,
            caPem: tls.caPem,
            fingerprint256: tls.fingerprint256,
            selfSigned: tls.selfSigned,
            certPath: tls.certPath,
            validTo: tls.validTo.toISOString(),
          }
        : null;
    if (mqttTls) logger.info({ url: mqttTls.url, fingerprint256: mqttTls.fingerprint256 }, 'MQTT over TLS');

    // Never silent: unacknowledged alerts climb to the whole team, then out of the dashboard.
    const {
      notifiers,
      all: allNotifiers,
      warnings,
    } = buildNotifiers(config, logger.child({ part: 'notify' }));
    warnings.push(...(tls?.warnings ?? []));
    // an embedded store left behind when moving to PostgreSQL: its data is not what this platform uses
    if (config.databaseUrl && existsSync(config.sqlitePath))
      warnings.push(
        `DATABASE_URL is set, so ${config.sqlitePath} is not used; copy it first with tryghed migrate-store (docs/store.md)`,
      );
    // a notice links to the alert on the dashboard: a process without it knows the address only so
    if (rules && !dashboard && !config.publicUrl)
      warnings.push('PUBLIC_URL is not set: notices sent by this rules process cannot link to the dashboard');
    for (const warning of warnings) logger.warn(warning);
    const baseUrl = (config.publicUrl || dashboard?.url || '').replace(/\/$/, '');
    // Escalation hears the alerts raised in this process, as before the link: the process that
    // raised an alert escalates it, which is the home's lease owner (a shard taken over re-arms its
    // open alerts from the store). From the others it hears only what ends an escalation here
    // (taken on, resolved elsewhere).
    const escalationEvents = link
      ? createPlatformBus({ logger: logger.child({ part: 'events' }), metrics })
      : events;
    if (link && rules)
      started(
        'escalation-feed',
        ((offs: Array<() => void>) => () => {
          for (const off of offs) off();
        })([
          events.on('alert/changed', (event) => {
            if (!isRemoteEvent(event) || (event.type !== 'opened' && event.type !== 'repeated'))
              escalationEvents.emit('alert/changed', event);
          }),
          events.on('health/changed', (change) => escalationEvents.emit('health/changed', change)),
        ]),
      );
    // who watches, across processes: each says its dashboard's watching teams in Redis (services/presence)
    const presence =
      link && config.redisUrl
        ? openTeamPresence({
            redisUrl: config.redisUrl,
            processId: link.processId,
            local: () => dashboard?.watchingTeams() ?? new Set<string>(),
            clock,
            logger: logger.child({ part: 'presence' }),
            metrics,
          })
        : null;
    if (presence) started('presence', () => presence.close());
    // escalation runs with the rules, where alerts are raised and the homes' leases are held
    const escalationOptions: ConstructorParameters<typeof EscalationService>[0] = {
      ...(ownership ? { ownership } : {}),
      store,
      alerts,
      registry,
      clock,
      metrics,
      logger: logger.child({ part: 'escalation' }),
      deadlines: {
        critical: config.escalateCriticalS * 1000,
        high: config.escalateHighS * 1000 || null,
        medium: config.escalateMediumS * 1000 || null,
        low: config.escalateLowS * 1000 || null,
      },
      renotifyMinMs: config.escalationRenotifyMinS * 1000,
      notifiers,
      // across processes when Redis is shared; a rules process without a board and without Redis
      // sees nobody watching, so a critical alert goes to the fallback at once (loud, never silent)
      watchingTeams: () => presence?.watchingTeams() ?? dashboard?.watchingTeams() ?? new Set<string>(),
      health,
      events: escalationEvents,
      link: (alertId) => `${baseUrl}/?alert=${encodeURIComponent(alertId)}`,
      outbox,
    };
    const escalation = rules ? new EscalationService(escalationOptions) : null;
    // notices left pending by an earlier run are sent now, through the channels they were made for
    escalation?.registerNotifiers(allNotifiers);
    // "deling med journal": handled alerts to the care record, through the outbox (it sends: rules)
    if (config.fhirBaseUrl && escalation)
      startCareRecordPush(config, {
        alerts,
        consent,
        registry,
        people,
        store,
        clock,
        logger,
        metrics,
        events,
        outbox,
        started,
      });
    if (escalation) {
      // the outbox sends where escalation runs; a dashboard only shows what it did not deliver
      await outbox.start();
      started('outbox', () => outbox.stop());
      await escalation.start(ESCALATION_TICK_MS);
      started('escalation', () => escalation.stop());
    }
    // every part listens now: the others' events are emitted here from where the stream stood at open
    link?.start();
    // erasures carried out elsewhere just before this start (or while this process was cut off)
    if (link) void catchUpErasures();

    if (config.demo && broker) {
      const demo = await startDemo({
        provisioner: localProvisioner({ people, registry, consent }),
        brokerUrl: broker.url,
        ...(broker.url.startsWith('mqtts:') && tls ? { ca: tls.caPem } : {}),
        logger: logger.child({ part: 'demo' }),
        homes: config.demoHomes,
      });
      started('demo', () => demo.stop());
      await ensureDemoUsers({ people, responderCards: new ResponderCards(store) }, registry, clock.now());
    }

    /** a part this process does not run (ROLES) is an error to ask for, naming the role */
    const part = <T>(value: T | null, role: string): T => {
      if (value === null)
        throw new Error(`this process does not run the ${role} (ROLES=${config.roles.join(',')})`);
      return value;
    };
    return {
      config,
      roles: config.roles,
      opsUrl: ops?.url ?? null,
      dashboardUrl: dashboard?.url ?? '',
      mqttUrl: broker?.url ?? '',
      mqttEndpoints: broker
        ? { ...broker.endpoints, webSocketPath }
        : { plain: null, tls: null, webSocket: null, webSocketPath: null },
      mqttTls,
      store,
      registry,
      consent,
      alerts,
      get rules() {
        return part(rules, 'rules');
      },
      get ingest() {
        return part(ingest, 'ingest');
      },
      get readings() {
        return part(readings, 'ingest or dashboard (readings)');
      },
      get broker() {
        return part(broker, 'broker');
      },
      get dashboard() {
        return part(dashboard, 'dashboard');
      },
      metrics,
      events,
      health,
      get escalation() {
        return part(escalation, 'rules (escalation)');
      },
      outbox,
      get nightRound() {
        return part(nightRound, 'rules or dashboard (night round)');
      },
      link,
      ownership,
      presence,
      warnings,
      generatedAdminPassword,
      close: closeAll,
    };
  } catch (err) {
    // A failed start must end, not hang: each part gets a bounded time to close, and one that
    // does not is logged and left to the process exit.
    await closeAll(START_FAILURE_CLOSE_MS);
    throw err;
  }
}

/** The broker's certificate (chain) from MQTT_TLS_CERT, for a dashboard-only process's pairing bundles. */
function readBrokerCertificate(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return pem;
  } catch (err) {
    throw new StartError(`MQTT_TLS_CERT: cannot read ${path}: ${(err as Error).message}`, {
      setting: 'MQTT_TLS_CERT',
      cause: err,
    });
  }
  throw new StartError(`MQTT_TLS_CERT: ${path} is not a PEM certificate`, { setting: 'MQTT_TLS_CERT' });
}

/**
 * The broker connection page at a process without a broker: the public addresses by scheme, and
 * the certificate of MQTT_TLS_CERT (the operator's, so not self-signed) when set.
 */
function connectionFromConfig(
  urls: readonly string[],
  certificate: string | null,
  config: Config,
): DeviceConnection {
  const first = (...schemes: string[]) => urls.find((u) => schemes.includes(new URL(u).protocol)) ?? null;
  const x509 = certificate ? new X509Certificate(certificate) : null;
  return {
    endpoints: {
      plain: first('mqtt:'),
      tls: first('mqtts:'),
      webSocketPath: null,
      webSocket: first('wss:', 'ws:'),
    },
    tls: x509
      ? {
          fingerprint256: x509.fingerprint256,
          caPem: certificate!,
          selfSigned: false,
          validTo: new Date(x509.validTo).toISOString(),
          clientCertificates: config.mqttTlsClientCert,
        }
      : null,
  };
}
