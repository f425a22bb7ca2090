import { flux, fluxExpression, fluxString, InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import type { ReadingCategory, SensorKind } from '../domain/index.ts';
import { type Clock, type Logger, systemClock } from '../runtime/index.ts';
import {
  isPointRefusal,
  MEASUREMENT,
  pointTimeNs,
  type ReadingPoint,
  type ReadingQuery,
  type ReadingStore,
  SAFE_ID,
  TimeseriesRefusedError,
  TimeseriesUnavailableError,
} from './types.ts';

/** InfluxDB 2.x/3.x over the v2 API, with `@influxdata/influxdb-client`. */
export function createInfluxV2Store(options: {
  url: string;
  token: string;
  org: string;
  bucket: string;
  logger: Logger;
  /** the platform's clock: an erasure reaches a year past its now (device clocks run ahead) */
  clock?: Clock;
}): ReadingStore {
  const clock = options.clock ?? systemClock;
  // The client logs to the console on its own; send that to our logger, where failures are
  // already reported once per streak by ingest.
  setLogger({
    error: (message, err) => options.logger.debug({ err }, message),
    warn: (message, err) => options.logger.debug({ err }, message),
  });
  const client = new InfluxDB({ url: options.url, token: options.token, timeout: 10_000 });
  const headers = { authorization: `Token ${options.token}`, 'content-type': 'application/json' };
  const unreachable = (err: unknown) =>
    new TimeseriesUnavailableError(
      `InfluxDB at INFLUX_URL=${options.url} is not usable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );

  const inList = (column: string, values: readonly string[]) =>
    fluxExpression(values.map((v) => `r.${column} == ${fluxString(v)}`).join(' or '));

  /** InfluxDB 2.x's delete API: the points from the epoch to `stop` that match `predicate` */
  const deletePoints = async (stop: string, predicate: string, failure: string) => {
    const res = await fetch(
      `${options.url}/api/v2/delete?org=${encodeURIComponent(options.org)}&bucket=${encodeURIComponent(options.bucket)}`,
      {
        method: 'POST',
        headers,
        body: JSON.stringify({ start: '1970-01-01T00:00:00Z', stop, predicate }),
      },
    );
    if (!res.ok) throw new Error(`${failure}: HTTP ${res.status} ${await res.text()}`);
  };

  return {
    api: 'v2',
    async ensureReady() {
      try {
        const res = await fetch(
          `${options.url}/api/v2/buckets?org=${encodeURIComponent(options.org)}&name=${encodeURIComponent(options.bucket)}`,
          { headers, signal: AbortSignal.timeout(5000) },
        );
        if (res.status === 404)
          throw new Error('no v2 API here (is this InfluxDB 1.x? then use INFLUX_API=v1)');
        if (!res.ok) throw new Error(`HTTP ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { buckets?: unknown[] };
        if (!body.buckets?.length) throw new Error(`bucket INFLUX_BUCKET=${options.bucket} does not exist`);
      } catch (err) {
        throw unreachable(err);
      }
    },

    async write(readings) {
      if (readings.length === 0) return;
      // Retries are ingest's job (it keeps the points); the client must not retry behind our back.
      const writeApi = client.getWriteApi(options.org, options.bucket, 'ns', {
        batchSize: readings.length + 1,
        maxRetries: 0,
        flushInterval: 0,
      });
      for (const r of readings) {
        const point = new Point(MEASUREMENT)
          .tag('home', r.homeId)
          .tag('device', r.deviceId)
          .tag('kind', r.kind)
          .tag('category', r.category)
          .floatField('value', r.value)
          .intField('seq', r.seq)
          .timestamp(pointTimeNs(r.ts, r.seq));
        // only on test readings, so a device's series stay as they were
        if (r.test) point.tag('test', 'true');
        // the device's own time, only when it was not believed (ts is then the receive time)
        if (r.deviceTs !== undefined) point.floatField('device_ts', r.deviceTs);
        writeApi.writePoint(point);
      }
      try {
        await writeApi.close();
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (isPointRefusal(status)) {
          throw new TimeseriesRefusedError((err as Error).message, status as number, { cause: err });
        }
        throw err;
      }
    },

    async query(q: ReadingQuery) {
      if (!SAFE_ID.test(q.homeId)) throw new Error('unsafe home id');
      const limit = Math.max(1, Math.min(q.limit ?? 10_000, 100_000));
      const filters = [
        fluxExpression(`r._measurement == ${fluxString(MEASUREMENT)}`),
        flux`r.home == ${q.homeId}`,
      ];
      if (q.kinds?.length) filters.push(inList('kind', q.kinds));
      if (q.categories?.length) filters.push(inList('category', q.categories));
      if (q.deviceIds?.length) filters.push(inList('device', q.deviceIds));
      if (q.testOnly) filters.push(fluxExpression('r.test == "true"'));
      const filter = filters.map((f) => `(${f})`).join(' and ');
      const query = flux`from(bucket: ${options.bucket})
        |> range(start: ${new Date(q.from)}, stop: ${new Date(q.to + 1)})
        |> filter(fn: (r) => ${fluxExpression(filter)})
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> group()
        |> sort(columns: ["_time"], desc: ${q.order === 'desc'})
        |> limit(n: ${limit})`;
      const rows = await client.getQueryApi(options.org).collectRows<Record<string, unknown>>(query);
      return rows.map(
        (r): ReadingPoint => ({
          homeId: q.homeId,
          deviceId: String(r.device),
          kind: r.kind as SensorKind,
          category: r.category as ReadingCategory,
          value: Number(r.value),
          ts: Date.parse(String(r._time)),
          seq: Number(r.seq),
          ...(r.test === 'true' ? { test: true as const } : {}),
        }),
      );
    },

    async eraseHome(homeId) {
      if (!SAFE_ID.test(homeId)) throw new Error('unsafe home id');
      await deletePoints(
        new Date(clock.now() + 365 * 86_400_000).toISOString(),
        `_measurement="${MEASUREMENT}" AND home="${homeId}"`,
        'erasing home failed',
      );
      options.logger.info({ homeId }, 'erased the readings of a home');
    },

    async eraseDeviceUpTo(homeId, deviceId, upTo) {
      if (!SAFE_ID.test(homeId) || !SAFE_ID.test(deviceId)) throw new Error('unsafe home or device id');
      await deletePoints(
        // inclusive: the whole millisecond `upTo` (a point's nanoseconds in it are its seq)
        new Date(Math.floor(upTo)).toISOString().replace('Z', '999999Z'),
        `_measurement="${MEASUREMENT}" AND home="${homeId}" AND device="${deviceId}"`,
        "erasing a device's readings failed",
      );
    },

    async ping() {
      try {
        const res = await fetch(`${options.url}/ping`, { signal: AbortSignal.timeout(2000) });
        return res.status === 204 || res.ok;
      } catch {
        return false;
      }
    },

    async close() {},
  };
}
