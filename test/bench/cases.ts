/** The platform-level cases of `npm run bench`, each run as interleaved pairs (Tryghed, then its peer). */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance as perfHooks } from 'node:perf_hooks';
import type { AlarmStepMessage } from '../../services/runtime/index.ts';
import { type AlarmRig, type Side, startAlarmRig } from './alarm-rig-client.ts';
import { type HostMemory, type HostStarted, startBrokerHost } from './broker-host.ts';
import type { Fleet, FleetDevice, LoadResult } from './fleet-client.ts';
import type { BareSide, PlatformSide } from './sides.ts';
import { envInt, interleaved, median, profiled, quantile, type Row, sleep } from './stats.ts';

export interface Bench {
  a: PlatformSide;
  b: BareSide;
  fleet: Fleet;
  influxUrl: string;
  rows: Row[];
  pairs: number;
}

export const SIZES = {
  loadDevices: envInt('BENCH_LOAD_DEVICES', 100),
  readings: envInt('BENCH_READINGS', 20_000),
  inflight: envInt('BENCH_INFLIGHT', 10),
  alarmHomes: envInt('BENCH_ALARM_HOMES', 10),
  // a p99 of 1,000 presses is their 10th slowest; of 300 (the 3rd slowest) its ratio to the relay's
  // moved from 1.4× to 2.8× from run to run on one tree (docs/performance.md)
  alarms: envInt('BENCH_ALARMS', 1000),
  staffSockets: envInt('BENCH_STAFF_SOCKETS', 1000),
  fanoutAlarms: envInt('BENCH_FANOUT_ALARMS', 20),
  // a power cut, a fire in a block of flats: this many homes' alarms at once
  alarmStorm: envInt('BENCH_ALARM_STORM', 200),
  stuckMs: envInt('BENCH_STUCK_MS', 3000),
  stormDevices: envInt('BENCH_STORM_DEVICES', 10_000),
  stormConcurrency: envInt('BENCH_STORM_CONCURRENCY', 200),
  bulkDevices: envInt('BENCH_BULK_DEVICES', 2000),
  memoryDevices: envInt('BENCH_MEMORY_DEVICES', 10_000),
  singleDevices: envInt('BENCH_SINGLE_DEVICES', 100),
};

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const heap = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const row = (
  b: Bench,
  section: string,
  what: string,
  unit: string,
  higherIsBetter: boolean,
  peerName = '',
): Row => {
  const r: Row = { section, what, unit, higherIsBetter, platform: [], peer: [], peerName };
  b.rows.push(r);
  return r;
};
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Fleet devices of both sides and the parent's own alarm devices, provisioned on the platform. */
export interface Devices {
  load: { a: FleetDevice[]; b: FleetDevice[] };
  storm: { a: FleetDevice[]; b: FleetDevice[] };
  alarm: Array<{ id: string; homeId: string; secret: string }>;
  /** the alarm storm's buttons, one home each */
  alarmStorm: Array<{ id: string; homeId: string; secret: string }>;
  stuck: { alarm: FleetDevice; motion: FleetDevice };
}

