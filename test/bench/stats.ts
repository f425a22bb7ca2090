import { loadavg } from 'node:os';

/** One measured quantity of one case: a value per pair, for the platform and for its peer. */
export interface Row {
  section: string;
  what: string;
  unit: string;
  /** true when more is better (rates); false for times and costs */
  higherIsBetter: boolean;
  platform: number[];
  peer: number[];
  /** the peer's name, or '' when the row has no peer */
  peerName: string;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** the q-quantile (0..1) by nearest rank */
export const quantile = (xs: readonly number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString('en');
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const cell = (xs: readonly number[]) =>
  xs.length === 0 ? '' : `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

/** A markdown table: median (min–max) of each side and the ratio platform / peer of the medians. */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| section | measure | Tryghed median (min–max) | peer | peer median (min–max) | Tryghed / peer |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const ratio =
      r.peer.length && median(r.peer) > 0 ? `${(median(r.platform) / median(r.peer)).toFixed(2)}×` : '';
    lines.push(
      `| ${r.section} | ${r.what} (${r.unit}) | ${cell(r.platform)} | ${r.peerName} | ${cell(r.peer)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

export function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** Runs `pairs` pairs A B A B …, printing the load average before each pair. */
export async function interleaved(
  name: string,
  pairs: number,
  a: (i: number) => Promise<void>,
  b: ((i: number) => Promise<void>) | null,
): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    console.log(`  ${name}: pair ${i + 1}/${pairs}, load average ${load()}`);
    await a(i);
    if (b) await b(i);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${v}`);
  return n;
};

/**
 * Runs `task` under the V8 CPU profiler when BENCH_PROFILE names a file (or `files.cpu` does): the
 * profile then holds only that half of a pair (summarise it with `profile-summary.ts`).
 */
export async function profiled(
  task: () => Promise<void>,
  files: { cpu?: string | undefined; heap?: string | undefined } = {
    cpu: process.env.BENCH_PROFILE,
    heap: process.env.BENCH_HEAP_PROFILE,
  },
): Promise<void> {
  const { cpu: file, heap } = files;
  if (!file) return task();
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // BENCH_PROFILE_US: the sampling interval in µs (V8's default is 1,000); 250 shows short holds
  const us = envInt('BENCH_PROFILE_US', 0);
  if (us > 0) await session.post('Profiler.setSamplingInterval', { interval: us });
  await session.post('Profiler.start');
  // BENCH_HEAP_PROFILE: a file for where the same half's allocations were made (sampled, garbage
  // included); with BENCH_HEAP_PROMOTED set, only what outlived the young generation's collections
  // (promoted to the old generation, where it makes the full collections)
  if (heap)
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMinorGC: !process.env.BENCH_HEAP_PROMOTED,
      includeObjectsCollectedByMajorGC: true,
    });
  try {
    await task();
  } finally {
    if (heap) writeFileSync(heap, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
