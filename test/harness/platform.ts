import { inject } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { type Platform, startPlatform } from '../../platform/start.ts';
import { type Clock, type Logger, Metrics, silentLogger } from '../../services/runtime/index.ts';
import { TEST_ADMIN } from './platform-process.ts';

export { TEST_ADMIN };

/**
 * The whole platform in this process on real parts: SQLite in `dataDir`, the harness's influxd,
 * aedes and the dashboard on free ports. Start it twice on the same `dataDir` to test a restart.
 */
export async function startTestPlatform(options: {
  dataDir: string;
  database: string;
  env?: Record<string, string>;
  clock?: Clock;
  logger?: Logger;
}): Promise<Platform> {
  const config = loadConfig({
    DATA_DIR: options.dataDir,
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DATABASE: options.database,
    INFLUX_AUTOSTART: 'false',
    HTTP_PORT: '0',
    MQTT_PORT: '0',
    // TLS on a free port too, with a self-signed pair made in dataDir (as `npm start` would)
    MQTT_TLS_PORT: '0',
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    INGEST_FLUSH_MS: '20',
    RULES_TICK_MS: '50',
    ...options.env,
  });
  return startPlatform(config, {
    logger: options.logger ?? silentLogger(),
    metrics: new Metrics(),
    checkResponses: true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