/** Provisioning: many devices in one request beside one request per device; then the fleet's own. */
export async function provisioning(b: Bench): Promise<Devices> {
  const { a } = b;
  const provHomes = ids('prov-h', 100);
  await a.homes(provHomes, []);
  const bulk = row(
    b,
    'provisioning',
    `bulk API, ${SIZES.bulkDevices.toLocaleString('en')} devices a request`,
    'devices/s',
    true,
    'one device a request',
  );
  await interleaved(
    'provisioning',
    b.pairs,
    async (i) => {
      const devices = ids(`prov-b${i}-`, SIZES.bulkDevices).map((id, j) => ({
        id,
        homeId: provHomes[j % 100]!,
        kinds: ['motion'],
      }));
      const t0 = performance.now();
      await a.provision(devices);
      bulk.platform.push(SIZES.bulkDevices / ((performance.now() - t0) / 1000));
    },
    async (i) => {
      const t0 = performance.now();
      for (const [j, id] of ids(`prov-s${i}-`, SIZES.singleDevices).entries())
        await a.admin.ok('POST', `/api/homes/${provHomes[j % 100]}/devices`, { id, kinds: ['motion'] });
      bulk.peer.push(SIZES.singleDevices / ((performance.now() - t0) / 1000));
    },
  );

  // the fleet: storm devices in one bulk request (timed), load, alarm and stuck-button devices
  const stormHomes = ids('storm-h', Math.ceil(SIZES.stormDevices / 10));
  await a.homes(stormHomes, []);
  const heapBefore = heap();
  const t0 = performance.now();
  const storm = await a.provision(
    ids('storm-d', SIZES.stormDevices).map((id, j) => ({
      id,
      homeId: stormHomes[Math.floor(j / 10)]!,
      kinds: ['heartbeat'],
    })),
  );
  const seconds = (performance.now() - t0) / 1000;
  row(
    b,
    'provisioning',
    `${SIZES.stormDevices.toLocaleString('en')} devices in one bulk request`,
    's',
    false,
  ).platform.push(seconds);
  row(b, 'memory', 'heap per provisioned device (registry, rules)', 'bytes', false).platform.push(
    (heap() - heapBefore) / SIZES.stormDevices,
  );

  const loadHomes = ids('load-h', Math.ceil(SIZES.loadDevices / 2));
  await a.homes(loadHomes, [
    ['activity', 'history'],
    ['activity', 'alerts'],
  ]);
  const load = await a.provision(
    ids('load-d', SIZES.loadDevices).map((id, j) => ({ id, homeId: loadHomes[j >> 1]!, kinds: ['motion'] })),
  );
  const alarmHomes = ids('alarm-h', SIZES.alarmHomes);
  await a.homes(alarmHomes, [['emergency', 'alerts']]);
  const alarm = await a.provision(
    alarmHomes.map((homeId) => ({ id: `${homeId}-button`, homeId, kinds: ['alarm_button'] })),
  );
  const alarmStormHomes = ids('alarm-storm-h', SIZES.alarmStorm);
  await a.homes(alarmStormHomes, [['emergency', 'alerts']]);
  const alarmStorm = await a.provision(
    alarmStormHomes.map((homeId) => ({ id: `${homeId}-button`, homeId, kinds: ['alarm_button'] })),
  );
  await a.homes(
    ['stuck-h'],
    [
      ['emergency', 'alerts'],
      ['activity', 'history'],
      ['activity', 'alerts'],
    ],
  );
  const [stuckAlarm, stuckMotion] = await a.provision([
    { id: 'stuck-button', homeId: 'stuck-h', kinds: ['alarm_button'] },
    { id: 'stuck-motion', homeId: 'stuck-h', kinds: ['motion'] },
  ]);
  await a.addStaff(10); // staff sessions for the ws sockets, 100 sockets a session at most
  const bare = (d: FleetDevice): FleetDevice => ({ id: d.id, homeId: d.homeId });
  return {
    load: { a: load, b: load.map(bare) },
    storm: { a: storm, b: storm.map(bare) },
    alarm,
    alarmStorm,
    stuck: { alarm: stuckAlarm!, motion: stuckMotion! },
  };
}

/** this process's CPU per reading since `cpu0` (all its threads: GC helpers, file system), printed */
function cpuPerReading(cpu0: NodeJS.CpuUsage, readings: number, side: string): void {
  const cpu = process.cpuUsage(cpu0);
  console.log(`  CPU per reading: ${((cpu.user + cpu.system) / readings).toFixed(1)} µs (${side})`);
}

async function written(a: PlatformSide): Promise<number> {
  return (await a.platform.metrics.value('tryghed_ingest_written_total')) ?? 0;
}

