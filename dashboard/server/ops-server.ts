import { createServer, type Server } from 'node:http';
import express from 'express';
import { type Logger, type Metrics, TryghedError } from '../../services/runtime/index.ts';
import { errorHandler } from './http-errors.ts';
import { dataHeaders } from './http-headers.ts';
import { listenHttp } from './listen.ts';
import { opsRoutes } from './routes/ops.ts';

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * For a process without the dashboard role (`ROLES`): only /healthz, /readyz and /metrics, as the
 * dashboard serves them, on `HTTP_HOST`/`HTTP_PORT`, so a load balancer and Prometheus see every
 * process. Nothing else answers (404).
 */
export async function startOpsServer(o: {
  host: string;
  port: number;
  readiness: Record<string, () => Promise<boolean>>;
  metrics: Metrics;
  metricsToken: string;
  logger: Logger;
}): Promise<OpsServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use(['/healthz', '/readyz', '/metrics'], dataHeaders);
  app.use(opsRoutes({ metrics: o.metrics }, o.readiness, o.metricsToken));
  app.use((_req, _res, next) =>
    next(new TryghedError('not_found', 'this process serves only /healthz, /readyz and /metrics')),
  );
  app.use(errorHandler(o.logger, 0));
  const server: Server = createServer(app);
  const url = await listenHttp(server, { host: o.host, port: o.port, what: 'health endpoint' });
  o.logger.info({ url }, 'health endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
