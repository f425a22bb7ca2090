import { join, resolve } from 'node:path';
import { type Clock, type Logger, StartError } from '../services/runtime/index.ts';
import { createInfluxV1Store, createInfluxV2Store, type ReadingStore } from '../services/timeseries/index.ts';
import type { Config } from './config.ts';
import { influxdInstalled, type LocalInfluxd, startInfluxd } from './influxd.ts';

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(1500) });
    return res.status === 204 || res.ok;
  } catch {
    return false;
  }
}

/**
 * Connects to InfluxDB at INFLUX_URL. When nothing answers there, INFLUX_AUTOSTART is on, the URL
 * is local and influxd is installed, starts one as a child with its data under DATA_DIR, on the
 * URL's port, so `npm start` needs nothing running beforehand.
 */
export async function openReadingsBackend(
  config: Config,
  logger: Logger,
  /** the platform's clock (the v2 adapter's erasure reaches past its now) */
  clock?: Clock,
): Promise<{ readings: ReadingStore; influxd: LocalInfluxd | null }> {
  let influxd: LocalInfluxd | null = null;
  if (!(await answers(config.influxUrl))) {
    const url = new URL(config.influxUrl);
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (!config.influxAutostart || !local || config.influxApi !== 'v1') {
      throw new StartError(
        `No InfluxDB answers at INFLUX_URL=${config.influxUrl}. Start one there, or set INFLUX_URL to a running InfluxDB` +
          (local ? ' (or INFLUX_AUTOSTART=true to start a local influxd).' : '.'),
        { setting: 'INFLUX_URL' },
      );
    }
    if (!influxdInstalled(config.influxdBinary)) {
      throw new StartError(
        `No InfluxDB answers at INFLUX_URL=${config.influxUrl}, and INFLUXD_BINARY=${config.influxdBinary} is not installed. ` +
          'Run "npm run setup" (installs Debian\'s influxdb), set INFLUX_URL to a running InfluxDB, or use "docker compose up".',
      );
    }
    const dir = resolve(join(config.dataDir, 'influxdb'));
    logger.info({ dir, port: Number(url.port || 8086) }, 'starting a local influxd');
    try {
      influxd = await startInfluxd({ dir, binary: config.influxdBinary, httpPort: Number(url.port || 8086) });
    } catch (err) {
      throw new StartError(
        `Could not start a local influxd for INFLUX_URL=${config.influxUrl} (is the port taken by something else?): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  const readings =
    config.influxApi === 'v2'
      ? createInfluxV2Store({
          url: config.influxUrl,
          token: config.influxToken,
          org: config.influxOrg,
          bucket: config.influxBucket,
          logger,
          ...(clock ? { clock } : {}),
        })
      : createInfluxV1Store({
          url: config.influxUrl,
          database: config.influxDatabase,
          retentionDays: config.retentionDays,
          logger,
          ...(config.influxUsername
            ? { username: config.influxUsername, password: config.influxPassword }
            : {}),
        });
  try {
    await readings.ensureReady();
  } catch (err) {
    await influxd?.stop();
    throw new StartError(
      `InfluxDB at INFLUX_URL=${config.influxUrl} is not usable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return { readings, influxd };
}
