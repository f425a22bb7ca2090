/**
 * `npm run bench`: the whole platform beside its peers, in one run, on this machine.
 *
 * Every case runs as interleaved pairs (Tryghed, then its peer; at least 3 pairs), because these
 * machines are shared and noisy; the table shows the median and min–max of each side and the
 * ratio of the medians. The load average is printed before each pair. Sizes come from BENCH_*
 * variables (see `cases.ts`, `cluster.ts`); BENCH_ONLY=micro,acks,throughput,alarms,stuck,storm,memory,cluster,failover
 * picks sections (`filter`: only the resend filter's memory row, which `micro` includes).
 *
 * The platform is `startPlatform` on a real influxd (started here, as the tests' harness does) and
 * SQLite in a temp folder; the peer is bare aedes in this same process, without auth or storage,
 * with a ws relay for the staff sockets. Devices are real mqtt.js clients in a child process
 * (`fleet.ts`), so each process stays within the open-file limit with 10,000 sockets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startInfluxd } from '../../platform/index.ts';
import { ackBurst } from './ack-burst.ts';
import {
  alarms,
  type Bench,
  connectionMemory,
  provisioning,
  SIZES,
  storm,
  stuckButton,
  throughput,
} from './cases.ts';
import { CLUSTER_SIZES, clusterSections } from './cluster.ts';
import { startFleet } from './fleet-client.ts';
import { micro, resendFilterMemory } from './micro.ts';
import { BareSide, PlatformSide } from './sides.ts';
import { envInt, load, median, type Row, table } from './stats.ts';

const pairs = Math.max(3, envInt('BENCH_PAIRS', 3));
const only = (
  process.env.BENCH_ONLY ?? 'micro,acks,throughput,alarms,stuck,storm,memory,cluster,failover'
).split(',');
const want = (s: string) => only.includes(s);

async function platformSections(rows: Row[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tryghed-bench-'));
  mkdirSync(join(dir, 'influx'));
  const influxd = await startInfluxd({ dir: join(dir, 'influx') });
  const a = await PlatformSide.start({
    dataDir: join(dir, 'data'),
    influxUrl: influxd.url,
    mqttPort: await freePort(),
  });
  const b = await BareSide.start(await freePort());
  const fleet = await startFleet();
  const bench: Bench = { a, b, fleet, influxUrl: influxd.url, rows, pairs };
  try {
    const devices = await provisioning(bench);
    const max = want('throughput') ? await throughput(bench, devices) : envInt('BENCH_MAX_RATE', 10_000);
    if (want('alarms')) await alarms(bench, devices, max);
    if (want('stuck')) await stuckButton(bench, devices);
    if (want('storm')) await storm(bench, devices);
    if (want('memory')) await connectionMemory(bench);
  } finally {
    await fleet.stop().catch(() => undefined);
    await a.close().catch(() => undefined);
    await b.close().catch(() => undefined);
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `Tryghed bench: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${pairs} pairs, load average ${load()}`,
  );
  console.log(`sizes: ${JSON.stringify({ ...SIZES, cluster: CLUSTER_SIZES })}`);
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for steadier memory figures)');
  const rows: Row[] = [];
  // a section that fails (an alarm that never arrived) ends the run loudly, after the table of
  // what was measured until then: never a row of zeros
  let failure: unknown = null;
  try {
    await sections(rows);
  } catch (err) {
    failure = err;
  }
  const out = table(rows);
  console.log(`\n${out}\n`);
  const stuck = rows.find((r) => r.section === 'stuck button' && r.what.startsWith('CPU per reading'));
  if (stuck)
    console.log(
      `stuck button costs ${(median(stuck.platform) / median(stuck.peer)).toFixed(2)}× a normal reading (target ≤ 2×)`,
    );
  const rss = rows.find((r) => r.what.startsWith('RSS per 1,000'));
  if (rss)
    console.log(
      `RSS per connection is ${(median(rss.platform) / median(rss.peer)).toFixed(2)}× bare aedes (target ≤ 1.2×)`,
    );
  console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const failed = failure instanceof Error ? (failure.stack ?? failure.message) : String(failure);
  if (process.env.BENCH_OUT)
    writeFileSync(process.env.BENCH_OUT, `${out}\n${failure ? `\nBENCH FAILED: ${failed}\n` : ''}`);
  if (failure) {
    console.error(`\nBENCH FAILED: ${failed}`);
    process.exitCode = 1;
  }
}

async function sections(rows: Row[]): Promise<void> {
  if (want('filter') && !want('micro')) {
    console.log('filter');
    await resendFilterMemory(rows);
  }
  if (want('micro')) {
    console.log('micro');
    await micro(rows, pairs);
  }
  if (want('acks')) {
    console.log('acks');
    await ackBurst(rows, pairs);
  }
  if (only.some((s) => !['micro', 'filter', 'acks', 'cluster', 'failover'].includes(s)))
    await platformSections(rows);
  if (want('cluster') || want('failover')) {
    console.log('cluster');
    const fleet = await startFleet();
    try {
      await clusterSections({ rows, pairs, fleet, want });
    } finally {
      await fleet.stop().catch(() => undefined);
    }
  }
}

await main();
