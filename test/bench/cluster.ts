/**
 * The cluster sections of `npm run bench` (BENCH_ONLY=cluster,failover): two `tryghed start`
 * processes sharing one Redis (REDIS_URL, a real redis-server) and one PostgreSQL (DATABASE_URL),
 * beside one `tryghed start` process alone and bare aedes in a process of its own, all in the same
 * run, interleaved.
 *
 * - throughput: QoS 1 readings from the fleet until PUBACKed and stored in InfluxDB (half the
 *   devices on each cluster process), and the CPU each reading cost the server processes (for the
 *   cluster: both platforms plus redis-server).
 * - failover (`failover.ts`): kill -9 of the process that holds the lease of a home's shard, the
 *   device moved to the survivor, until the survivor has taken the lease over and its alert is on
 *   a staff /live socket; beside one process killed -9 and restarted at once by a supervisor.
 *
 * If PostgreSQL does not start here, the cluster shares one SQLite file for the throughput rows
 * (and says so); the failover section then fails, since leases exist only on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { freePort, startInfluxd } from '../../platform/index.ts';
import type { ConsentCategory, Purpose } from '../../services/domain/index.ts';
import { SHARDS } from '../../services/ownership/index.ts';
import { createPostgresDatabase, type LocalPostgres, startPostgres } from '../harness/postgres.ts';
import { type LocalRedis, startRedis } from '../harness/redis.ts';
import { PlatformProcess } from './cluster-parts.ts';
import { failover, homesAcrossShards } from './failover.ts';
import type { Fleet, FleetDevice, LoadResult } from './fleet-client.ts';
import { type ServerProcess, startBareProcess } from './processes.ts';
import { ADMIN, PlatformSide } from './sides.ts';
import { envInt, interleaved, load, type Row, sleep } from './stats.ts';

export const CLUSTER_SIZES = {
  /** QoS 1 readings per cluster throughput round, on each side */
  readings: envInt('BENCH_CLUSTER_READINGS', 10_000),
  devices: envInt('BENCH_CLUSTER_DEVICES', 50),
  inflight: envInt('BENCH_INFLIGHT', 10),
};

const LOAD_CONSENT: Array<[ConsentCategory, Purpose]> = [
  ['activity', 'history'],
  ['activity', 'alerts'],
];
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

interface Seeded {
  load: FleetDevice[];
  buttons: Array<{ id: string; homeId: string; secret: string }>;
}

/** Homes, consent, devices and a staff user, written by an in-process platform that then stops. */
async function seed(o: {
  dataDir: string;
  influxUrl: string;
  env: Record<string, string>;
  /** homes with an alarm button each */
  buttons: string[];
}): Promise<Seeded> {
  const side = await PlatformSide.start({
    dataDir: o.dataDir,
    influxUrl: o.influxUrl,
    mqttPort: await freePort(),
    env: o.env,
  });
  try {
    const homes = ids('load-h', Math.ceil(CLUSTER_SIZES.devices / 2));
    await side.homes(homes, LOAD_CONSENT);
    const load = await side.provision(
      ids('load-d', CLUSTER_SIZES.devices).map((id, j) => ({
        id,
        homeId: homes[j >> 1]!,
        kinds: ['motion'],
      })),
    );
    const buttonHomes = o.buttons;
    await side.homes(buttonHomes, [['emergency', 'alerts']]);
    const buttons = await side.provision(
      buttonHomes.map((homeId) => ({ id: `${homeId}-button`, homeId, kinds: ['alarm_button'] })),
    );
    await side.addStaff(1);
    return { load, buttons };
  } finally {
    await side.close();
  }
}

export interface ClusterContext {
  rows: Row[];
  pairs: number;
  fleet: Fleet;
  want: (section: string) => boolean;
}

