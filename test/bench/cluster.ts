/**
 * The cluster sections of `npm run bench` (BENCH_ONLY=cluster,failover): two `tryghed start`
 * processes sharing one Redis (REDIS_URL, a real redis-server) and one store (PostgreSQL through
 * DATABASE_URL when it starts here, else one SQLite file), beside one `tryghed start` process
 * alone and bare aedes in a process of its own, all in the same run, interleaved.
 *
 * - throughput: QoS 1 readings from the fleet until PUBACKed and stored in InfluxDB (half the
 *   devices on each cluster process), and the CPU each reading cost the server processes (for the
 *   cluster: both platforms plus redis-server).
 * - failover: kill -9 of the cluster process a device is on; the device moves to the survivor at
 *   once (as a load balancer would send it), and the time runs until its alarm is PUBACKed there
 *   and the alert is on a staff /live socket on the survivor. Beside it: one process killed -9 and
 *   restarted at once by a supervisor, its device and staff socket retrying every 100 ms.
 *   Rule and escalation ownership by lease is not built: every process watches every home, so the
 *   survivor's own rules raise the alarm; see docs/performance.md for what this time does not mean.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { freePort, startInfluxd } from '../../platform/index.ts';
import type { ConsentCategory, Purpose } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { createPostgresDatabase, type LocalPostgres, startPostgres } from '../harness/postgres.ts';
import { type LocalRedis, startRedis } from '../harness/redis.ts';
import type { Fleet, FleetDevice, LoadResult } from './fleet-client.ts';
import { type ServerProcess, startBareProcess, startPlatformProcess } from './processes.ts';
import { ADMIN, PlatformSide, STAFF_PASSWORD } from './sides.ts';
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
  buttons: number;
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
    const buttonHomes = ids('fo-h', o.buttons);
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

/** One `tryghed start` process that can be killed -9 and started again on the same settings. */
class PlatformProcess {
  proc!: ServerProcess;
  private constructor(private readonly env: Record<string, string>) {}
  static async start(env: Record<string, string>): Promise<PlatformProcess> {
    const p = new PlatformProcess(env);
    await p.up();
    return p;
  }
  async up(): Promise<void> {
    this.proc = await startPlatformProcess(this.env);
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.env.MQTT_PORT}`;
  }
  get dashboardUrl(): string {
    return `http://127.0.0.1:${this.env.HTTP_PORT}`;
  }
}

/** A staff /live socket that reconnects with `?since=` (as the board does) and reports alarms. */
class Live {
  /** the last alert event seen; null before the first hello */
  private lastSeq: number | null = null;
  private ws: WebSocket | null = null;
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();
  private constructor(
    private readonly dashboardUrl: string,
    private readonly cookie: string,
  ) {}

  static async open(dashboardUrl: string): Promise<Live> {
    const staff = await ApiClient.login(dashboardUrl, 'staff-0', STAFF_PASSWORD);
    const live = new Live(dashboardUrl, staff.sessionCookie);
    await live.connect();
    return live;
  }

  private connect(): Promise<void> {
    const since = this.lastSeq === null ? '' : `?since=${this.lastSeq}`;
    const ws = new WebSocket(`${this.dashboardUrl.replace(/^http/, 'ws')}/live${since}`, {
      headers: { cookie: this.cookie, origin: this.dashboardUrl },
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        type: string;
        lastSeq?: number;
        seq?: number;
        event?: string;
        alert?: { homeId: string };
      };
      if (m.type === 'hello' && m.lastSeq !== undefined)
        this.lastSeq = Math.max(this.lastSeq ?? 0, m.lastSeq);
      if (m.type !== 'alert') return;
      if (m.seq !== undefined) this.lastSeq = Math.max(this.lastSeq ?? 0, m.seq);
      if (m.event !== 'opened' || !m.alert || this.seen.has(m.alert.homeId)) return;
      const at = performance.now();
      this.seen.set(m.alert.homeId, at);
      this.waiting.get(m.alert.homeId)?.(at);
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.ws = ws;
        resolve();
      });
      ws.once('error', reject);
    });
  }

  /** after its server died: tries again every 100 ms until it is back */
  async reconnect(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.connect();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  /** resolves with when (performance.now) the `opened` alert of the home arrived */
  opened(homeId: string, timeoutMs = 60_000): Promise<number> {
    const at = this.seen.get(homeId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no alarm for ${homeId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(homeId, (t) => {
        clearTimeout(timer);
        this.waiting.delete(homeId);
        resolve(t);
      });
    });
  }

  closed(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => ws.once('close', () => r()));
  }

  close(): void {
    this.ws?.terminate();
  }
}