/** End to end: QoS 1 readings from many devices until stored in InfluxDB, beside bare aedes relaying them. */
export async function throughput(b: Bench, d: Devices): Promise<number> {
  const r = row(
    b,
    'throughput',
    `QoS 1 readings, ${SIZES.loadDevices} devices, ${SIZES.readings.toLocaleString('en')} a round, stored in InfluxDB`,
    'readings/s',
    true,
    'bare aedes relaying them',
  );
  const sub = await b.b.subscriber();
  const send = (url: string, devices: FleetDevice[], auth: boolean) =>
    b.fleet.send<LoadResult>({
      cmd: 'load',
      url,
      devices,
      auth,
      total: SIZES.readings,
      rate: 0,
      inflight: SIZES.inflight,
      kind: 'motion',
      value: 1,
      maxMs: 120_000,
    });
  let sent = 0;
  await interleaved(
    'throughput',
    b.pairs,
    (i) =>
      (i === 0 ? profiled : (task: () => Promise<void>) => task())(async () => {
        const before = await written(b.a);
        const cpu0 = process.cpuUsage();
        const res = await send(b.a.mqttUrl, d.load.a, true);
        sent += res.acked;
        await b.a.platform.ingest.flush();
        while ((await written(b.a)) < before + res.acked) await sleep(5);
        r.platform.push(res.acked / ((Date.now() - res.startedAt) / 1000));
        cpuPerReading(cpu0, res.acked, 'Tryghed');
      }),
    async () => {
      const before = sub.received();
      const cpu0 = process.cpuUsage();
      const res = await send(b.b.mqttUrl, d.load.b, false);
      while (sub.received() < before + res.acked) await sleep(5);
      cpuPerReading(cpu0, res.acked, 'bare aedes');
      r.peer.push(res.acked / ((Date.now() - res.startedAt) / 1000));
    },
  );
  await sub.close();
  const q = encodeURIComponent(`SELECT count("value") FROM "reading" WHERE "device" =~ /^load-d/`);
  const answer = (await (await fetch(`${b.influxUrl}/query?db=bench&q=${q}`)).json()) as {
    results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
  };
  const stored = answer.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  console.log(
    `  throughput: ${stored.toLocaleString('en')} readings in InfluxDB of ${sent.toLocaleString('en')} acknowledged`,
  );
  return median(r.platform);
}

/**
 * Where a press's time went on the platform, from the steps it publishes (`alarmStep`): pressed (in
 * the alarm rig) → raised (the button's packet read, judged, the rule fired: mostly waiting for the
 * event loop) → written (the alert row committed) → sent (on the staff sockets) → received by the
 * staff screen (in the rig). Steps are epoch ms, so the rig's and this process's times compare.
 */
/** one press of a profiled half, on the profiler's clock (ms): `profile-summary.ts --presses` reads them */
interface KeptPress {
  pressed: number;
  raised: number;
  received: number;
}

class AlarmSteps {
  static readonly names = ['pressed → raised', 'raised → written', 'written → sent', 'sent → received'];
  readonly spans: number[][] = AlarmSteps.names.map(() => []);
  private current: { homeId: string; at: Partial<Record<AlarmStepMessage['step'], number>> } | null = null;
  private readonly listener = (m: unknown) => {
    const { step, homeId, at } = m as AlarmStepMessage;
    if (this.current?.homeId === homeId) this.current.at[step] ??= perfHooks.timeOrigin + at;
  };
  start() {
    subscribe('tryghed:alarm-step', this.listener);
  }
  stop() {
    unsubscribe('tryghed:alarm-step', this.listener);
  }
  pressed(homeId: string) {
    this.current = { homeId, at: {} };
  }
  /** every press from now on kept with its times (until `taken`) */
  private kept: KeptPress[] | null = null;
  keep() {
    this.kept = [];
  }
  taken(): KeptPress[] {
    const out = this.kept ?? [];
    this.kept = null;
    return out;
  }
  received(t0: number, t1: number) {
    const { raised, written, sent } = this.current?.at ?? {};
    this.current = null;
    if (raised === undefined || written === undefined || sent === undefined) return;
    for (const [i, d] of [raised - t0, written - raised, sent - written, t1 - sent].entries())
      this.spans[i]!.push(d);
    // on the monotonic clock the CPU profiler stamps its samples with (ms), for `--presses`
    if (this.kept) {
      const toMono = Number(process.hrtime.bigint()) / 1e6 - (perfHooks.timeOrigin + perfHooks.now());
      this.kept.push({ pressed: t0 + toMono, raised: raised + toMono, received: t1 + toMono });
    }
  }
  print() {
    if (this.spans[0]!.length === 0) return;
    console.log(`  where an alarm's time went on the platform (${this.spans[0]!.length} presses, ms):`);
    for (const [i, name] of AlarmSteps.names.entries()) {
      const v = this.spans[i]!;
      const q = (x: number) => quantile(v, x).toFixed(2);
      console.log(`    ${name.padEnd(18)} p50 ${q(0.5)}  p95 ${q(0.95)}  p99 ${q(0.99)}  max ${q(1)}`);
    }
  }
}

