import type { Server } from 'node:http';
import { StartError } from '../../services/runtime/index.ts';

/**
 * Listens on `HTTP_HOST`/`HTTP_PORT` (the dashboard, or a process's health endpoint without it) and
 * answers the address people and load balancers use. A taken port is a start error naming the
 * setting, so start stops and says what to change instead of hanging or crashing.
 */
export async function listenHttp(
  server: Server,
  o: { host: string; port: number; what: string },
): Promise<string> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartError(
      code === 'EADDRINUSE'
        ? `${o.what} port ${o.port} on ${o.host} is taken: set HTTP_PORT to a free port (or stop what uses it)`
        : `the ${o.what} could not listen on ${o.host}:${o.port} (HTTP_HOST/HTTP_PORT): ${(err as Error).message}`,
      { setting: 'HTTP_PORT', cause: err },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`;
}