/** connects a device, trying again every 100 ms (a device retrying, or a load balancer's next try) */
async function connectDevice(
  url: string,
  d: { id: string; secret: string },
  timeoutMs = 120_000,
): Promise<MqttClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await mqtt.connectAsync(url, {
        clientId: d.id,
        username: d.id,
        password: d.secret,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
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
    const buttons = ctx.pairs;
    console.log(`  cluster: seeding (store shared by the cluster: ${storeName})`);
    const cluster = await seed({
      dataDir: join(dir, 'seed'),
      influxUrl: influxd.url,
      env: clusterEnv,
      buttons,
    });
    const single = await seed({
      dataDir: join(dir, 'single'),
      influxUrl: influxd.url,
      env: singleEnv,
      buttons,
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
    }
    if (ctx.want('failover')) await failover(ctx, { a, b, s, cluster, single, storeName });
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

/**
 * kill -9 of the process a device is on: until its alarm is PUBACKed and on a staff /live socket.
 * The cluster's device moves to the survivor at once; the lone process is restarted at once.
 */
async function failover(
  ctx: ClusterContext,
  o: {
    a: PlatformProcess;
    b: PlatformProcess;
    s: PlatformProcess;
    cluster: Seeded;
    single: Seeded;
    storeName: string;
  },
): Promise<void> {
  const row = (what: string): Row => {
    const r: Row = {
      section: 'failover',
      what,
      unit: 'ms',
      higherIsBetter: false,
      platform: [],
      peer: [],
      peerName: 'one process, restarted at once',
    };
    ctx.rows.push(r);
    return r;
  };
  const where = `two processes sharing Redis and ${o.storeName}`;
  const connected = row(`kill -9 → the device connected again (${where}: to the survivor)`);
  const acked = row('kill -9 → its alarm reading PUBACKed');
  const alarm = row("kill -9 → the alarm on a staff /live socket (survivor's own rules)");
  const press = async (device: MqttClient, b: { id: string; homeId: string }) => {
    await device.publishAsync(
      `tryghed/v1/homes/${b.homeId}/devices/${b.id}/readings`,
      JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq: 1 }),
      { qos: 1 },
    );
  };
  const live = await Live.open(o.b.dashboardUrl);
  try {
    await interleaved(
      'failover',
      ctx.pairs,
      async (i) => {
        const button = o.cluster.buttons[i]!;
        const device = await connectDevice(o.a.mqttUrl, button);
        const closed = new Promise<void>((r) => device.once('close', () => r()));
        const reached = live.opened(button.homeId);
        reached.catch(() => undefined);
        const t0 = performance.now();
        const killed = o.a.proc.kill();
        await closed;
        const moved = await connectDevice(o.b.mqttUrl, button);
        const tConnected = performance.now();
        await press(moved, button);
        const tAcked = performance.now();
        const tAlarm = await reached;
        connected.platform.push(tConnected - t0);
        acked.platform.push(tAcked - t0);
        alarm.platform.push(tAlarm - t0);
        await moved.endAsync(true);
        device.end(true);
        await killed;
        await o.a.up(); // back in the cluster before the next round
      },
      async (i) => {
        const button = o.single.buttons[i]!;
        const staff = await Live.open(o.s.dashboardUrl);
        const device = await connectDevice(o.s.mqttUrl, button);
        const closed = new Promise<void>((r) => device.once('close', () => r()));
        const t0 = performance.now();
        const killed = o.s.proc.kill();
        // the board's socket notices and tries again every 100 ms, as the page does
        const staffBack = staff.closed().then(() => staff.reconnect());
        await killed;
        // the supervisor (systemd, Docker) starts it again at once; device and board retry meanwhile
        const restarted = o.s.up();
        restarted.catch(() => undefined);
        await closed;
        const again = await connectDevice(o.s.mqttUrl, button);
        const tConnected = performance.now();
        await press(again, button);
        const tAcked = performance.now();
        await staffBack;
        const tAlarm = await staff.opened(button.homeId);
        connected.peer.push(tConnected - t0);
        acked.peer.push(tAcked - t0);
        alarm.peer.push(tAlarm - t0);
        await restarted;
        await again.endAsync(true);
        device.end(true);
        staff.close();
      },
    );
  } finally {
    live.close();
  }
}