/** a press's random pause before it (ms, up to): so presses land at random moments of the server's loop */
const PRESS_PAUSE_MS = envInt('BENCH_PRESS_PAUSE_MS', 10);

/** presses each alarm in turn in the alarm rig; returns the latency to the rig's screens, ms */
async function presses(
  n: number,
  rig: AlarmRig,
  side: Side,
  devices: Array<{ id: string; homeId: string }>,
  after: (homeId: string) => Promise<void>,
  steps?: AlarmSteps,
): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const d = devices[k % devices.length]!;
    steps?.pressed(d.homeId);
    const { t0, t1 } = await rig.send<{ t0: number; t1: number }>({
      cmd: 'press',
      side,
      homeId: d.homeId,
      deviceId: d.id,
      pauseMs: PRESS_PAUSE_MS,
    });
    steps?.received(t0, t1);
    out.push(t1 - t0);
    await after(d.homeId);
  }
  return out;
}

/**
 * The open alerts of each home, as staff see them on their board: a care worker resolves the alert
 * shown to them, by its id, without asking the platform for a list first. Heard from the platform's
 * own alert events (in this process), so the bench needs no query of its own per press.
 */
const openAlerts = new WeakMap<PlatformSide, Map<string, Set<string>>>();

function openAlertsOf(a: PlatformSide): Map<string, Set<string>> {
  let homes = openAlerts.get(a);
  if (homes) return homes;
  const known = new Map<string, Set<string>>();
  homes = known;
  openAlerts.set(a, known);
  a.platform.events.on('alert/changed', ({ type, alert }) => {
    const ids = known.get(alert.homeId) ?? new Set<string>();
    if (type === 'resolved') ids.delete(alert.id);
    else ids.add(alert.id);
    known.set(alert.homeId, ids);
  });
  return known;
}

/**
 * Resolves the home's open alert and waits until the rig's screens were told, so the next press does
 * not race the resolution's own work (its store read and broadcast), which the relay does not have.
 * By the ids heard on the board; asked of the store only when none was heard (the first press).
 */
async function resolveOpen(a: PlatformSide, homeId: string, rig?: AlarmRig): Promise<void> {
  const heard = openAlertsOf(a).get(homeId);
  const ids =
    heard && heard.size > 0
      ? [...heard]
      : (await a.platform.alerts.list({ homeIds: [homeId], states: ['open', 'acknowledged'] })).map(
          (alert) => alert.id,
        );
  for (const id of ids)
    await a.platform.alerts.resolve(id, { id: 'bench', role: 'staff' }, { outcome: 'false_alarm', note: '' });
  await rig?.send({ cmd: 'settled', side: 'platform', homeId });
}

/** Alarm → staff socket under half the platform's measured maximum load; then fan-out to many sockets. */
export async function alarms(b: Bench, d: Devices, maxRate: number): Promise<void> {
  const rate = Math.round(maxRate / 2);
  const peer = 'bare aedes + ws relay';
  const p = ['p50', 'p95', 'p99'].map((q) =>
    row(
      b,
      'alarm latency',
      `alarm → staff socket, ${q}, background ${rate.toLocaleString('en')} readings/s`,
      'ms',
      false,
      peer,
    ),
  );
  // how long the process's event loop was held up while the alarms were pressed under load: what an
  // alarm arriving at a random moment may wait for before it is even read
  const stall = ['p99', 'max'].map((q) =>
    row(
      b,
      'alarm latency',
      `event loop held up, ${q}, background ${rate.toLocaleString('en')} readings/s`,
      'ms',
      false,
      peer,
    ),
  );
  // the buttons and staff screens: a process of their own, as real ones are (see `alarm-rig.ts`)
  const rig = await startAlarmRig();
  try {
    await buttonsOnBothSides(b, rig, d.alarm);
    await alarmPairs(b, d, rig, rate, p, stall, peer);
    await alarmStorm(b, d, rig, peer);
  } finally {
    await rig.stop();
  }
}

