/**
 * `npm run bench`: throughput of the hot path, each measured side by side with its baseline in
 * the same process, alternating runs, because these machines are noisy. Prints a table; the
 * ratio column is what to watch.
 *
 *   ingest.handleMessage   vs  JSON.parse + zod (the floor: what any validating ingest must pay)
 *   ingest + rules         vs  ingest alone
 *   ingest + spool         vs  ingest fed the same way without it: what "PUBACK means stored"
 *                              costs. Every reading is appended to the on-disk spool and fsynced
 *                              (group commit) before its acknowledgement; the time runs until the
 *                              last one may be acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConsentRegistry } from '../../services/consent/index.ts';
import { CONSENT_CATEGORIES, topics, WirePayload } from '../../services/domain/index.ts';
import { Ingest, ReadingSpool } from '../../services/ingest/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { RuleEngine } from '../../services/rules/index.ts';
import { ManualClock, Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore } from '../../services/store/index.ts';
import type { ReadingStore } from '../../services/timeseries/index.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const DEVICES = 2000;
const ROUNDS = 5;
// Each case starts on a collected heap, so none pays for the garbage of the one before it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function main() {
  const store = await openStore({ sqlitePath: ':memory:' });
  await store.teams.create({ id: 't', name: 'T' });
  const registry = await Registry.load(store);
  const logger = silentLogger();
  const consent = await ConsentRegistry.load(store, logger);
  for (let h = 0; h < DEVICES / 2; h++) {
    await registry.createHome({ id: `h${h}`, label: `h${h}`, teamId: 't' });
    for (const c of CONSENT_CATEGORIES) {
      for (const p of ['alerts', 'history'] as const) {
        await consent.change(
          `h${h}`,
          { category: c, purpose: p, action: 'grant', channel: 'system', textVersion: 'b' },
          { id: 'b', role: 'system' },
        );
      }
    }
  }
  // Secrets are hashed at device strength; provisioning 2000 takes a few seconds, once.
  for (let d = 0; d < DEVICES; d++) {
    await registry.provisionDevice({
      id: `d${d}`,
      homeId: `h${d % (DEVICES / 2)}`,
      kinds: ['motion', 'temperature'],
    });
  }
  const messages: Array<[string, Buffer]> = [];
  for (let i = 0; i < MESSAGES; i++) {
    const d = i % DEVICES;
    const kind = i % 3 === 0 ? 'temperature' : 'motion';
    const payload = {
      kind,
      value: kind === 'motion' ? 1 : 21.5,
      ts: 1_700_000_000_000 + i,
      seq: Math.floor(i / DEVICES),
    };
    messages.push([topics.readings(`h${d % (DEVICES / 2)}`, `d${d}`), Buffer.from(JSON.stringify(payload))]);
  }
  // A store that keeps nothing: this measures our CPU path; InfluxDB's own rate is measured apart.
  const discard: ReadingStore = {
    api: 'v1',
    ensureReady: async () => {},
    write: async () => {},
    query: async () => [],
    eraseHome: async () => {},
    ping: async () => true,
    close: async () => {},
  };
  const clock = new ManualClock(1_700_000_000_000);
  const makeIngest = (withRules: boolean) => {
    const metrics = new Metrics();
    const ingest = new Ingest({
      registry,
      consent,
      readings: discard,
      logger,
      metrics,
      clock,
      maxBufferedPoints: 10_000_000,
      flushIntervalMs: 60_000,
    });
    if (withRules) {
      const rules = new RuleEngine({ registry, consent, clock, logger, metrics, onCandidate: () => {} });
      ingest.onReading((r) => rules.onReading(r));
    }
    return ingest;
  };

  const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
  /** the sync loop alone is timed; writing out what it buffered is not */
  const loop = async (withRules: boolean) => {
    const ingest = makeIngest(withRules);
    const t0 = process.hrtime.bigint();
    for (const [topic, payload] of messages) ingest.handleMessage(topic, payload);
    const took = seconds(t0);
    await ingest.stop();
    return took;
  };
  // Messages arrive as the broker hands them over: a socket's worth per turn of the event loop, so
  // the spool's fsyncs (on libuv's thread pool) overlap with judging the next ones. With the spool,
  // the time runs until the last reading may be acknowledged.
  const byTurns = async (spooled: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'tryghed-bench-spool-'));
    try {
      const metrics = new Metrics();
      const spool = spooled ? await ReadingSpool.open({ dir, logger, metrics }) : undefined;
      const ingest = new Ingest({
        registry,
        consent,
        readings: discard,
        logger,
        metrics,
        clock,
        ...(spool ? { spool } : {}),
        maxBufferedPoints: 10_000_000,
        flushIntervalMs: 60_000,
      });
      ingest.start();
      const t0 = process.hrtime.bigint();
      const acks: Array<Promise<boolean>> = [];
      for (let i = 0; i < messages.length; i++) {
        const [topic, payload] = messages[i]!;
        const { durable } = ingest.handleMessage(topic, payload);
        if (spooled) acks.push(durable);
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
      }
      const ok = await Promise.all(acks);
      const took = seconds(t0);
      if (!ok.every(Boolean)) throw new Error('a reading was not acknowledged');
      await ingest.stop();
      return took;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const cases: Record<string, () => Promise<number>> = {
    'baseline: JSON.parse + zod': async () => {
      const t0 = process.hrtime.bigint();
      for (const [, payload] of messages) WirePayload.safeParse(JSON.parse(payload.toString('utf8')));
      return seconds(t0);
    },
    'ingest.handleMessage': () => loop(false),
    'ingest + rules': () => loop(true),
    'ingest, fed by turns, no spool': () => byTurns(false),
    'ingest + spool, PUBACK after fsync': () => byTurns(true),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      collectGarbage();
      times[name]!.push(await run());
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = MESSAGES / median(times['baseline: JSON.parse + zod']!);
  const alone = MESSAGES / median(times['ingest, fed by turns, no spool']!);
  const rows = Object.keys(cases).map((name) => {
    const rate = MESSAGES / median(times[name]!);
    return {
      case: name,
      'msg/s (median)': Math.round(rate).toLocaleString('en'),
      'vs baseline': `${((rate / base) * 100).toFixed(0)}%`,
      'vs no spool': `${((rate / alone) * 100).toFixed(0)}%`,
    };
  });
  console.log(
    `\n${MESSAGES.toLocaleString('en')} single-reading messages, ${DEVICES} devices, median of ${ROUNDS} alternating rounds\n`,
  );
  console.table(rows);
  console.log(
    'Target: 25,000 readings/s for 140,000 homes on 2 cores; the broker forwards ~52k QoS 1 msg/s here.',
  );
  await store.close();
}

await main();
