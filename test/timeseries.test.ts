import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { categoryOf, type Reading, type SensorKind } from '../services/domain/index.ts';
import { ManualClock, silentLogger } from '../services/runtime/index.ts';
import {
  createInfluxV1Store,
  createInfluxV2Store,
  type ReadingStore,
  TimeseriesRefusedError,
  TimeseriesUnavailableError,
} from '../services/timeseries/index.ts';
import { MEASUREMENT } from '../services/timeseries/types.ts';
import { freePort, uniqueDatabase } from './harness/index.ts';
import { startReceiver } from './harness/receiver.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const reading = (homeId: string, deviceId: string, kind: SensorKind, value: number, i: number): Reading => ({
  homeId,
  deviceId,
  kind,
  category: categoryOf(kind),
  value,
  ts: T0 + i * 1000,
  seq: i,
  receivedAt: T0 + i * 1000,
});

describe('InfluxDB v1 adapter on a real influxd 1.6', () => {
  let store: ReadingStore;

  beforeAll(async () => {
    store = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('ts'),
      logger: silentLogger(),
    });
    await store.ensureReady();
    await store.ensureReady(); // idempotent
  });
  afterAll(() => store.close());

  it('writes a batch and reads back exactly the points asked for', async () => {
    await store.write([
      reading('h1', 'd1', 'temperature', 21.5, 1),
      reading('h1', 'd2', 'motion', 1, 2),
      reading('h1', 'd1', 'temperature', 21.25, 3),
      reading('h2', 'd9', 'temperature', 5, 1),
    ]);
    const all = await store.query({ homeId: 'h1', from: T0, to: T0 + 10_000 });
    expect(all.map((p) => [p.deviceId, p.kind, p.value, p.seq, p.ts])).toEqual([
      ['d1', 'temperature', 21.5, 1, T0 + 1000],
      ['d2', 'motion', 1, 2, T0 + 2000],
      ['d1', 'temperature', 21.25, 3, T0 + 3000],
    ]);
    const temps = await store.query({
      homeId: 'h1',
      kinds: ['temperature'],
      from: T0 + 2000,
      to: T0 + 10_000,
    });
    expect(temps.map((p) => p.value)).toEqual([21.25]);
    const activity = await store.query({ homeId: 'h1', categories: ['activity'], from: T0, to: T0 + 10_000 });
    expect(activity.map((p) => p.kind)).toEqual(['motion']);
  });

  it('keeps readings of one device with the same device time apart: each is its own point', async () => {
    // ten readings stamped in the same millisecond, told apart only by seq (a burst, a coarse clock)
    const burst = Array.from({ length: 10 }, (_, i) => ({
      ...reading('h3', 'd3', 'motion', i % 2, 0),
      seq: 100 + i,
    }));
    await store.write(burst);
    // a resend of the same reading overwrites its own point instead of adding one
    await store.write([burst[3]!]);
    const back = await store.query({ homeId: 'h3', from: T0, to: T0 });
    expect(back.map((p) => [p.seq, p.value, p.ts])).toEqual(burst.map((r) => [r.seq, r.value, T0]));
  });

  it('erases one home and leaves the others', async () => {
    await store.eraseHome('h1');
    expect(await store.query({ homeId: 'h1', from: T0, to: T0 + 10_000 })).toEqual([]);
    expect(await store.query({ homeId: 'h2', from: T0, to: T0 + 10_000 })).toHaveLength(1);
  });

  it("erases one device's points up to a time, that millisecond included, and nothing after it", async () => {
    // seq is the point's nanoseconds inside its millisecond: 7 sits inside T0 + 2000
    await store.write([
      reading('h4', 'd1', 'temperature', 20, 1),
      { ...reading('h4', 'd1', 'temperature', 20, 2), seq: 7 },
      reading('h4', 'd1', 'temperature', 20, 3),
      reading('h4', 'd2', 'temperature', 20, 1),
    ]);
    await store.eraseDeviceUpTo('h4', 'd1', T0 + 2000);
    const left = await store.query({ homeId: 'h4', from: T0, to: T0 + 10_000 });
    expect(left.map((p) => [p.deviceId, p.ts])).toEqual([
      ['d2', T0 + 1000],
      ['d1', T0 + 3000],
    ]);
  });

  it('refuses an id that would break out of the query', async () => {
    await expect(store.query({ homeId: "h1' OR '1'='1", from: T0, to: T0 + 1 })).rejects.toThrow(/unsafe/);
    await expect(store.eraseHome("x' OR '1'='1")).rejects.toThrow(/unsafe/);
    await expect(store.eraseDeviceUpTo('h1', "d' OR '1'='1", T0)).rejects.toThrow(/unsafe/);
  });

  it('sends a batch of several slices whole and in order: every point stored', async () => {
    // 1,234 points: two full slices of LINES_PER_SLICE and a part one, each its own chunk of the body
    const many = Array.from({ length: 1234 }, (_, i) => reading('h-many', 'd1', 'temperature', i / 4, i));
    await store.write(many);
    const back = await store.query({ homeId: 'h-many', from: T0, to: T0 + 2_000_000, limit: 5000 });
    expect(back.length).toBe(1234);
    expect(back.map((p) => p.seq)).toEqual(many.map((r) => r.seq));
    expect(back.at(-1)?.value).toBe(1233 / 4);
  });

  it('a batch InfluxDB refuses is a TimeseriesRefusedError with its status and reason', async () => {
    const database = uniqueDatabase('ts-refused');
    const other = createInfluxV1Store({ url: inject('influxUrl'), database, logger: silentLogger() });
    await other.ensureReady();
    // `value` written as a string first, in the same shard: a float `value` is then a type conflict
    const raw = new URL('/write', inject('influxUrl'));
    raw.searchParams.set('db', database);
    const first = await fetch(raw, {
      method: 'POST',
      body: `${MEASUREMENT},home=h1,device=d0,kind=motion,category=activity value="text" ${T0 * 1e6}`,
    });
    expect(first.status).toBe(204);
    const refused = other.write([reading('h1', 'd1', 'temperature', 21, 1)]);
    await expect(refused).rejects.toBeInstanceOf(TimeseriesRefusedError);
    await expect(refused).rejects.toThrow(/HTTP 400.*conflict/);
    await other.close();
  });

  it('says clearly which setting to check when nothing answers', async () => {
    const dead = createInfluxV1Store({
      url: `http://127.0.0.1:${await freePort()}`,
      database: 'x',
      logger: silentLogger(),
    });
    await expect(dead.ensureReady()).rejects.toBeInstanceOf(TimeseriesUnavailableError);
    await expect(dead.ensureReady()).rejects.toThrow(/INFLUX_URL/);
    expect(await dead.ping()).toBe(false);
    await expect(dead.write([reading('h1', 'd1', 'motion', 1, 1)])).rejects.toThrow(
      /writing to InfluxDB failed: .*ECONNREFUSED/,
    );
    expect(await store.ping()).toBe(true);
  });
});

