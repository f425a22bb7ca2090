/**
 * Where the time goes: sums a V8 CPU profile (`node --cpu-prof`) by part, self time only.
 *
 *   BENCH_ONLY=throughput node --cpu-prof --cpu-prof-dir=/tmp/prof --expose-gc --import tsx test/bench/run.ts
 *   npx tsx test/bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
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
  parts.set(part, (parts.get(part) ?? 0) + dt);
  const fn = `${functionName || '(anonymous)'} ${part}:${lineNumber + 1}`;
  fns.set(fn, (fns.get(fn) ?? 0) + dt);
});
const top = (m: Map<string, number>, n: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `| ${k} | ${((v / total) * 100).toFixed(1)} % |`)
    .join('\n');
console.log(`busy ${(total / 1e6).toFixed(1)} s of CPU in the profile\n`);
console.log(`| part | self time |\n| --- | --- |\n${top(parts, 20)}\n`);
console.log(`| function | self time |\n| --- | --- |\n${top(fns, 20)}`);