async function alarmPairs(
  b: Bench,
  d: Devices,
  rig: AlarmRig,
  rate: number,
  p: Row[],
  stall: Row[],
  peer: string,
): Promise<void> {
  const under = async (
    url: string,
    devices: FleetDevice[],
    auth: boolean,
    measure: () => Promise<number[]>,
  ) => {
    const background = b.fleet.send<LoadResult>({
      cmd: 'load',
      url,
      devices,
      auth,
      total: 0,
      rate,
      inflight: 1000,
      kind: 'motion',
      value: 1,
      maxMs: 600_000,
    });
    await sleep(500);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const elu0 = perfHooks.eventLoopUtilization();
    const w0 = performance.now();
    const lat = await measure();
    const cpu = process.cpuUsage(cpu0);
    // the main thread's share of the time spent running (not waiting in epoll): what an alarm queues behind
    const elu = perfHooks.eventLoopUtilization(elu0).utilization;
    console.log(
      `  process CPU while pressing: ${(((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100).toFixed(0)}% of a core, event loop busy ${(elu * 100).toFixed(0)}% (${auth ? 'Tryghed' : 'bare aedes'})`,
    );
    loop.disable();
    await b.fleet.send({ cmd: 'stopLoad' });
    const res = await background;
    return { lat, res, held: [loop.percentile(99) / 1e6, loop.max / 1e6] };
  };
  await rig.send({ cmd: 'screens', side: 'platform', specs: b.a.screens(1) });
  await rig.send({ cmd: 'screens', side: 'peer', specs: b.b.screens(1) });
  const steps = new AlarmSteps();
  steps.start();
  const pooled = { platform: [] as number[], peer: [] as number[] };
  await interleaved(
    'alarm latency',
    b.pairs,
    async (i) => {
      // with BENCH_PROFILE and the throughput section skipped: the platform's half of the first alarm
      // pair, its presses' times kept beside the profile (`profile-summary.ts --presses`)
      const profile = process.env.BENCH_PROFILE;
      const profiledHalf =
        i === 0 && profile !== undefined && !(process.env.BENCH_ONLY ?? 'throughput').includes('throughput');
      const run = profiledHalf ? profiled : (task: () => Promise<void>) => task();
      let lat: number[] = [];
      let held: number[] = [];
      if (profiledHalf) steps.keep();
      await run(async () => {
        ({ lat, held } = await under(b.a.mqttUrl, d.load.a, true, () =>
          presses(SIZES.alarms, rig, 'platform', d.alarm, (h) => resolveOpen(b.a, h, rig), steps),
        ));
      });
      if (profiledHalf) {
        writeFileSync(`${profile}.presses.json`, JSON.stringify(steps.taken()));
        console.log(
          `  the slowest presses of the profiled half: npx tsx test/bench/profile-summary.ts ${profile} --presses=${profile}.presses.json`,
        );
      }
      for (const [i, q] of [0.5, 0.95, 0.99].entries()) p[i]!.platform.push(quantile(lat, q));
      pooled.platform.push(...lat);
      for (const [i, x] of held.entries()) stall[i]!.platform.push(x);
    },
    async (i) => {
      // BENCH_PROFILE_PEER: the peer's half of the same pair, for a side-by-side look at the loop
      const run =
        i === 0 && !(process.env.BENCH_ONLY ?? 'throughput').includes('throughput')
          ? (task: () => Promise<void>) =>
              profiled(task, {
                cpu: process.env.BENCH_PROFILE_PEER,
                heap: process.env.BENCH_HEAP_PROFILE_PEER,
              })
          : (task: () => Promise<void>) => task();
      let lat: number[] = [];
      let held: number[] = [];
      await run(async () => {
        ({ lat, held } = await under(b.b.mqttUrl, d.load.b, false, () =>
          presses(SIZES.alarms, rig, 'peer', d.alarm, async () => {}),
        ));
      });
      for (const [i, q] of [0.5, 0.95, 0.99].entries()) p[i]!.peer.push(quantile(lat, q));
      pooled.peer.push(...lat);
      for (const [i, x] of held.entries()) stall[i]!.peer.push(x);
    },
  );
  steps.stop();
  steps.print();
  // A pair's p99 is its tenth-slowest of 1,000 presses, so the rows' medians move a lot from run to
  // run; all pairs' presses pooled give a steadier figure of the same thing (printed, not a row)
  const pq = (side: 'platform' | 'peer', q: number) => quantile(pooled[side], q);
  console.log(
    `  all pairs' presses pooled (${pooled.platform.length.toLocaleString('en')} a side): p99 ${pq('platform', 0.99).toFixed(2)} ms beside ${pq('peer', 0.99).toFixed(2)} ms (${(pq('platform', 0.99) / pq('peer', 0.99)).toFixed(2)}×), p95 ${pq('platform', 0.95).toFixed(2)} beside ${pq('peer', 0.95).toFixed(2)} ms`,
  );

  const n = SIZES.staffSockets;
  const f = ['p50', 'p99'].map((q) =>
    row(b, 'fan-out', `alarm → all ${n.toLocaleString('en')} staff sockets, ${q}`, 'ms', false, peer),
  );
  await rig.send({ cmd: 'screens', side: 'platform', specs: b.a.screens(n) });
  await rig.send({ cmd: 'screens', side: 'peer', specs: b.b.screens(n) });
  await interleaved(
    'fan-out',
    b.pairs,
    async () => {
      const lat = await presses(SIZES.fanoutAlarms, rig, 'platform', d.alarm, (h) =>
        resolveOpen(b.a, h, rig),
      );
      f[0]!.platform.push(quantile(lat, 0.5));
      f[1]!.platform.push(quantile(lat, 0.99));
    },
    async () => {
      const lat = await presses(SIZES.fanoutAlarms, rig, 'peer', d.alarm, async () => {});
      f[0]!.peer.push(quantile(lat, 0.5));
      f[1]!.peer.push(quantile(lat, 0.99));
    },
  );
  await rig.send({ cmd: 'closeScreens', side: 'platform' });
  await rig.send({ cmd: 'closeScreens', side: 'peer' });
}

