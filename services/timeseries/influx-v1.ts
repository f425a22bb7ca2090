import { InfluxDB } from 'influx';
import type { ReadingCategory, SensorKind } from '../domain/index.ts';
import type { Logger } from '../runtime/index.ts';
import { bodyInSlices } from './line-protocol.ts';
import { agentFor, type PostAnswer, postChunks } from './post-chunks.ts';
import {
  isPointRefusal,
  MEASUREMENT,
  type ReadingPoint,
  type ReadingQuery,
  type ReadingStore,
  SAFE_ID,
  SAFE_WORD,
  TimeseriesRefusedError,
  TimeseriesUnavailableError,
} from './types.ts';

const orList = (column: string, values: readonly string[], pattern: RegExp): string => {
  for (const v of values) if (!pattern.test(v)) throw new Error(`unsafe ${column} value`);
  return `(${values.map((v) => `"${column}" = '${v}'`).join(' OR ')})`;
};

/** InfluxDB 1.x over its v1 HTTP API, with the `influx` package. */
export function createInfluxV1Store(options: {
  url: string;
  database: string;
  username?: string;
  password?: string;
  retentionDays?: number;
  logger: Logger;
}): ReadingStore {
  const url = new URL(options.url);
  const influx = new InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: options.database,
    ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
    // Fail a request in 10 s rather than hang: ingest retries with backoff and keeps the points.
    options: { timeout: 10_000 },
  });
  const writeUrl = new URL('/write', url);
  writeUrl.searchParams.set('db', options.database);
  writeUrl.searchParams.set('precision', 'n');
  const writeHeaders: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  // kept-alive connections for the writes (one batch at a time, so mostly one connection)
  const agent = agentFor(writeUrl);
  if (options.username)
    writeHeaders.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  const unreachable = (err: unknown) =>
    new TimeseriesUnavailableError(
      `InfluxDB at INFLUX_URL=${options.url} is unreachable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );

  return {
    api: 'v1',
    async ensureReady() {
      try {
        const names = await influx.getDatabaseNames();
        if (!names.includes(options.database)) await influx.createDatabase(options.database);
        const days = options.retentionDays ?? 365;
        const policies = await influx.showRetentionPolicies(options.database);
        const existing = policies.find((p) => p.name === 'tryghed');
        if (existing) {
          await influx.alterRetentionPolicy('tryghed', {
            duration: `${days}d`,
            replication: 1,
            isDefault: true,
          });
        } else {
          await influx.createRetentionPolicy('tryghed', {
            duration: `${days}d`,
            replication: 1,
            isDefault: true,
          });
        }
      } catch (err) {
        throw unreachable(err);
      }
    },

    async write(readings) {
      if (readings.length === 0) return;
      // The line protocol is built here, in slices with a turn of the event loop between them
      // (see line-protocol.ts), and sent a slice per turn: the `influx` package built a 5,000-point
      // batch in one go, escaping every tag of every point, and an alarm waited behind it.
      const body = await bodyInSlices(readings);
      let answer: PostAnswer;
      try {
        // Fail a request in 10 s rather than hang: ingest retries with backoff and keeps the points.
        answer = await postChunks(writeUrl, body, { agent, headers: writeHeaders, timeoutMs: 10_000 });
      } catch (err) {
        throw new Error(`writing to InfluxDB failed: ${(err as Error).message}`, { cause: err });
      }
      if (answer.status >= 200 && answer.status < 300) return;
      // InfluxDB's message quotes the point's line: kept in the error, never logged by ingest
      const message = `InfluxDB refused the write (HTTP ${answer.status}): ${answer.text.slice(0, 500)}`;
      if (isPointRefusal(answer.status)) throw new TimeseriesRefusedError(message, answer.status);
      throw new Error(message);
    },

    async query(q: ReadingQuery) {
      if (!SAFE_ID.test(q.homeId)) throw new Error('unsafe home id');
      const where = [
        `"home" = '${q.homeId}'`,
        `time >= ${Math.floor(q.from)}ms`,
        // `to` is inclusive to the millisecond: a point's nanoseconds (its seq) sit inside it
        `time < ${Math.floor(q.to) + 1}ms`,
      ];
      if (q.kinds?.length) where.push(orList('kind', q.kinds, SAFE_WORD));
      if (q.categories?.length) where.push(orList('category', q.categories, SAFE_WORD));
      if (q.deviceIds?.length) where.push(orList('device', q.deviceIds, SAFE_ID));
      if (q.testOnly) where.push(`"test" = 'true'`);
      const limit = Math.max(1, Math.min(q.limit ?? 10_000, 100_000));
      const rows = await influx.query<{
        time: Date;
        device: string;
        kind: string;
        category: string;
        value: number;
        seq: number;
        test: string | null;
      }>(
        `SELECT "value", "seq", "device", "kind", "category", "test" FROM "${MEASUREMENT}" WHERE ${where.join(' AND ')} ORDER BY time ${q.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ${limit}`,
        { precision: 'ms' },
      );
      return rows.map(
        (r): ReadingPoint => ({
          homeId: q.homeId,
          deviceId: r.device,
          kind: r.kind as SensorKind,
          category: r.category as ReadingCategory,
          value: r.value,
          ts: r.time.getTime(),
          seq: r.seq,
          ...(r.test === 'true' ? { test: true as const } : {}),
        }),
      );
    },

    async eraseHome(homeId) {
      if (!SAFE_ID.test(homeId)) throw new Error('unsafe home id');
      await influx.dropSeries({ measurement: `"${MEASUREMENT}"`, where: `"home" = '${homeId}'` });
      options.logger.info({ homeId }, 'erased the readings of a home');
    },

    async eraseDeviceUpTo(homeId, deviceId, upTo) {
      if (!SAFE_ID.test(homeId) || !SAFE_ID.test(deviceId)) throw new Error('unsafe home or device id');
      // inclusive to the millisecond, as `query` reads it: a point's nanoseconds (its seq) sit inside it
      await influx.query(
        `DELETE FROM "${MEASUREMENT}" WHERE "home" = '${homeId}' AND "device" = '${deviceId}' AND time < ${Math.floor(upTo) + 1}ms`,
      );
    },

    async ping() {
      try {
        const hosts = await influx.ping(2000);
        return hosts.some((h) => h.online);
      } catch {
        return false;
      }
    },

    async close() {
      // the writes' kept-alive connections; the influx package keeps none of its own beyond Node's agent
      agent.destroy();
    },
  };
}
