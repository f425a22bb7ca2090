import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { type Logger, type Metrics, StartError } from '../services/runtime/index.ts';
import {
  looksLikeProxyHeader,
  type ProxyHeader,
  type ProxyHeaderRefusal,
  peekFirstBytes,
  presentAs,
  proxyMatcher,
  readProxyHeader,
} from './proxy-protocol.ts';

/** `off`: no client certificates; `optional`: one, if presented, must be valid and name the device; `required`: every client needs one. */
export type ClientCertificateMode = 'off' | 'optional' | 'required';

export interface TlsListenerOptions {
  /** 0 picks a free port */
  port: number;
  /** PEM: the server's certificate (chain) and its private key */
  cert: string;
  key: string;
  /** PEM: the CA(s) whose client certificates are accepted; needed unless `clientCertificates` is off */
  clientCa?: string;
  clientCertificates: ClientCertificateMode;
}

export interface ListenerOptions {
  host: string;
  /** plain MQTT over TCP; null: off. 0 picks a free port */
  plainPort: number | null;
  /** MQTT over TLS; null: off */
  tls: TlsListenerOptions | null;
  /** MQTT over WebSocket on a port of its own (TLS with the same certificate when `tls` is set); null: off */
  webSocketPort: number | null;
  /** largest MQTT payload, to bound a WebSocket frame */
  maxPayloadBytes: number;
  /** connections the kernel may queue before we accept them (a reconnect storm) */
  backlog?: number;
  /** browser origins allowed on MQTT over WebSocket besides the broker's own host (devices send none) */
  webSocketOrigins?: () => string[];
  /** refusals at the door are counted with the broker's (`tryghed_broker_refusals_total`) */
  metrics: Metrics;
  /**
   * TCP proxies (addresses, CIDR ranges, loopback/linklocal/uniquelocal) whose connections to the
   * plain and TLS listeners must start with a PROXY protocol header (v1 or v2), whose client
   * address is then the connection's; empty or absent: no header is read from anyone
   */
  proxyProtocolFrom?: readonly string[];
  /** how long a trusted proxy has to send its whole header; default 5 s */
  proxyHeaderTimeoutMs?: number;
}

export interface BrokerEndpoints {
  /** `mqtt://host:port`, or null when plain MQTT is off */
  plain: string | null;
  /** `mqtts://host:port`, or null when TLS is off */
  tls: string | null;
  /** `ws://` or `wss://host:port/mqtt` on the broker's own WebSocket port, or null */
  webSocket: string | null;
}

export interface DeviceListeners {
  readonly endpoints: BrokerEndpoints;
  /**
   * MQTT over WebSocket on another HTTP server (the dashboard's `MQTT_WS_PATH`): hand the upgrade
   * request here. Devices send no Origin; a browser page of a foreign origin is refused.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** every listener that was opened still listens */
  listening(): boolean;
  /** sockets accepted and not closed yet, on every door (what `close` would have to end) */
  openSockets(): number;
  close(): Promise<void>;
}

/** A slow or silent client must not hold a TLS handshake open for ever (Node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A proxy writes its PROXY header at once; one that does not must not hold the socket. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;
/** With the PROXY protocol on, a direct peer's first bytes are looked at; a silent one is closed then. */
const UNTRUSTED_FIRST_BYTES_TIMEOUT_MS = 10_000;
/** MQTT over WebSocket: one frame may carry a whole packet; allow the payload limit and headroom */
const WS_FRAME_HEADROOM_BYTES = 64 * 1024;

/**
 * The broker's doors: plain MQTT, MQTT over TLS, MQTT over WebSocket (its own port, and a hook
 * for a path on the dashboard's server). Each listener is opened in turn; if one cannot listen,
 * those already open are closed and the error names the setting to change.
 */