/** Starts what the cluster sections need, runs them, and stops it all. */
export async function clusterSections(ctx: ClusterContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tryghed-bench-cluster-'));
  for (const d of ['influx', 'a', 'b', 'single', 'seed']) mkdirSync(join(dir, d));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const influxd = await startInfluxd({ dir: join(dir, 'influx') });
    stops.push(() => influxd.stop());
    const redis = await startRedis();
    stops.push(() => redis.close());
    // the shared store: PostgreSQL when it starts here, else one SQLite file both processes open
    let store: Record<string, string>;
    let storeName: string;
    let pg: LocalPostgres | null = null;
    try {
      pg = await startPostgres();
      const db = await createPostgresDatabase(pg.adminUrl, 'bench');
      store = { DATABASE_URL: db.url };
      storeName = 'PostgreSQL (DATABASE_URL)';
      const server = pg;
      stops.push(() => server.stop());
    } catch (err) {
      console.log(
        `  cluster: PostgreSQL did not start (${(err as Error).message.split('\n')[0]}), sharing one SQLite file`,
      );
      store = { SQLITE_PATH: join(dir, 'shared.sqlite') };
      storeName = 'one SQLite file';
    }
    const base = {
      INFLUX_URL: influxd.url,
      INFLUX_AUTOSTART: 'false',
      MQTT_TLS_PORT: 'off',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    };
    const clusterEnv = {
      ...base,
      ...store,
      INFLUX_DATABASE: 'bench_cluster',
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    const singleEnv = {
      ...base,
      DATA_DIR: join(dir, 'single'),
      INFLUX_DATABASE: 'bench_single',
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    console.log(`  cluster: seeding (store shared by the cluster: ${storeName})`);
    const cluster = await seed({
      dataDir: join(dir, 'seed'),
      influxUrl: influxd.url,
      env: clusterEnv,
      // one home per shard, so each failover pair finds a home the process to kill owns
      buttons: homesAcrossShards('fo-h', SHARDS),
    });
    const single = await seed({
      dataDir: join(dir, 'single'),
      influxUrl: influxd.url,
      env: singleEnv,
      buttons: ids('fo-h', ctx.pairs),
    });
    const processEnv = async (env: Record<string, string>, extra: Record<string, string>) => ({
      ...env,
      ...extra,
      HTTP_PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
    });
    const a = await PlatformProcess.start(
      await processEnv(clusterEnv, { DATA_DIR: join(dir, 'a'), REDIS_URL: redis.url }),
    );
    stops.push(() => a.proc.stop());
    const b = await PlatformProcess.start(
      await processEnv(clusterEnv, { DATA_DIR: join(dir, 'b'), REDIS_URL: redis.url }),
    );
    stops.push(() => b.proc.stop());
    const s = await PlatformProcess.start(await processEnv(singleEnv, {}));
    stops.push(() => s.proc.stop());
    console.log(`  cluster: two platform processes and one alone are up, load average ${load()}`);
    if (ctx.want('cluster')) {
      const barePort = await freePort();
      const bare = await startBareProcess(barePort);
      stops.push(() => bare.stop());
      // a third member of the cluster, loaded alone: what REDIS_URL costs one process per reading
      mkdirSync(join(dir, 'c'));
      const c = await PlatformProcess.start(
        await processEnv(clusterEnv, { DATA_DIR: join(dir, 'c'), REDIS_URL: redis.url }),
      );
      stops.push(() => c.proc.stop());
      await throughput(ctx, { a, b, c, s, redis, influxUrl: influxd.url, cluster, single, bare, barePort });
      // a clean stop hands its shards back: the failover pairs run with two members
      await c.proc.stop();
    }
    if (ctx.want('failover')) {
      if (!('DATABASE_URL' in store))
        throw new Error('failover: needs PostgreSQL (shard leases exist only there), which did not start');
      await failover(ctx, {
        a,
        b,
        s,
        cluster: cluster.buttons,
        single: single.buttons,
        databaseUrl: store.DATABASE_URL!,
        storeName,
      });
    }
  } finally {
    for (const stop of stops.reverse())
      await stop().catch((err) => console.log(`  cluster: stop failed: ${err}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds redis-server has used and commands it has run (INFO) */
async function redisUsage(conn: Redis): Promise<{ cpu: number; commands: number }> {
  const info = await conn.info();
  const get = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    cpu: get('used_cpu_sys') + get('used_cpu_user'),
    commands: get('total_commands_processed'),
  };
}

async function storedCount(influxUrl: string, db: string): Promise<number> {
  const q = encodeURIComponent(`SELECT count("value") FROM "reading" WHERE "device" =~ /^load-d/`);
  const answer = (await (await fetch(`${influxUrl}/query?db=${db}&q=${q}`)).json()) as {
    results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
  };
  return answer.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** Readings/s end to end and CPU per reading: the cluster beside one process and bare aedes. */
async function throughput(
  ctx: ClusterContext,
  o: {
    a: PlatformProcess;
    b: PlatformProcess;
    c: PlatformProcess;
    s: PlatformProcess;
    redis: LocalRedis;
    influxUrl: string;
    cluster: Seeded;
    single: Seeded;
    bare: ServerProcess;
    barePort: number;
  },
): Promise<void> {
  const n = CLUSTER_SIZES.readings;
  const devices = CLUSTER_SIZES.devices;
  const row = (what: string, unit: string, higherIsBetter: boolean, peerName: string): Row => {
    const r: Row = { section: 'cluster', what, unit, higherIsBetter, platform: [], peer: [], peerName };
    ctx.rows.push(r);
    return r;
  };
  const rate = row(
    `two platform processes sharing Redis, QoS 1 readings from ${devices} devices (half on each), ${n.toLocaleString('en')} a round, PUBACKed and stored in InfluxDB`,
    'readings/s',
    true,
    'one platform process',
  );
  const rateBare = row(
    'same, two platform processes sharing Redis',
    'readings/s',
    true,
    'bare aedes relaying them',
  );
  const cpu = row(
    'CPU per reading: both platform processes + redis-server',
    'µs',
    false,
    'one platform process',
  );
  const cpuBare = row(
    'CPU per reading: both platform processes + redis-server',
    'µs',
    false,
    'bare aedes relay process',
  );
  const platformsOnly = row(
    'CPU per reading: both platform processes, without redis-server',
    'µs',
    false,
    'one platform process',
  );
  const oneShared = row(
    'CPU per reading: one platform process with REDIS_URL (the others idle) + redis-server',
    'µs',
    false,
    'one platform process',
  );
  const oneSharedRate = row(
    'one platform process with REDIS_URL, the same readings',
    'readings/s',
    true,
    'one platform process',
  );
  const redisShare = row('CPU per reading: redis-server alone, in the cluster', 'µs', false, '');
  const redisCommands = row('Redis commands per reading, in the cluster', 'commands', false, '');
  const redisConn = new Redis(o.redis.url);
  const bareUrl = `mqtt://127.0.0.1:${o.barePort}`;
  const bareSub = await mqtt.connectAsync(bareUrl, { clientId: 'bench-relay', reconnectPeriod: 0 });
  let relayed = 0;
  bareSub.on('message', () => {
    relayed++;
  });
  await bareSub.subscribeAsync('tryghed/v1/#', { qos: 1 });
  const send = (urls: string[], list: FleetDevice[], auth: boolean) =>
    ctx.fleet.send<LoadResult>({
      cmd: 'load',
      url: urls[0]!,
      urls,
      devices: list,
      auth,
      total: n,
      rate: 0,
      inflight: CLUSTER_SIZES.inflight,
      kind: 'motion',
      value: 1,
      maxMs: 120_000,
    });
  /** one round: load, then wait until the count says all are there; returns readings/s and CPU */
  const round = async (
    urls: string[],
    list: FleetDevice[],
    auth: boolean,
    processes: ServerProcess[],
    count: () => Promise<number>,
    withRedis: boolean,
  ) => {
    const before = await count();
    const cpu0 = processes.map((p) => p.cpuSeconds());
    const redis0 = withRedis ? await redisUsage(redisConn) : { cpu: 0, commands: 0 };
    const res = await send(urls, list, auth);
    const deadline = Date.now() + 120_000;
    while ((await count()) < before + res.acked) {
      if (Date.now() > deadline) throw new Error(`not all ${res.acked} acknowledged readings arrived`);
      await sleep(20);
    }
    const end = Date.now();
    const used = processes.reduce((sum, p, i) => sum + p.cpuSeconds() - cpu0[i]!, 0);
    const redis1 = withRedis ? await redisUsage(redisConn) : { cpu: 0, commands: 0 };
    const redisUsed = redis1.cpu - redis0.cpu;
    if (res.failed) console.log(`  cluster: ${res.failed} readings got no PUBACK`);
    return {
      rate: res.acked / ((end - res.startedAt) / 1000),
      cpu: ((used + redisUsed) / res.acked) * 1e6,
      redis: (redisUsed / res.acked) * 1e6,
      platforms: (used / res.acked) * 1e6,
      // the INFO itself is one command
      commands: Math.max(0, redis1.commands - redis0.commands - 1) / res.acked,
    };
  };
  const bareDevices = o.single.load.map(({ id, homeId }) => ({ id, homeId }));
  try {
    await interleaved(
      'cluster',
      ctx.pairs,
      async () => {
        const x = await round(
          [o.a.mqttUrl, o.b.mqttUrl],
          o.cluster.load,
          true,
          [o.a.proc, o.b.proc],
          () => storedCount(o.influxUrl, 'bench_cluster'),
          true,
        );
        rate.platform.push(x.rate);
        rateBare.platform.push(x.rate);
        cpu.platform.push(x.cpu);
        cpuBare.platform.push(x.cpu);
        redisShare.platform.push(x.redis);
        platformsOnly.platform.push(x.platforms);
        redisCommands.platform.push(x.commands);
      },
      async () => {
        const x = await round(
          [o.s.mqttUrl],
          o.single.load,
          true,
          [o.s.proc],
          () => storedCount(o.influxUrl, 'bench_single'),
          false,
        );
        rate.peer.push(x.rate);
        cpu.peer.push(x.cpu);
        platformsOnly.peer.push(x.cpu);
        oneShared.peer.push(x.cpu);
        oneSharedRate.peer.push(x.rate);
        const z = await round(
          [o.c.mqttUrl],
          o.cluster.load,
          true,
          [o.c.proc],
          () => storedCount(o.influxUrl, 'bench_cluster'),
          true,
        );
        oneShared.platform.push(z.cpu);
        oneSharedRate.platform.push(z.rate);
        const y = await round([bareUrl], bareDevices, false, [o.bare], async () => relayed, false);
        rateBare.peer.push(y.rate);
        cpuBare.peer.push(y.cpu);
      },
    );
  } finally {
    await bareSub.endAsync(true);
    redisConn.disconnect();
  }
}