/** the rig's buttons for these devices: with their secrets on the platform, without on bare aedes */
async function buttonsOnBothSides(
  b: Bench,
  rig: AlarmRig,
  devices: Array<{ id: string; homeId: string; secret: string }>,
): Promise<void> {
  await rig.send({ cmd: 'buttons', side: 'platform', url: b.a.mqttUrl, devices });
  await rig.send({
    cmd: 'buttons',
    side: 'peer',
    url: b.b.mqttUrl,
    devices: devices.map(({ id, homeId }) => ({ id, homeId })),
  });
}

/**
 * An alarm storm: every storm button pressed in the same moment (no routine load), timed until one
 * staff socket has heard each home's alert opened; the platform then resolves them all before the
 * next pair. Beside it the relay forwards the same presses to its socket.
 */
async function alarmStorm(b: Bench, d: Devices, rig: AlarmRig, peer: string): Promise<void> {
  const n = d.alarmStorm.length;
  if (n === 0) return;
  const r = row(
    b,
    'alarm storm',
    `${n.toLocaleString('en')} alarms at once → all on a staff socket`,
    'ms',
    false,
    peer,
  );
  await buttonsOnBothSides(b, rig, d.alarmStorm);
  await rig.send({ cmd: 'screens', side: 'platform', specs: b.a.screens(1) });
  await rig.send({ cmd: 'screens', side: 'peer', specs: b.b.screens(1) });
  const storm = (side: Side) =>
    rig.send<{ t0: number; t1: number }>({
      cmd: 'storm',
      side,
      devices: d.alarmStorm.map(({ id, homeId }) => ({ id, homeId })),
    });
  await interleaved(
    'alarm storm',
    b.pairs,
    async () => {
      const { t0, t1 } = await storm('platform');
      r.platform.push(t1 - t0);
      for (const { homeId } of d.alarmStorm) await resolveOpen(b.a, homeId, rig);
    },
    async () => {
      const { t0, t1 } = await storm('peer');
      r.peer.push(t1 - t0);
    },
  );
  await rig.send({ cmd: 'closeScreens', side: 'platform' });
  await rig.send({ cmd: 'closeScreens', side: 'peer' });
}