export async function openListeners(aedes: Aedes, o: ListenerOptions, log: Logger): Promise<DeviceListeners> {
  const servers: Array<NetServer | HttpServer> = [];
  const urlHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const refusals = o.metrics.counter(
    'tryghed_broker_refusals_total',
    'Connections, publishes and subscriptions refused',
    ['reason'],
  );
  // Every accepted socket, so closing can end the ones aedes does not know yet (no CONNECT read, or
  // authentication under way): server.close() would otherwise wait for them for as long as they stay
  // open, and a failed start would hang.
  // One listener for every socket, called with the socket as `this`: `once` with a closure cost each
  // connection a wrapper, its state and the closure (about 160 bytes of the ~6 KB a connection holds).
  const sockets = new Set<Duplex>();
  function forget(this: Duplex): void {
    sockets.delete(this);
  }
  const track = (server: NetServer | HttpServer) =>
    server.on('connection', (socket: Duplex) => {
      sockets.add(socket);
      socket.on('close', forget);
    });
  const closeServers = async () => {
    const closed = Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if ('closeAllConnections' in s) s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxPayloadBytes + WS_FRAME_HEADROOM_BYTES,
    // MQTT over WebSocket names its subprotocol "mqtt" (MQTT 3.1.1 §6); older clients "mqttv3.1"
    handleProtocols: (offered) =>
      offered.has('mqtt') ? 'mqtt' : offered.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  const refuseOrigin = (socket: Duplex) => {
    refusals.inc({ reason: 'websocket_origin' });
    log.info({ reason: 'websocket_origin' }, 'MQTT over WebSocket refused');
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Credentials travel inside MQTT's CONNECT, never in a cookie, so a foreign page cannot ride a
    // session; still, a browser inside the municipality's network must not become a hostile
    // page's MQTT client. Devices send no Origin; some libraries send the broker's own.
    const origin = req.headers.origin;
    if (origin && !sameHost(origin, req.headers.host) && !(o.webSocketOrigins?.() ?? []).includes(origin)) {
      return refuseOrigin(socket);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      // a broken WebSocket closes only its own connection
      stream.on('error', () => stream.destroy());
      aedes.handle(stream, req);
    });
  };

  const listen = async (server: NetServer | HttpServer, port: number, setting: string): Promise<number> => {
    track(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: o.host, backlog: o.backlog ?? 4096 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await closeServers();
      const code = (err as NodeJS.ErrnoException).code;
      throw new StartError(
        code === 'EADDRINUSE'
          ? `MQTT port ${port} on ${o.host} is taken: set ${setting} to a free port (or stop what uses it)`
          : `the MQTT broker could not listen on ${o.host}:${port} (MQTT_HOST/${setting}): ${(err as Error).message}`,
        { setting, cause: err },
      );
    }
    servers.push(server);
    server.on('error', (err) => log.error({ err, setting }, 'MQTT listener error'));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  };

  // PROXY protocol: from a trusted proxy the header is read first and required; from anyone else
  // nothing is read, so a header they send is garbage to MQTT or TLS and ends their connection
  const fromProxy = proxyMatcher(o.proxyProtocolFrom ?? []);
  const proxyProtocol = (o.proxyProtocolFrom ?? []).length > 0;
  const refuseProxied = (socket: Socket, reason: ProxyHeaderRefusal, why: string, listener: string) => {
    refusals.inc({ reason });
    // one line, without addresses. From our proxy it is a misconfiguration (warn); a forger's
    // header is only counted and logged at debug, so a flood of them cannot flood the log
    if (reason === 'proxy_header_untrusted') log.debug({ reason, why, listener }, 'MQTT connection refused');
    else
      log.warn({ reason, why, listener }, 'MQTT connection from the trusted proxy refused: PROXY protocol');
    socket.destroy();
  };
  const behindProxy =
    (listener: 'plain' | 'tls', next: (socket: Socket, header: ProxyHeader | null) => void) =>
    (socket: Socket) => {
      // errors before MQTT or TLS take the socket close this socket only
      socket.on('error', () => socket.destroy());
      if (!fromProxy(socket.remoteAddress)) {
        // a header from anyone else is never read; one that starts like it is refused at once
        void peekFirstBytes(socket, UNTRUSTED_FIRST_BYTES_TIMEOUT_MS).then((first) => {
          if (!first) return socket.destroy();
          if (looksLikeProxyHeader(first[0]!)) {
            return refuseProxied(
              socket,
              'proxy_header_untrusted',
              'header from a peer not in the list',
              listener,
            );
          }
          next(socket, null);
        });
        return;
      }
      void readProxyHeader(socket, o.proxyHeaderTimeoutMs ?? PROXY_HEADER_TIMEOUT_MS).then((read) => {
        if (!read.ok) return refuseProxied(socket, read.reason, read.why, listener);
        if (socket.destroyed) return;
        presentAs(socket, read.header);
        next(socket, read.header);
      });
    };

  const endpoints: BrokerEndpoints = { plain: null, tls: null, webSocket: null };
  if (o.plainPort !== null) {
    const server = proxyProtocol
      ? createNetServer(behindProxy('plain', (socket) => aedes.handle(socket)))
      : createNetServer(aedes.handle);
    const port = await listen(server, o.plainPort, 'MQTT_PLAIN_PORT (or MQTT_PORT)');
    endpoints.plain = `mqtt://${urlHost}:${port}`;
    log.info({ port }, 'MQTT broker listening (plain)');
  }
  const tlsOptions = o.tls
    ? {
        cert: o.tls.cert,
        key: o.tls.key,
        minVersion: 'TLSv1.2' as const,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        ...(o.tls.clientCertificates !== 'off'
          ? {
              ca: o.tls.clientCa,
              requestCert: true,
              // optional: a client without a certificate still gets in (and must log in); one
              // with a certificate we cannot verify is refused at CONNECT (see guardClientCertificates)
              rejectUnauthorized: o.tls.clientCertificates === 'required',
            }
          : {}),
      }
    : null;
  if (o.tls && tlsOptions) {
    const server = createTlsServer(tlsOptions, aedes.handle);
    // a client that does not trust us, a scanner, a missing client certificate: counted, and
    // logged only at debug, so a flood of bad handshakes cannot flood the log
    server.on('tlsClientError', (err) => {
      refusals.inc({ reason: 'tls_handshake' });
      log.debug({ err: err.message }, 'TLS handshake failed');
    });
    let door: NetServer = server;
    if (proxyProtocol) {
      // The header comes before the TLS handshake (HAProxy passes TLS through): a plain TCP
      // listener reads it, then hands the socket, the rest of its bytes put back, to the TLS server.
      const proxied = new WeakMap<Socket, ProxyHeader>();
      door = createNetServer(
        behindProxy('tls', (socket, header) => {
          if (header) proxied.set(socket, header);
          server.emit('connection', socket);
        }),
      );
      // the TLS socket reports the client's address too (it wraps the raw one: its `_parent`)
      server.prependListener('secureConnection', (tlsSocket: TLSSocket) => {
        const raw = (tlsSocket as TLSSocket & { _parent?: Socket })._parent;
        const header = raw && proxied.get(raw);
        if (header) presentAs(tlsSocket, header);
      });
    }
    const port = await listen(door, o.tls.port, 'MQTT_TLS_PORT');
    endpoints.tls = `mqtts://${urlHost}:${port}`;
    log.info({ port, clientCertificates: o.tls.clientCertificates }, 'MQTT broker listening (TLS)');
  }
  if (o.webSocketPort !== null) {
    const server = tlsOptions ? createHttpsServer(tlsOptions) : createHttpServer();
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('MQTT over WebSocket only\n');
    });
    server.on('upgrade', handleUpgrade);
    const port = await listen(server, o.webSocketPort, 'MQTT_WS_PORT');
    endpoints.webSocket = `${tlsOptions ? 'wss' : 'ws'}://${urlHost}:${port}/mqtt`;
    log.info({ port, tls: Boolean(tlsOptions) }, 'MQTT broker listening (WebSocket)');
  }

  return {
    endpoints,
    handleUpgrade,
    listening: () => servers.every((s) => s.listening),
    openSockets: () => sockets.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await closeServers();
    },
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export type CertificateRefusal = 'certificate_missing' | 'certificate_invalid' | 'certificate_mismatch';