describe('InfluxDB v2 adapter', () => {
  it('against a 1.x server, refuses clearly instead of hanging', async () => {
    const v2 = createInfluxV2Store({
      url: inject('influxUrl'),
      token: 't',
      org: 'o',
      bucket: 'b',
      logger: silentLogger(),
    });
    await expect(v2.ensureReady()).rejects.toThrow(/INFLUX_URL.*(no v2 API|404)/);
    await expect(v2.write([reading('h1', 'd1', 'motion', 1, 1)])).rejects.toThrow();
  });

  it("erases up to a year past the platform's clock, not the machine's", async () => {
    // a real HTTP server in InfluxDB 2's place records the delete request the adapter sends
    const influx = await startReceiver(() => 204);
    try {
      const now = Date.UTC(2031, 5, 1);
      const v2 = createInfluxV2Store({
        url: influx.url,
        token: 't',
        org: 'o',
        bucket: 'b',
        logger: silentLogger(),
        clock: new ManualClock(now),
      });
      await v2.eraseHome('home-a');
      const [request] = influx.received;
      expect(request?.path).toBe('/api/v2/delete?org=o&bucket=b');
      expect(request?.body).toMatchObject({
        start: '1970-01-01T00:00:00Z',
        stop: new Date(now + 365 * 86_400_000).toISOString(),
        predicate: '_measurement="reading" AND home="home-a"',
      });
    } finally {
      await influx.close();
    }
  });

  it("erases one device's points up to the end of the millisecond given", async () => {
    const influx = await startReceiver(() => 204);
    try {
      const v2 = createInfluxV2Store({
        url: influx.url,
        token: 't',
        org: 'o',
        bucket: 'b',
        logger: silentLogger(),
      });
      await v2.eraseDeviceUpTo('home-a', 'dev-1', Date.UTC(2031, 5, 1, 12, 0, 0, 250));
      expect(influx.received[0]?.body).toMatchObject({
        start: '1970-01-01T00:00:00Z',
        stop: '2031-06-01T12:00:00.250999999Z',
        predicate: '_measurement="reading" AND home="home-a" AND device="dev-1"',
      });
    } finally {
      await influx.close();
    }
  });

  const v2 = inject('influxV2');
  describe.skipIf(!v2.url)(
    v2.url
      ? `on InfluxDB 2.x at ${v2.url}`
      : 'on InfluxDB 2.x — skipped: set INFLUX_V2_URL, INFLUX_V2_TOKEN, INFLUX_V2_ORG, INFLUX_V2_BUCKET to test against InfluxDB 2.x',
    () => {
      it('writes, reads back and erases', async () => {
        const store = createInfluxV2Store({ ...v2, logger: silentLogger() });
        await store.ensureReady();
        const home = uniqueDatabase('h').replace(/_/g, '-');
        await store.write([
          reading(home, 'd1', 'temperature', 20, 1),
          reading(home, 'd1', 'temperature', 21, 2),
        ]);
        const points = await store.query({ homeId: home, from: T0, to: T0 + 10_000 });
        expect(points.map((p) => p.value)).toEqual([20, 21]);
        await store.eraseHome(home);
        expect(await store.query({ homeId: home, from: T0, to: T0 + 10_000 })).toEqual([]);
      });
    },
  );
});
