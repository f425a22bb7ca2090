import { createServer, type Server, type Socket } from 'node:net';
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
  onDeviceMessage(listener: (message: DeviceMessage) => void): () => void;
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
  | 'qos2';

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
  const listeners: Array<(m: DeviceMessage) => void> = [];
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
      if (client) {
        const identity = identities.get(client);
        if (identity?.kind === 'device') {
          const verdict = mayPublish(identity, packet.topic, false, o.registry);
          if (verdict.ok && verdict.deviceId && verdict.homeId && verdict.type !== 'service') {
            lastSeen.set(verdict.deviceId, clock.now());
            messages.inc({ type: verdict.type });
            const message: DeviceMessage = {
              type: verdict.type,
              topic: packet.topic,
              payload: packet.payload as Buffer,
              homeId: verdict.homeId,
              deviceId: verdict.deviceId,
              clientId: client.id,
            };
            for (const listener of listeners) {
              try {
                listener(message);
              } catch (err) {
                log.error({ err }, 'device message listener failed');
              }
            }
          }
        }
      }
      done(null);
    },
  });

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
  // Every accepted socket, so close() can end the ones aedes does not know yet (no CONNECT read,
  // or authentication under way): server.close() would otherwise wait for them for as long as
  // they stay open, and a failed start would hang.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
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
    for (const socket of sockets) socket.destroy();
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
        aedes.close(() => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
      }),
  };
}
