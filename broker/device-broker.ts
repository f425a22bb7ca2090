import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { PlatformBus } from '../services/events/index.ts';
import type { Registry } from '../services/registry/index.ts';
import {
  type Clock,
  LogBudget,
  type Logger,
  type Metrics,
  REFUSAL_LINES_PER_WINDOW,
  REFUSAL_WINDOW_MS,
  systemClock,
} from '../services/runtime/index.ts';
import { AckPacer, DEFAULT_ACK_SLICE } from './ack-pacer.ts';
import { mayPublish, mayReceive, maySubscribe } from './acl.ts';
import type { AuthThrottleOptions } from './auth-throttle.ts';
import { type BrokerCluster, openBrokerCluster } from './cluster.ts';
import { clusterNotices } from './cluster-notices.ts';
import { DeviceConnections } from './connections.ts';
import {
  type BrokerEndpoints,
  guardClientCertificates,
  openListeners,
  type TlsListenerOptions,
} from './listeners.ts';
import { DEFAULT_READ_SLICE_MS, type GateableClient, mayCarryAlarm, ReadGate } from './read-gate.ts';

export interface DeviceBrokerOptions {
  host: string;
  /** plain MQTT; null: off (production, with TLS on). 0 picks a free port */
  port: number | null;
  /** MQTT over TLS (see `broker/listeners.ts`) */
  tls?: TlsListenerOptions | null;
  /** MQTT over WebSocket on a port of its own; TLS when `tls` is set */
  webSocketPort?: number | null;
  /** browser origins allowed on MQTT over WebSocket besides the broker's own host */
  webSocketOrigins?: () => string[];
  /** largest payload accepted from a device, in bytes */
  maxPayloadBytes: number;
  registry: Registry;
  /** the platform's bus: a device whose credentials end (`device/access-ended`) is disconnected */
  events: PlatformBus;
  /**
   * internal services (a standalone ingest, say): may publish and subscribe under `tryghed/v1/`.
   * `secretHash` is made with `registry.hashServiceSecret()` (the server key).
   */
  serviceAccounts: Array<{ username: string; secretHash: string }>;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
  /** how wrong secrets are slowed down and refused; defaults in `AUTH_THROTTLE_DEFAULTS` */
  authThrottle?: Partial<AuthThrottleOptions>;
  /**
   * aedes' heartbeat, ms (its default, 60 s): it tells aedes its own broker is alive, and wills of a
   * broker not heard for three beats are published. Tests shorten it.
   */
  heartbeatIntervalMs?: number;
  /** connections the kernel may queue before we accept them (a reconnect storm); default 4096 */
  listenBacklog?: number;
  /** TCP proxies whose PROXY protocol header names the client (see `broker/proxy-protocol.ts`) */
  proxyProtocolFrom?: readonly string[];
  proxyHeaderTimeoutMs?: number;
  /**
   * Redis shared with other broker processes (REDIS_URL): subscriptions, retained messages and
   * sessions are shared, so a device may connect to any of them (see `broker/cluster.ts`).
   * Empty or absent: this broker alone, everything in memory.
   */
  redisUrl?: string;
  /**
   * PUBACKs released per turn of the event loop once their readings are durable (see
   * `broker/ack-pacer.ts`): routine readings yield to an alarm between slices. Default `DEFAULT_ACK_SLICE` (128).
   */
  ackSlice?: number;
  /**
   * Longest slice of routine devices' packet reads per turn of the event loop, ms (see
   * `broker/read-gate.ts`): a device that may raise an alarm is read at once. 0: every connection
   * is read at once. Default `DEFAULT_READ_SLICE_MS` (0.25).
   */
  readSliceMs?: number;
  /**
   * Device changes (provisioned, changed, secret rotated, moved, removed) reach the other
   * processes another way (the platform's cluster link, `services/events/cluster-link.ts`), so the
   * broker need not announce them on its own `$SYS` notices; the one-connection-per-device notice
   * stays. Default false: the broker announces them itself.
   */
  deviceChangesRelayed?: boolean;
}

