import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** performance.now() when the request had arrived in full */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A real HTTP server on a free port that records every POST, standing in for a webhook, a team's
 * chat or an SMS gateway. `respond` decides the status per request (1 = the first); a status of 0
 * never answers (for timeouts). `port` starts it on a port reserved earlier (a receiver coming back).
 */
export async function startReceiver(
  respond: (n: number, req: Received) => number = () => 200,
  options: { port?: number } = {},
) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // left empty; a test that cares looks at it
      }
      const entry: Received = { at: performance.now(), path: req.url ?? '/', headers: req.headers, body };
      received.push(entry);
      const status = respond(received.length, entry);
      if (status === 0) return; // hang: the client's timeout must end it
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  // a given port: the same receiver "back up" where the platform was told it is
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