/** The client certificate a connection presented, if any, and whether our CA vouched for it. */
function peerCertificate(client: Client): { verified: boolean; commonName: string | null } | null {
  const socket =
    client.conn instanceof TLSSocket
      ? client.conn
      : client.req?.socket instanceof TLSSocket
        ? client.req.socket
        : null;
  if (!socket) return null;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return null;
  const cn = cert.subject?.CN;
  return { verified: socket.authorized, commonName: typeof cn === 'string' ? cn : null };
}

const notAuthorised = (message: string): AuthenticateError =>
  Object.assign(new Error(message), { returnCode: 5 }) as AuthenticateError;

/**
 * Client certificates, checked at CONNECT before the password. A certificate proves that the
 * municipality's CA (`MQTT_TLS_CA`) issued it for the device named in its common name, and that
 * the client holds its key; the password proves the device's provisioned secret. Both must name
 * the same device, so a certificate lifted from one device cannot carry another device's secret.
 * With `required`, a connection without a certificate (plain MQTT, the dashboard's WebSocket
 * path) is refused too: "required" holds on every door, not only the TLS one.
 *
 * Wraps `aedes.authenticate` (a public hook on the instance, read at every CONNECT), so the
 * password check stays where it is.
 */
export function guardClientCertificates(
  aedes: Aedes,
  mode: ClientCertificateMode,
  onRefuse: (reason: CertificateRefusal) => void,
): void {
  if (mode === 'off') return;
  const checkPassword = aedes.authenticate;
  aedes.authenticate = (client, username, password, done) => {
    const peer = peerCertificate(client);
    if (!peer) {
      if (mode === 'required') {
        onRefuse('certificate_missing');
        return done(notAuthorised('a client certificate is required'), false);
      }
    } else if (!peer.verified) {
      // optional mode lets the handshake through; a certificate we cannot verify is still refused
      onRefuse('certificate_invalid');
      return done(notAuthorised('client certificate not issued by MQTT_TLS_CA'), false);
    } else if (!peer.commonName || peer.commonName !== username) {
      onRefuse('certificate_mismatch');
      return done(notAuthorised('client certificate does not name this device'), false);
    }
    checkPassword.call(aedes, client, username, password, done);
  };
}
