/**
 * Where the time goes: sums a V8 CPU profile (`node --cpu-prof`, or `BENCH_PROFILE`) by part, self time only.
 *
 *   BENCH_ONLY=throughput node --cpu-prof --cpu-prof-dir=/tmp/prof --expose-gc --import tsx test/bench/run.ts
 *   npx tsx test/bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 *
 * With `--stretches=<ms>`: only the busy stretches of at least that long (consecutive samples
 * without idle between them: what an alarm arriving meanwhile waits behind), with each part's
 * inclusive share of them (a part counts once per sample it is anywhere on the stack of).
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
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--stretches=<ms>]');
const stretchArg = process.argv.find((a) => a.startsWith('--stretches='));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const top = (m: Map<string, number>, n: number, total: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `| ${k} | ${((v / total) * 100).toFixed(1)} % |`)
    .join('\n');

if (stretchArg) stretches(Number(stretchArg.slice('--stretches='.length)) * 1000);
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
