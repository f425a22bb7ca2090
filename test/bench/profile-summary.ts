/**
 * Where the time goes: sums a V8 CPU profile (`node --cpu-prof`, or `BENCH_PROFILE`) by part, self time only.
 *
 *   BENCH_ONLY=throughput node --cpu-prof --cpu-prof-dir=/tmp/prof --expose-gc --import tsx test/bench/run.ts
 *   npx tsx test/bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 *
 * With `--stretches=<ms>`: only the busy stretches of at least that long (consecutive samples
 * without idle between them: what an alarm arriving meanwhile waits behind), with each part's
 * inclusive share of them (a part counts once per sample it is anywhere on the stack of).
 *
 * With `--presses=<file>` (the bench writes `<BENCH_PROFILE>.presses.json` beside an alarm pair's
 * profile): the slowest presses (`--slowest=<n>`, 10), each with what the main thread did from 1 ms
 * before the press until its alarm was raised, in order: runs of samples by task, our part and the
 * leaf's part. A gap between two samples much longer than the sampling interval is shown as
 * "(no samples)": the thread was not on a core (a machine short of cores) or the profiler was held up.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** µs, on the monotonic clock `process.hrtime` reads */
  startTime: number;
}

/** our folders by name, packages by name, node's own code, V8's pseudo-frames */
function partOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ours = url.match(/\/(services\/[^/]+|broker|dashboard\/server|platform|test\/bench|gateway)\//);
  return ours ? ours[1]! : url;
}

const file = process.argv[2];
if (!file)
  throw new Error(
    'usage: profile-summary.ts <file.cpuprofile> [--stretches=<ms> | --presses=<file.json> [--slowest=<n>]]',
  );
const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? undefined;
const stretchArg = arg('stretches');
const pressesArg = arg('presses');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const top = (m: Map<string, number>, n: number, total: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `| ${k} | ${((v / total) * 100).toFixed(1)} % |`)
    .join('\n');

if (stretchArg) stretches(Number(stretchArg) * 1000);
else if (pressesArg) slowestPresses(pressesArg, Number(arg('slowest') ?? 10));
else selfTime();

function selfTime(): void {
  const parts = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const { url, functionName, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    total += dt;
    const part = partOf(url, functionName);
    add(parts, part, dt);
    add(fns, `${functionName || '(anonymous)'} ${part}:${lineNumber + 1}`, dt);
  });
  console.log(`busy ${(total / 1e6).toFixed(1)} s of CPU in the profile\n`);
  console.log(`| part | self time |\n| --- | --- |\n${top(parts, 20, total)}\n`);
  console.log(`| function | self time |\n| --- | --- |\n${top(fns, 20, total)}`);
}

function stretches(minUs: number): void {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // a sample's time is the delta to the next one
  const runs: Array<{ us: number; samples: Array<[number, number]> }> = [];
  let run: (typeof runs)[number] | null = null;
  let total = 0;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (run) runs.push(run);
      run = null;
      return;
    }
    busy += dt;
    run ??= { us: 0, samples: [] };
    run.us += dt;
    run.samples.push([id, dt]);
  });
  if (run) runs.push(run);
  const long = runs.filter((r) => r.us >= minUs);
  const longUs = long.reduce((a, r) => a + r.us, 0);
  const sorted = long.map((r) => r.us / 1000).sort((a, b) => a - b);
  const q = (x: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(x * sorted.length) - 1))] ?? 0;
  console.log(
    `profile ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s (${((busy / total) * 100).toFixed(0)} %); ` +
      `${long.length} busy stretches of ${minUs / 1000} ms or more, ${(longUs / 1e6).toFixed(2)} s; ` +
      `their length p50 ${q(0.5).toFixed(1)} / p90 ${q(0.9).toFixed(1)} / p99 ${q(0.99).toFixed(1)} / max ${q(1).toFixed(1)} ms\n`,
  );
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  for (const r of long)
    for (const [id, dt] of r.samples) {
      const parts = new Set<string>();
      for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
        const f = byId.get(c)!.callFrame;
        parts.add(partOf(f.url, f.functionName));
      }
      for (const p of parts) add(inclusive, p, dt);
      const leaf = byId.get(id)!.callFrame;
      add(self, partOf(leaf.url, leaf.functionName), dt);
    }
  inclusive.delete('(root)');
  console.log(`| part | inclusive share of the stretches |\n| --- | --- |\n${top(inclusive, 25, longUs)}\n`);
  console.log(`| part | self share of the stretches |\n| --- | --- |\n${top(self, 15, longUs)}`);
}

/** one press of the profiled half, ms on the profiler's clock (written by the bench) */
interface Press {
  pressed: number;
  raised: number;
  received: number;
}

function slowestPresses(pressesFile: string, n: number): void {
  const presses = JSON.parse(readFileSync(pressesFile, 'utf8')) as Press[];
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  // each sample's time (µs) and its length (the delta to the next one)
  const at: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    at.push(t);
  }
  const deltas = profile.timeDeltas.slice(1).sort((a, b) => a - b);
  const interval = deltas[Math.floor(deltas.length / 2)] ?? 1000;
  const label = (i: number): string => {
    const leaf = byId.get(profile.samples[i]!)!;
    const f = leaf.callFrame.functionName;
    if (f === '(idle)' || f === '(garbage collector)' || f === '(program)') return f;
    const stack: ProfileNode[] = [];
    for (let c: number | undefined = leaf.id; c !== undefined; c = parent.get(c)) stack.push(byId.get(c)!);
    const task = stack.at(-2)?.callFrame.functionName || '(anonymous)';
    const ours = [...stack]
      .reverse()
      .map((s) => partOf(s.callFrame.url, s.callFrame.functionName))
      .find((p) => /^(services\/|broker|dashboard|platform|gateway)/.test(p));
    return `${task} > ${ours ?? '-'} > ${partOf(leaf.callFrame.url, f)}`;
  };
  const slowest = [...presses].sort((a, b) => b.received - b.pressed - (a.received - a.pressed)).slice(0, n);
  console.log(
    `${presses.length} presses; the ${slowest.length} slowest (sampling every ${interval} µs), from 1 ms before each press until raised:\n`,
  );
  for (const p of slowest) {
    console.log(
      `press → staff ${(p.received - p.pressed).toFixed(2)} ms, of it press → raised ${(p.raised - p.pressed).toFixed(2)} ms`,
    );
    const from = (p.pressed - 1) * 1000;
    const to = p.raised * 1000;
    const runs: Array<[string, number]> = [];
    const put = (what: string, us: number) => {
      const last = runs.at(-1);
      if (last?.[0] === what) last[1] += us;
      else runs.push([what, us]);
    };
    for (let i = 0; i < at.length; i++) {
      if (at[i]! < from || at[i]! > to) continue;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      put(label(i), Math.min(dt, interval));
      if (dt > 3 * interval) put('(no samples)', dt - interval);
    }
    for (const [what, us] of runs)
      if (us >= 100) console.log(`  ${(us / 1000).toFixed(2).padStart(6)} ms  ${what}`);
    console.log('');
  }
}
