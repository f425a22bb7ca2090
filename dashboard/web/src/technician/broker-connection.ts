import { api } from '../api/client.ts';

/** What `GET /api/broker/connection` answers (dashboard/server/routes/broker.ts). */
export interface BrokerConnection {
  endpoints: {
    plain: string | null;
    tls: string | null;
    webSocketPath: string | null;
    webSocket: string | null;
  };
  tls: { fingerprint256: string; caPem: string; selfSigned: boolean } | null;
}

let cached: Promise<BrokerConnection> | null = null;

/** The broker as the platform started it; read once per page load (it changes only on a restart). */
export function brokerConnection(): Promise<BrokerConnection> {
  const asked: Promise<BrokerConnection> = api('get', '/api/broker/connection');
  cached ??= asked.catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/**
 * The URLs a device may use, best first: TLS, then WebSocket over TLS, then the plain ones. A
 * WebSocket on the dashboard's path is given as a full URL on the page's own host.
 */
export function brokerUrls(c: BrokerConnection, pageOrigin: string): string[] {
  const urls: string[] = [];
  if (c.endpoints.tls) urls.push(c.endpoints.tls);
  if (c.endpoints.webSocketPath) {
    const origin = new URL(pageOrigin);
    urls.push(`${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}${c.endpoints.webSocketPath}`);
  }
  if (c.endpoints.webSocket) urls.push(c.endpoints.webSocket);
  if (c.endpoints.plain) urls.push(c.endpoints.plain);
  return [...new Set(urls)];
}

/** The topic a device publishes its readings on (services/domain/topics.ts, `topics.readings`). */
export function readingsTopic(homeId: string, deviceId: string): string {
  return `tryghed/v1/homes/${homeId}/devices/${deviceId}/readings`;
}