/** One device holding the alarm button down, beside one device sending motion as fast. */
export async function stuckButton(b: Bench, d: Devices): Promise<void> {
  const peer = 'one device, normal readings';
  const rate = row(b, 'stuck button', 'one device, alarm held down', 'readings/s', true, peer);
  const cpu = row(b, 'stuck button', 'CPU per reading, whole platform process', 'µs', false, peer);
  const rows = row(b, 'stuck button', 'alert rows written', 'per s', false, peer);
  const ws = row(b, 'stuck button', 'alert messages to a staff socket', 'per s', false, peer);
  const socket = await b.a.sockets(1);
  const one = async (device: FleetDevice, kind: string) => {
    const seq0 = await b.a.platform.alerts.lastSeq();
    const ws0 = [...socket.events.values()].reduce((x, y) => x + y, 0);
    const cpu0 = process.cpuUsage();
    const res = await b.fleet.send<LoadResult>({
      cmd: 'load',
      url: b.a.mqttUrl,
      devices: [device],
      auth: true,
      total: 0,
      rate: 0,
      inflight: SIZES.inflight * 5,
      kind,
      value: 1,
      maxMs: SIZES.stuckMs,
    });
    const used = process.cpuUsage(cpu0);
    const s = res.ms / 1000;
    const written = (await b.a.platform.alerts.eventsSince(seq0, { limit: 1_000_000 })).length;
    await sleep(1100); // a held repeat is written within a second: count it too
    const ws1 = [...socket.events.values()].reduce((x, y) => x + y, 0);
    await resolveOpen(b.a, 'stuck-h');
    await sleep(200); // its event reaches the socket before the next case counts
    return {
      rate: res.acked / s,
      cpu: (used.user + used.system) / res.acked,
      rows: written / s,
      ws: (ws1 - ws0) / s,
    };
  };
  await interleaved(
    'stuck button',
    b.pairs,
    async () => {
      const x = await one(d.stuck.alarm, 'alarm_button');
      rate.platform.push(x.rate);
      cpu.platform.push(x.cpu);
      rows.platform.push(x.rows);
      ws.platform.push(x.ws);
    },
    async () => {
      const x = await one(d.stuck.motion, 'motion');
      rate.peer.push(x.rate);
      cpu.peer.push(x.cpu);
      rows.peer.push(x.rows);
      ws.peer.push(x.ws);
    },
  );
  socket.close();
}

/** Connects 0 → N, memory per connection, then the whole server restarts and all N come back. */
export async function storm(b: Bench, d: Devices): Promise<void> {
  const n = SIZES.stormDevices;
  const peer = 'bare aedes, no auth';
  const cps = row(
    b,
    'connections',
    `connects/s, 0 → ${n.toLocaleString('en')} devices`,
    'connects/s',
    true,
    peer,
  );
  const back = row(
    b,
    'connections',
    `${n.toLocaleString('en')} devices reconnecting after a restart`,
    's',
    false,
    peer,
  );
  const side = async (
    url: () => string,
    devices: FleetDevice[],
    auth: boolean,
    restart: () => Promise<void>,
  ) => {
    const c = await b.fleet.send<{ ms: number; failed: number }>({
      cmd: 'connect',
      url: url(),
      devices,
      concurrency: SIZES.stormConcurrency,
      auth,
    });
    if (c.failed) console.log(`  connections: ${c.failed} devices failed to connect`);
    const reconnected = b.fleet.send<{ lastUpAt: number; missing: number }>({
      cmd: 'awaitReconnect',
      timeoutMs: 600_000,
    });
    const t0 = Date.now();
    await restart();
    const r = await reconnected;
    if (r.missing) console.log(`  connections: ${r.missing} devices did not come back`);
    await b.fleet.send({ cmd: 'disconnect' });
    return { cps: n / (c.ms / 1000), back: (r.lastUpAt - t0) / 1000 };
  };
  // warm-up on both sides before anything is counted: code paths compiled, and pools, maps, the
  // heap and the fleet's process grown to all N connections once. With 200 only, the side that
  // goes first in the first pair (always the platform) paid that growth: its first pair ran at
  // ~70 % of its others' rate
  for (const [url, devices, auth] of [
    [b.a.mqttUrl, d.storm.a, true],
    [b.b.mqttUrl, d.storm.b, false],
  ] as const) {
    await b.fleet.send({
      cmd: 'connect',
      url,
      devices,
      concurrency: SIZES.stormConcurrency,
      auth,
    });
    await b.fleet.send({ cmd: 'disconnect' });
  }
  await interleaved(
    'connections',
    b.pairs,
    async () => {
      const x = await side(
        () => b.a.mqttUrl,
        d.storm.a,
        true,
        () => b.a.restart(),
      );
      cps.platform.push(x.cps);
      back.platform.push(x.back);
    },
    async () => {
      const x = await side(
        () => b.b.mqttUrl,
        d.storm.b,
        false,
        () => b.b.restart(),
      );
      cps.peer.push(x.cps);
      back.peer.push(x.back);
    },
  );
}

