import { createServer, type Server } from 'node:net';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import type { Registry } from '../services/registry/index.ts';
import {
  type Clock,
  type Logger,
  type Metrics,
  systemClock,
  verifySecret,
} from '../services/runtime/index.ts';
import { type Identity, mayPublish, mayReceive, maySubscribe } from './acl.ts';

export interface DeviceBrokerOptions {
  host: string;
  port: number;
  /** largest payload accepted from a device, in bytes */
  maxPayloadBytes: number;
  registry: Registry;
  /** internal services (a standalone ingest, say): may publish and subscribe under `tryghed/v1/` */
  serviceAccounts: Array<{ username: string; secretHash: string }>;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
}

export interface DeviceMessage {
  type: 'readings' | 'status';
  topic: string;
  payload: Buffer;
  homeId: string;
  deviceId: string;
  clientId: string;
}

export interface DeviceBroker {
  readonly port: number;
  readonly url: string;
  /**
   * A listener may return a `Promise<boolean>` saying whether the message is durable: a QoS 1 reading is
   * acknowledged (PUBACK) only once every such promise says true; on false the device's connection
   * is closed without PUBACK, so it keeps the reading and sends it again.
   */
  onDeviceMessage(listener: (message: DeviceMessage) => unknown): () => void;
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
  close(): Promise<void>;
}

export class BrokerStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerStartError';
  }
}

type Refusal =
  | 'bad_credentials'
  | 'bad_client_id'
  | 'publish_denied'
  | 'retained_reading'
  | 'payload_too_large'
  | 'subscribe_denied'
  | 'qos2'
  | 'not_stored';

const authError = (message: string, returnCode: 2 | 4 | 5): AuthenticateError =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError;

/**
 * The devices' edge: aedes in-process, secure by default. Policy lives in aedes' hooks; a bad
 * client only ever closes its own socket; every refusal is counted and logged without secrets or
 * payloads.
 */
