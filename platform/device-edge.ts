import { type DeviceBroker, SETTLES_LATER, startDeviceBroker } from '../broker/index.ts';
import type { ReportedAvailability } from '../services/availability/index.ts';
import type { ConsentRegistry } from '../services/consent/index.ts';
import { homeConfig, topics } from '../services/domain/index.ts';
import type { PlatformBus } from '../services/events/index.ts';
import type { PlatformHealth } from '../services/health/index.ts';
import { Ingest, ReadingSpool } from '../services/ingest/index.ts';
import type { Registry } from '../services/registry/index.ts';
import type { Clock, Logger, Metrics } from '../services/runtime/index.ts';
import type { Store } from '../services/store/index.ts';
import type { ReadingStore } from '../services/timeseries/index.ts';
import type { Config } from './config.ts';
import { loadMqttTls, type MqttTlsMaterial } from './mqtt-tls.ts';

export interface DeviceEdge {
  ingest: Ingest;
  broker: DeviceBroker;
  tls: MqttTlsMaterial | null;
  /** says the home's consent scope again on its retained config topic */
  publishConfig: (homeId: string) => Promise<void>;
}

/**
 * The devices' edge (roles `broker` and `ingest`, always in one process): the spool and ingest
 * first, then the MQTT listeners. A device's QoS 1 publish is acknowledged only once ingest here
 * has it durable (spool or InfluxDB), so the two never run apart. Then each home's consent scope
 * is said on its retained config topic, and again on every consent change (from any process: a
 * change made elsewhere arrives over the cluster link after consent was read again).
 */
export async function startDeviceEdge(
  config: Config,
  p: {
    store: Store;
    registry: Registry;
    consent: ConsentRegistry;
    readings: ReadingStore;
    events: PlatformBus;
    health: PlatformHealth;
    availability: ReportedAvailability;
    /** origins allowed to open MQTT over WebSocket; read per connection */
    webSocketOrigins: () => string[];
    /** whether the cluster link carries device changes to the other processes */
    linked: boolean;
    clock: Clock;
    metrics: Metrics;
    logger: Logger;
    started: (part: string, close: () => Promise<void> | void) => void;
  },
): Promise<DeviceEdge> {
  const { logger, metrics, clock, events, health, started } = p;
  // readings acknowledged but not yet in InfluxDB: written first, before any device is heard
  const spool = config.ingestSpool
    ? await ReadingSpool.open({
        dir: `${config.dataDir}/spool`,
        logger: logger.child({ part: 'spool' }),
        metrics,
      })
    : undefined;
  const ingest = new Ingest({
    ...(spool ? { spool } : {}),
    maxClockAheadMs: config.ingestMaxClockAheadS * 1000,
    maxReadingAgeMs: config.retentionDays * 86_400_000,
    registry: p.registry,
    consent: p.consent,
    readings: p.readings,
    clock,
    metrics,
    logger: logger.child({ part: 'ingest' }),
    events,
    batchSize: config.ingestBatchSize,
    flushIntervalMs: config.ingestFlushMs,
    routineSliceMs: config.ingestRoutineSliceMs,
    maxBufferedPoints: config.ingestMaxBuffered,
    maxBufferedPerDevice: config.ingestMaxBufferedPerDevice,
    store: p.store,
  });
  await ingest.restore();
  ingest.start();
  started('ingest', () => ingest.stop());
  // said at the first failed (or hung) write, not after a streak: staff must know within seconds
  health.addCheck('readings_not_stored', () => ingest.health().failing);

  // Certificate problems stop start before anything listens, naming the setting.
  const tls = await loadMqttTls(config, logger.child({ part: 'broker' }));
  const statusRefused = metrics.counter(
    'tryghed_device_status_refused_total',
    'Device status messages that were not {"online": true|false}',
  );
  const broker = await startDeviceBroker({
    host: config.mqttHost,
    port: config.mqttPlainPort,
    tls:
      tls && config.mqttTlsPort !== null
        ? {
            port: config.mqttTlsPort,
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa ? { clientCa: tls.clientCa } : {}),
            clientCertificates: tls.clientCertificates,
          }
        : null,
    webSocketPort: config.mqttWsPort,
    webSocketOrigins: p.webSocketOrigins,
    // the real client address from HAProxy's PROXY protocol header (send-proxy-v2)
    proxyProtocolFrom: config.mqttProxyProtocolFrom,
    maxPayloadBytes: config.mqttMaxPayloadBytes,
    registry: p.registry,
    events,
    serviceAccounts: [],
    readSliceMs: config.mqttReadSliceMs,
    logger: logger.child({ part: 'broker' }),
    metrics,
    clock,
    // several broker processes share sessions, subscriptions and retained messages (REDIS_URL)
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    // device changes reach the other processes over the cluster link
    ...(p.linked ? { deviceChangesRelayed: true } : {}),
  });
  started('broker', () => broker.close());
  health.addCheck('broker_down', () => !broker.running());
  // clustered: without Redis, devices stay connected to this broker but new sessions wait and
  // what is published here reaches only this broker's clients (see broker/cluster.ts)
  if (config.redisUrl) health.addCheck('broker_cluster_down', () => !broker.sharedStateUp());
  broker.onDeviceMessage((message, settled) => {
    // the PUBACK waits for this: see broker/device-broker.ts
    if (message.type === 'readings') {
      if (!settled) return ingest.handleReadings(message.homeId, message.deviceId, message.payload);
      // no promise per reading: ingest tells the broker when it may acknowledge
      ingest.takeReadings(message.homeId, message.deviceId, message.payload, settled);
      return SETTLES_LATER;
    }
    const receivedAt = clock.now();
    const before = p.availability.of(message.deviceId);
    if (!p.availability.record(message.deviceId, message.payload, receivedAt)) {
      statusRefused.inc();
      logger.warn({ deviceId: message.deviceId }, 'unreadable device status ignored');
      return undefined;
    }
    // the dashboard processes (and any other broker) learn it over the cluster link; a gateway's
    // "still online" heartbeat changes nothing there (only an offline report is shown) and stays here
    const reported = p.availability.of(message.deviceId);
    if (reported && !(reported.online && before?.online))
      events.emit('device/status', { deviceId: message.deviceId, online: reported.online, receivedAt });
    return undefined;
  });

  // The home's consent scope, retained on its config topic, so a gateway drops what it may not send.
  const publishConfig = (homeId: string) =>
    broker
      .publish(topics.config(homeId), JSON.stringify(homeConfig(p.consent.scope(homeId), clock.now())), {
        retain: true,
        qos: 1,
      })
      .catch((err: unknown) => logger.warn({ err, homeId }, 'publishing home config failed'));
  started(
    'home-config',
    events.on('consent/changed', (change) => void publishConfig(change.homeId)),
  );
  // a home made (or a gateway paired) at any process: its scope waits for its gateway at once
  started(
    'home-config-new',
    events.on('home/changed', ({ homeId }) => {
      if (p.registry.home(homeId)) void publishConfig(homeId);
    }),
  );
  for (const home of p.registry.allHomes()) await publishConfig(home.id);
  // a consent change during a Redis outage reached only this broker's gateways: say it again to all
  broker.onSharedStateRestored(() => {
    for (const home of p.registry.allHomes()) void publishConfig(home.id);
  });
  return { ingest, broker, tls, publishConfig };
}