/**
 * What a connection costs in memory: the platform's device broker and bare aedes, each in a process
 * of its own (`broker-host.ts`), the same devices connected by the fleet; live memory (heap and
 * buffers after two full GCs) and the resident set, before and after, per 1,000 connections.
 */
export async function connectionMemory(b: Bench): Promise<void> {
  const n = SIZES.memoryDevices;
  const peer = 'bare aedes, no auth';
  const live = row(
    b,
    'connections',
    'memory per 1,000 connections, live (heap + buffers after GC)',
    'MiB',
    false,
    peer,
  );
  const rss = row(b, 'connections', 'memory per 1,000 connections, resident set (RSS)', 'MiB', false, peer);
  const side = async (which: 'platform' | 'bare') => {
    const host = await startBrokerHost();
    try {
      const started = await host.send<HostStarted>({ cmd: 'start', side: which, devices: n + WARM_UP });
      const auth = which === 'platform';
      const connect = async (devices: FleetDevice[]) => {
        const c = await b.fleet.send<{ failed: number }>({
          cmd: 'connect',
          url: started.url,
          devices,
          concurrency: SIZES.stormConcurrency,
          auth,
        });
        if (c.failed)
          throw new Error(`${c.failed} of ${devices.length} devices failed to connect to ${which}`);
      };
      // code compiled, pools and maps grown, before anything is counted
      await connect(started.devices.slice(n));
      await b.fleet.send({ cmd: 'disconnect' });
      await sleep(SETTLE_MS);
      const before = await host.send<HostMemory>({ cmd: 'memory' });
      await connect(started.devices.slice(0, n));
      await sleep(SETTLE_MS);
      const after = await host.send<HostMemory>({ cmd: 'memory' });
      await b.fleet.send({ cmd: 'disconnect' });
      const perThousand = (bytes: number) => ((bytes / n) * 1000) / 2 ** 20;
      console.log(
        `  connection memory (${which}), per 1,000: heap committed ${perThousand(after.heapTotal - before.heapTotal).toFixed(2)} MiB, outside the heap ${perThousand(after.rss - after.heapTotal - (before.rss - before.heapTotal)).toFixed(2)} MiB`,
      );
      return {
        live: perThousand(after.heapAndBuffers - before.heapAndBuffers),
        rss: perThousand(after.rss - before.rss),
      };
    } finally {
      await host.stop();
    }
  };
  await interleaved(
    'connection memory',
    b.pairs,
    async () => {
      const x = await side('platform');
      live.platform.push(x.live);
      rss.platform.push(x.rss);
    },
    async () => {
      const x = await side('bare');
      live.peer.push(x.live);
      rss.peer.push(x.rss);
    },
  );
}

/** devices connected and dropped before the memory is first read */
const WARM_UP = 200;
/** quiet time before each memory reading, so the heap is measured as it stays, not mid-storm */
const SETTLE_MS = envInt('BENCH_MEMORY_SETTLE_MS', 500);