export async function startDeviceBroker(o: DeviceBrokerOptions): Promise<DeviceBroker> {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const identities = new WeakMap<Client, Identity>();
  const lastSeen = new Map<string, number>();
  const listeners: Array<(m: DeviceMessage) => unknown> = [];
  const services = new Map(o.serviceAccounts.map((a) => [a.username, a.secretHash]));
  const refusals = o.metrics.counter(
    'tryghed_broker_refusals_total',
    'Connections, publishes and subscriptions refused',
    ['reason'],
  );
  const messages = o.metrics.counter('tryghed_broker_messages_total', 'Device messages accepted', ['type']);
  const connected = o.metrics.gauge('tryghed_broker_connected_clients', 'Connected MQTT clients');
  const clientErrors = o.metrics.counter(
    'tryghed_broker_client_errors_total',
    'Client connections closed on error',
  );

  const refuse = (reason: Refusal, client: Client | null, extra: Record<string, unknown> = {}) => {
    refusals.inc({ reason });
    const identity = client ? identities.get(client) : undefined;
    const who =
      identity?.kind === 'device'
        ? { deviceId: identity.deviceId }
        : identity
          ? { service: identity.username }
          : {};
    log.warn({ reason, ...who, ...extra }, 'broker refused');
  };

  const aedes = await Aedes.createBroker({
    // a slow device must not hold a connection slot for ever before it says who it is
    connectTimeout: 10_000,

    authenticate(client, username, password, done) {
      if (!client.id || /[#+/]/.test(client.id)) {
        refuse('bad_client_id', null);
        return done(authError('client id may not contain #, + or /', 2), false);
      }
      const secret = password?.toString('utf8') ?? '';
      const name = username ?? '';
      const device = o.registry.device(name);
      const serviceHash = services.get(name);
      const hash = device?.secretHash ?? serviceHash;
      if (!hash || !secret) {
        refuse('bad_credentials', null);
        return done(authError('bad user name or password', 4), false);
      }
      verifySecret(secret, hash).then(
        (ok) => {
          if (!ok) {
            refuse('bad_credentials', null);
            return done(authError('bad user name or password', 4), false);
          }
          identities.set(
            client,
            device
              ? { kind: 'device', deviceId: device.id, homeId: device.homeId, role: device.role }
              : { kind: 'service', username: name },
          );
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err }, 'verifying a secret failed');
          done(authError('server unavailable', 5), false);
        },
      );
    },

    authorizePublish(client, packet, done) {
      // client is null only for the platform's own publishes
      if (!client) return done(null);
      const identity = identities.get(client);
      if (!identity) {
        refuse('publish_denied', client);
        return done(new Error('not authenticated'));
      }
      if (packet.payload.length > o.maxPayloadBytes) {
        refuse('payload_too_large', client, { bytes: packet.payload.length });
        return done(new Error('payload too large'));
      }
      if (packet.qos === 2) {
        // Readings are idempotent by seq; QoS 2's extra round trip buys nothing and costs state.
        refuse('qos2', client);
        return done(new Error('QoS 2 is not supported; use QoS 1'));
      }
      const verdict = mayPublish(identity, packet.topic, packet.retain, o.registry);
      if (!verdict.ok) {
        refuse(verdict.reason, client);
        return done(new Error('not authorised to publish here'));
      }
      done(null);
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
      // readings were handed on before their PUBACK (see "PUBACK means stored" below)
      if (client && !packet.topic.endsWith('/readings')) {
        const message = deviceMessage(client, packet.topic, packet.payload as Buffer);
        if (message) deliver(message);
      }
      done(null);
    },
  });

  /** a device's own message on its own topics, counted and marked as heard; null for anything else */
  const deviceMessage = (client: Client, topic: string, payload: Buffer): DeviceMessage | null => {
    const identity = identities.get(client);
    if (identity?.kind !== 'device') return null;
    const verdict = mayPublish(identity, topic, false, o.registry);
    if (!verdict.ok || !verdict.deviceId || !verdict.homeId || verdict.type === 'service') return null;
    lastSeen.set(verdict.deviceId, clock.now());
    messages.inc({ type: verdict.type });
    return {
      type: verdict.type,
      topic,
      payload,
      homeId: verdict.homeId,
      deviceId: verdict.deviceId,
      clientId: client.id,
    };
  };

  /** hands a message to every listener; what they promise about durability, together */
  const deliver = (message: DeviceMessage): Promise<boolean> | undefined => {
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

  // PUBACK means stored. aedes 1.x writes a QoS 1 PUBACK right after `authorizePublish` calls back,
  // before the publish runs through `published` (lib/handlers/publish.js, enqueuePublish). So an
  // authorised reading is handed to ingest here, and the authorisation's callback (hence the PUBACK)
  // waits until ingest says the reading is durable. Rules hear the reading at once; only the ack
  // waits. aedes reads a client's next packets only after the current ones called back, so a slow
  // ack holds back that one device, never another. Not durable: the connection is closed without
  // PUBACK, and the device sends the reading again when it reconnects.
  const authorize = aedes.authorizePublish;
  aedes.authorizePublish = (client, packet, done) => {
    authorize.call(aedes, client, packet, (err) => {
      if (err || !client) return done(err);
      if (!packet.topic.endsWith('/readings')) return done(null);
      const message = deviceMessage(client, packet.topic, packet.payload as Buffer);
      if (message?.type !== 'readings') return done(null);
      const durable = deliver(message);
      // QoS 0 has no acknowledgement to hold back
      if (!durable || packet.qos === 0) return done(null);
      durable.then((ok) => {
        if (ok) return done(null);
        refusals.inc({ reason: 'not_stored' });
        done(new Error('the reading could not be stored now; send it again'));
      });
    });
  };

  aedes.on('client', () => connected.set(aedes.connectedClients));
  aedes.on('clientDisconnect', () => connected.set(aedes.connectedClients));
  aedes.on('clientError', (client, err) => {
    clientErrors.inc();
    const identity = identities.get(client);
    log.info(
      { err: err.message, ...(identity?.kind === 'device' ? { deviceId: identity.deviceId } : {}) },
      'client closed on error',
    );
  });
  aedes.on('connectionError', (_client, err) => {
    clientErrors.inc();
    log.info({ err: err.message }, 'connection closed on error');
  });

  const server: Server = createServer(aedes.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    const code = (err as NodeJS.ErrnoException).code;
    throw new BrokerStartError(
      code === 'EADDRINUSE'
        ? `MQTT port ${o.port} on ${o.host} is taken: set MQTT_PORT to a free port (or stop what uses it)`
        : `the MQTT broker could not listen on ${o.host}:${o.port} (MQTT_HOST/MQTT_PORT): ${(err as Error).message}`,
      { cause: err },
    );
  }
  server.on('error', (err) => log.error({ err }, 'MQTT server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  log.info({ port }, 'MQTT broker listening');

  return {
    port,
    url: `mqtt://${host}:${port}`,
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
    running: () => server.listening && !aedes.closed,
    close: () =>
      new Promise<void>((resolve) => {
        // aedes.close() disconnects every client; then the listening socket can close
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
