import { createServer, type Server } from 'node:http';
import express from 'express';
import type { AlertService } from '../../services/alerts/index.ts';
import type { ConsentRegistry } from '../../services/consent/index.ts';
import type { HealthView } from '../../services/health/index.ts';
import type { Registry } from '../../services/registry/index.ts';
import {
  type Clock,
  type Logger,
  type Metrics,
  systemClock,
  TryghedError,
} from '../../services/runtime/index.ts';
import type { Store } from '../../services/store/index.ts';
import { requireActor, requireCsrf, sessionRoutes } from './auth.ts';
import type { DashboardContext } from './context.ts';
import { errorHandler, sendError } from './http-errors.ts';
import { LiveChannel } from './live.ts';
import { adminRoutes } from './routes/admin.ts';
import { alertRoutes } from './routes/alerts.ts';
import { homeRoutes } from './routes/homes.ts';
import { opsRoutes } from './routes/ops.ts';
import { oversightRoutes } from './routes/oversight.ts';
import { statusRoutes } from './routes/status.ts';
import { SessionStore } from './sessions.ts';
import { webRoutes } from './web.ts';

export interface DashboardOptions {
  host: string;
  port: number;
  store: Store;
  registry: Registry;
  consent: ConsentRegistry;
  alerts: AlertService;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  readiness: Record<string, () => Promise<boolean>>;
  /** origins allowed to open /live; default: the dashboard's own */
  allowedOrigins?: string[];
  secureCookies: boolean;
  sessionIdleMinutes?: number;
  sessionAbsoluteHours?: number;
  lastSeen?: (deviceId: string) => number | undefined;
  /** the platform's health; staff see its degraded reasons on /api/status and /live */
  health?: HealthView;
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  /** teams with at least one member connected to /live now */
  watchingTeams(): Set<string>;
  close(): Promise<void>;
}

export class DashboardStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DashboardStartError';
  }
}

/** The people's edge: REST API, ws /live and the web app, on one HTTP server. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const clock = o.clock ?? systemClock;
  const ctx: DashboardContext = {
    store: o.store,
    registry: o.registry,
    consent: o.consent,
    alerts: o.alerts,
    metrics: o.metrics,
    logger: o.logger,
    clock,
    secureCookies: o.secureCookies,
    sessions: new SessionStore(
      clock,
      (o.sessionIdleMinutes ?? 30) * 60_000,
      (o.sessionAbsoluteHours ?? 12) * 3_600_000,
    ),
    ...(o.lastSeen ? { lastSeen: o.lastSeen } : {}),
    ...(o.health ? { health: o.health } : {}),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '64kb' }));
  app.use(opsRoutes(ctx, o.readiness));
  app.use(await webRoutes());
  app.use(sessionRoutes(ctx));
  app.use('/api', requireActor(ctx), requireCsrf(ctx));
  app.use(alertRoutes(ctx));
  app.use(homeRoutes(ctx));
  app.use(adminRoutes(ctx));
  app.use(oversightRoutes(ctx));
  app.use(statusRoutes(ctx));
  app.use('/api', (_req, res) => sendError(res, new TryghedError('not_found', 'no such API endpoint')));
  app.use(errorHandler(o.logger));

  const server: Server = createServer(app);
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
    throw new DashboardStartError(
      code === 'EADDRINUSE'
        ? `dashboard port ${o.port} on ${o.host} is taken: set HTTP_PORT to a free port (or stop what uses it)`
        : `the dashboard could not listen on ${o.host}:${o.port} (HTTP_HOST/HTTP_PORT): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  const url = `http://${host}:${port}`;
  const origins = o.allowedOrigins ?? [url, `http://localhost:${port}`];
  const live = new LiveChannel(ctx, server, () => origins);
  o.logger.info({ url }, 'dashboard listening');

  return {
    url,
    port,
    watchingTeams: () => live.watchingTeams(),
    close: () =>
      new Promise<void>((resolve) => {
        live.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