/** aedes' `publish` as its handlers call it (a device's publish after its acknowledgement) */
type AedesPublish = (
  packet: AedesPublishPacket,
  client: Client | null | ((err?: Error | null) => void),
  done?: (err?: Error | null) => void,
) => void;

/**
 * Answered by a device-message listener that took the `settled` callback (a QoS 1 or 2 reading,
 * and it is the broker's only listener): it calls `settled` once, with whether the reading is durable,
 * instead of returning a promise. The platform's ingest does, so a reading costs no promise of its own.
 */
export const SETTLES_LATER: unique symbol = Symbol('settles later');

/**
 * Told every device message. May return a `Promise<boolean>` saying whether it is durable, or,
 * when given `settled`, answer `SETTLES_LATER` and call `settled` once itself.
 */
export type DeviceMessageListener = (message: DeviceMessage, settled?: (ok: boolean) => void) => unknown;

export interface DeviceMessage {
  type: 'readings' | 'status';
  topic: string;
  payload: Buffer;
  homeId: string;
  deviceId: string;
  clientId: string;
}

export interface DeviceBroker {
  /** the plain MQTT port, or the TLS port when plain MQTT is off */
  readonly port: number;
  /** the plain MQTT URL, or the TLS one when plain MQTT is off */
  readonly url: string;
  readonly endpoints: BrokerEndpoints;
  /** MQTT over WebSocket on another server's path (the dashboard's `MQTT_WS_PATH`) */
  handleWebSocketUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * A listener may return a `Promise<boolean>` saying whether the message is durable: a QoS 1 reading is
   * acknowledged (PUBACK) only once every such promise says true; on false the device's connection
   * is closed without PUBACK, so it keeps the reading and sends it again.
   */
  onDeviceMessage(listener: DeviceMessageListener): () => void;
  publish(
    topic: string,
    payload: string | Buffer,
    options?: { retain?: boolean; qos?: 0 | 1 },
  ): Promise<void>;
  /** when we last RECEIVED from a device; online is judged by that, never by what we sent */
  lastSeen(deviceId: string): number | undefined;
  connectedClients(): number;
  /** false once the listening socket or aedes has closed: devices cannot reach us */
  running(): boolean;
  /** clustered (REDIS_URL): whether the Redis the brokers share answers; always true alone */
  sharedStateUp(): boolean;
  /** clustered: called each time Redis is back after an outage (what waited may need saying again) */
  onSharedStateRestored(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * The devices' edge: aedes in-process, secure by default. Policy lives in aedes' hooks; a bad
 * client only ever closes its own socket; every refusal is counted and logged without secrets or
 * payloads.
 */
export async function startDeviceBroker(o: DeviceBrokerOptions): Promise<DeviceBroker> {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const lastSeen = new Map<string, number>();
  const listeners: DeviceMessageListener[] = [];
  // durable readings' PUBACKs, a slice per turn of the event loop: an alarm never waits behind a
  // whole group commit's worth of routine readings
  const acks = new AckPacer(o.ackSlice ?? DEFAULT_ACK_SLICE, (err) =>
    log.error({ err }, 'releasing a PUBACK failed'),
  );
  // routine devices' packets are read in slices, a device that may alarm at once (`ReadGate`)
  const readSliceMs = o.readSliceMs ?? DEFAULT_READ_SLICE_MS;
  const reads =
    readSliceMs > 0
      ? new ReadGate({
          urgent: (c) => mayAlarm(c as unknown as Client),
          sliceMs: readSliceMs,
          counted: o.metrics.tally(
            o.metrics.counter(
              'tryghed_broker_reads_deferred_total',
              "Reads of a routine device's packets put off to a later slice of the event loop",
            ),
          ),
        })
      : null;
  const connections = new DeviceConnections({
    registry: o.registry,
    serviceAccounts: o.serviceAccounts,
    logger: log,
    metrics: o.metrics,
    clock,
    events: o.events,
    ...(o.authThrottle ? { authThrottle: o.authThrottle } : {}),
  });
  // undone by connections.close() on every way out (a failed listen, close())
  connections.start();
  const identities = connections.identities;
  const refuse = connections.refuse.bind(connections);
  /**
   * One reading's answer, given once it was stored or not: its PUBACK, or a refusal that closes the
   * connection, so the device sends it again (made by a factory: see `answered`)
   */
  const settler =
    (client: Client, done: (err: Error | null) => void) =>
    (ok: boolean): void => {
      if (ok) done(null);
      else {
        refuse('not_stored', client);
        done(new Error('the reading could not be stored now; send it again'));
      }
    };
  const messages = o.metrics.counter('tryghed_broker_messages_total', 'Device messages accepted', ['type']);
  const connected = o.metrics.gauge('tryghed_broker_connected_clients', 'Connected MQTT clients');
  const routed = o.metrics.tally(
    o.metrics.counter(
      'tryghed_broker_readings_routed_total',
      'Device readings routed to MQTT subscribers (service accounts); none are without service accounts',
    ),
    {},
  );
  const clientErrors = o.metrics.counter(
    'tryghed_broker_client_errors_total',
    'Client connections closed on error',
  );

  const cluster: BrokerCluster | null = o.redisUrl
    ? await openBrokerCluster({ redisUrl: o.redisUrl, logger: log, metrics: o.metrics })
    : null;

  const aedes = await Aedes.createBroker({
    // a slow device must not hold a connection slot for ever before it says who it is
    connectTimeout: 10_000,
    ...(o.heartbeatIntervalMs ? { heartbeatInterval: o.heartbeatIntervalMs } : {}),
    ...(cluster ? { mq: cluster.mq, persistence: cluster.persistence } : {}),

    preConnect(client, packet, done) {
      connections.preConnect(client, packet.clientId, packet.will);
      reads?.gate(client as unknown as GateableClient);
      done(null, true);
    },

    authenticate(client, username, password, done) {
      if (cluster && !cluster.connected()) return connections.unavailable(client, done);
      connections.authenticate(client, username, password, done);
    },

    authorizePublish(client, packet, done) {
      // client is null only for the platform's own publishes
      if (!client) return done(null);
      // credentials ended (secret rotated, device removed or moved): nothing more, not even the will
      if (connections.isRevoked(client)) return done(new Error('credentials ended'));
      const identity = identities.get(client);
      if (!identity) {
        refuse('publish_denied', client);
        return done(new Error('not authenticated'));
      }
      if (packet.payload.length > o.maxPayloadBytes) {
        refuse('payload_too_large', client, { bytes: packet.payload.length });
        return done(new Error('payload too large'));
      }
      // QoS 2 is accepted: aedes keeps the exactly-once handshake (its inbound window is bounded
      // by maxInflightInbound), and ingest drops a resent reading by its seq as for QoS 1.
      // The topic is parsed here, once: the message handed on carries its home and device.
      const verdict = mayPublish(identity, packet.topic, packet.retain, o.registry);
      if (!verdict.ok) {
        refuse(verdict.reason, client);
        return done(new Error('not authorised to publish here'));
      }
      if (identity.kind !== 'device' || verdict.type !== 'readings') return done(null);
      // PUBACK means stored. aedes 1.x writes a QoS 1 PUBACK right after `authorizePublish` calls
      // back, before the publish runs through `published` (lib/handlers/publish.js, enqueuePublish).
      // So an authorised reading is handed to ingest here, and this callback (hence the PUBACK)
      // waits until ingest says the reading is durable. Rules hear the reading at once; only the ack
      // waits. A slow ack holds back that one device, never another: aedes reads a connection again
      // only once its packets in hand have called back (or as many `readable` events came), so one
      // device has at most about one read of its socket in hand. Not durable: the connection is closed
      // without PUBACK, and the device sends the reading again when it reconnects.
      // Once durable, acknowledgements go out in order, a slice per turn of the event loop
      // (`AckPacer`), so an alarm is read between slices rather than behind a whole group commit.
      const message = heard(
        client,
        'readings',
        packet.topic,
        packet.payload as Buffer,
        verdict.homeId!,
        verdict.deviceId!,
      );
      // QoS 0 has no acknowledgement to hold back, but aedes' callback is still held until the
      // reading was handled: aedes reads a connection again only once what it handed out called
      // back, so a device flooding QoS 0 has at most about one socket read in hand, as with QoS 1,
      // instead of every reading it sends queued in memory
      if (packet.qos === 0) {
        const handled = answered(done);
        const judged = deliver(message, handled);
        if (judged === SETTLES_LATER) return;
        if (judged instanceof Promise) return void judged.then(handled, handled);
        return done(null);
      }
      const settle = settler(client, done);
      // the listener may take `settled` instead of returning a promise (ingest's path: no promise per reading)
      const durable = deliver(message, (ok) => acks.release(settle, ok));
      if (durable === SETTLES_LATER) return;
      if (!durable) return done(null);
      durable.then(
        (ok) => acks.release(settle, ok),
        () => acks.release(settle, false),
      );
    },

    authorizeSubscribe(client, subscription, done) {
      const identity = identities.get(client);
      if (!identity || !maySubscribe(identity, subscription.topic)) {
        refuse('subscribe_denied', client);
        // MQTT 3.1.1: a null subscription answers SUBACK 0x80 (failure) and keeps the connection.
        return done(null, null);
      }
      done(null, subscription);
    },

    authorizeForward(client, packet) {
      const identity = identities.get(client);
      return identity && mayReceive(identity, packet.topic) ? packet : null;
    },

    published(packet: AedesPublishPacket, client, done) {
      // readings were handed on before their PUBACK (see "PUBACK means stored" below); here they
      // were only routed to subscribers (`routeReadings`)
      if (client && packet.topic.endsWith('/readings')) routed.inc();
      else if (client) {
        const message = deviceMessage(client, packet.topic, packet.payload as Buffer);
        const durable = message ? deliver(message) : undefined;
        if (durable instanceof Promise) durable.catch(() => undefined);
      }
      done(null);
    },
  });

  // aedes goes on setting up a connection after it closed: a device that hangs up, is replaced by
  // its newer connection or loses its credentials while its session is read from Redis. It would
  // then count it, keep it among its clients and announce it to the other brokers, for good (the
  // count never falls back, and a device's next connection elsewhere is closed by the announcement).
  // A connection closed before it is registered is dropped instead.
  const finishRegister = aedes as unknown as { _finishRegisterClient(client: Client): void };
  const register = finishRegister._finishRegisterClient.bind(aedes);
  finishRegister._finishRegisterClient = (client) => {
    if (client.closed) return connections.disconnected(client);
    register(client);
  };

  // A device's reading reaches ingest in `authorizePublish`, before its PUBACK; after the PUBACK aedes
  // runs it through its publish pipeline only to route it to MQTT subscribers (look-ups of offline
  // sessions, the queue, the `published` hook: several promises and objects per reading). Only a
  // service account may subscribe to a readings topic (`maySubscribe`), so without service accounts
  // nobody can ever receive one, and the pipeline is skipped. Clustered, the queue is shared with the
  // other brokers (whose service accounts this one cannot see): routed as before.
  //
  // aedes also announces every connect and disconnect on `$SYS/<its id>/new/clients` and
  // `.../disconnect/clients`, for the other brokers of a cluster (one connection per client id
  // across them). Alone, nobody can hear them: aedes' own listener ignores its own notices, and no
  // identity may subscribe to `$SYS` (`maySubscribe`). So alone they are not published, a publish
  // run less per connect and per disconnect. Its heartbeat (`$SYS/<id>/heartbeat`) still goes: it
  // keeps the wills of connected devices unpublished.
  const routeReadings = cluster !== null || o.serviceAccounts.length > 0;
  // (clustered, readings are routed and the notices heard: aedes' publish is left as it is)
  if (!cluster) {
    const route = aedes.publish.bind(aedes) as unknown as AedesPublish;
    const connectNotice = `$SYS/${aedes.id}/new/clients`;
    const disconnectNotice = `$SYS/${aedes.id}/disconnect/clients`;
    (aedes as unknown as { publish: AedesPublish }).publish = (packet, clientOrDone, maybeDone) => {
      // aedes calls its own `publish(packet, done)` with two arguments
      const client = typeof clientOrDone === 'function' ? null : clientOrDone;
      const done = typeof clientOrDone === 'function' ? clientOrDone : maybeDone;
      if (client) {
        if (!routeReadings && packet.topic.endsWith('/readings')) return done?.(null);
      } else if (packet.topic === connectNotice || packet.topic === disconnectNotice) return done?.(null);
      route(packet, client, done);
    };
  }

  /** whether a client's packets may carry an alarm, so are read at once (`mayCarryAlarm`) */
  const mayAlarm = (client: Client): boolean => mayCarryAlarm(identities.get(client), o.registry);

  /** a device's own message on its own topics, counted and marked as heard; null for anything else */
  const deviceMessage = (client: Client, topic: string, payload: Buffer): DeviceMessage | null => {
    const identity = identities.get(client);
    if (identity?.kind !== 'device') return null;
    const verdict = mayPublish(identity, topic, false, o.registry);
    if (!verdict.ok || !verdict.deviceId || !verdict.homeId || verdict.type === 'service') return null;
    return heard(client, verdict.type, topic, payload, verdict.homeId, verdict.deviceId);
  };

  // bound once, and counted as plain additions: no label hashing per message
  const counted = {
    readings: o.metrics.tally(messages, { type: 'readings' }),
    status: o.metrics.tally(messages, { type: 'status' }),
  };
  /** counts a device's message, marks the device as heard, and makes the message handed on */
  const heard = (
    client: Client,
    type: 'readings' | 'status',
    topic: string,
    payload: Buffer,
    homeId: string,
    deviceId: string,
  ): DeviceMessage => {
    lastSeen.set(deviceId, clock.now());
    counted[type].inc();
    return { type, topic, payload, homeId, deviceId, clientId: client.id };
  };

  /**
   * Hands a message to every listener; what they promise about durability, together (may reject:
   * not durable). With `settled` and one listener, the listener may take it instead and answer
   * `SETTLES_LATER`: it then calls `settled` once, itself.
   */
  const deliver = (
    message: DeviceMessage,
    settled?: (ok: boolean) => void,
  ): Promise<boolean> | undefined | typeof SETTLES_LATER => {
    // the usual case, the platform's one listener: no array, no Promise.all
    if (listeners.length === 1) {
      try {
        const durable = listeners[0]!(message, settled);
        if (durable === SETTLES_LATER && settled) return SETTLES_LATER;
        // a rejection is taken as "not durable" by the caller
        return durable instanceof Promise ? (durable as Promise<boolean>) : undefined;
      } catch (err) {
        log.error({ err }, 'device message listener failed');
        return undefined;
      }
    }
    const pending: Array<Promise<boolean>> = [];
    for (const listener of listeners) {
      try {
        const durable = listener(message);
        if (durable instanceof Promise) pending.push(durable as Promise<boolean>);
      } catch (err) {
        log.error({ err }, 'device message listener failed');
      }
    }
    if (pending.length === 0) return undefined;
    // ingest's promise never rejects; the usual case is that one alone
    if (pending.length === 1) return pending[0]!.catch(() => false);
    return Promise.all(pending).then(
      (all) => all.every(Boolean),
      () => false,
    );
  };

  aedes.on('client', () => connected.set(aedes.connectedClients));
  // aedes reports here what fails outside any one client (publishing orphaned wills, queueing for
  // offline sessions): logged, never a crash of the platform
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log.error({ err }, 'broker error'));
  const stopNotices = cluster
    ? clusterNotices(aedes, connections, o.registry, o.events, log, {
        deviceChanges: !o.deviceChangesRelayed,
      })
    : () => undefined;
  aedes.on('clientDisconnect', (client) => {
    connections.disconnected(client);
    connected.set(aedes.connectedClients);
  });
  // anyone can open connections that end in an error (garbage, a half-sent packet): each is counted,
  // and logged up to a budget a window; a flood is said in one line, so it cannot fill the log
  const errorLines = new LogBudget({
    clock,
    perWindow: REFUSAL_LINES_PER_WINDOW,
    windowMs: REFUSAL_WINDOW_MS,
    summary: (what, notLogged, windowMs) =>
      log.info({ notLogged, windowS: windowMs / 1000 }, `${what}: more than were logged one by one`),
  });
  aedes.on('clientError', (client, err) => {
    // a refusal closes the connection with an error: it was counted and logged once already
    if (connections.wasRefused(client)) return;
    clientErrors.inc();
    if (!errorLines.take('client closed on error')) return;
    const identity = identities.get(client);
    log.info(
      { err: err.message, ...(identity?.kind === 'device' ? { deviceId: identity.deviceId } : {}) },
      'client closed on error',
    );
  });
  aedes.on('connectionError', (client, err) => {
    if (connections.wasRefused(client)) return;
    clientErrors.inc();
    if (errorLines.take('connection closed on error'))
      log.info({ err: err.message }, 'connection closed on error');
  });

  guardClientCertificates(aedes, o.tls?.clientCertificates ?? 'off', (reason) => refuse(reason, null));
  let doors: Awaited<ReturnType<typeof openListeners>>;
  try {
    doors = await openListeners(
      aedes,
      {
        host: o.host,
        plainPort: o.port,
        tls: o.tls ?? null,
        webSocketPort: o.webSocketPort ?? null,
        maxPayloadBytes: o.maxPayloadBytes,
        metrics: o.metrics,
        backlog: o.listenBacklog ?? 4096,
        ...(o.webSocketOrigins ? { webSocketOrigins: o.webSocketOrigins } : {}),
        ...(o.proxyProtocolFrom ? { proxyProtocolFrom: o.proxyProtocolFrom } : {}),
        ...(o.proxyHeaderTimeoutMs ? { proxyHeaderTimeoutMs: o.proxyHeaderTimeoutMs } : {}),
      },
      log,
    );
  } catch (err) {
    stopNotices();
    await new Promise<void>((r) => aedes.close(() => r()));
    connections.close();
    errorLines.stop();
    await cluster?.close();
    throw err;
  }
  const url = doors.endpoints.plain ?? doors.endpoints.tls ?? doors.endpoints.webSocket ?? '';
  const port = url ? Number(new URL(url).port) : 0;

  return {
    port,
    url,
    endpoints: doors.endpoints,
    handleWebSocketUpgrade: doors.handleUpgrade,
    onDeviceMessage(listener) {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    publish(topic, payload, options = {}) {
      return new Promise((resolve, reject) => {
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
            qos: options.qos ?? 1,
            retain: options.retain ?? false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
    lastSeen: (deviceId) => lastSeen.get(deviceId),
    connectedClients: () => aedes.connectedClients,
    running: () => doors.listening() && !aedes.closed,
    sharedStateUp: () => cluster?.connected() ?? true,
    onSharedStateRestored: (listener) => cluster?.onRestored(listener) ?? (() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        // aedes.close() disconnects every client; then the listening socket can close
        stopNotices();
        connections.close();
        errorLines.stop();
        reads?.close();
        aedes.close(
          () =>
            void doors
              .close()
              .then(() => cluster?.close())
              .then(resolve),
        );
      }),
  };
}

// Per reading, the callbacks below are made by these factories rather than named by a `const` where
// they are used: under tsx (esbuild's keepNames) a named closure is given its name by a
// defineProperty each time it is made.

/** aedes' callback, answered without an error (a handled QoS 0 reading) */
const answered =
  (done: (err: Error | null) => void): (() => void) =>
  () =>
    done(null);
