/**
 * The "micro" section of `npm run bench`: the hot path in this process, each case beside its
 * baseline, alternating rounds, without network or storage.
 *
 *   ingest.handleMessage   vs  JSON.parse + zod (the floor: what any validating ingest must pay)
 *   ingest + rules         vs  ingest alone
 *   resend filter          bytes per device heard, between two saves (heap and typed arrays, after
 *                              a GC; also alone: BENCH_ONLY=filter)
 *   ingest + spool         vs  ingest fed the same way without it: what "PUBACK means stored"
 *                              costs. Every reading is appended to the on-disk spool and fsynced
 *                              (group commit) before its acknowledgement; the time runs until the
 *                              last one may be acknowledged.
 *   InfluxDB write body    the longest hold of the event loop: ours in slices beside the `influx`
 *                              package in one go (see line-protocol.ts)
 *   alarm in a burst       a turn of the event loop hands over 2,000 routine messages with an alarm
 *                              button's in the middle (as the broker does when it reads a hundred
 *                              devices' sockets in one poll): the CPU time from the start of the
 *                              turn until the alarm is raised, routine messages queued
 *                              (`routine-queue.ts`) beside judged as they arrive
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsentRegistry } from '../../services/consent/index.ts';
import { CONSENT_CATEGORIES, informationText, topics, WirePayload } from '../../services/domain/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Ingest, ReadingSpool, ResendFilter } from '../../services/ingest/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { RuleEngine } from '../../services/rules/index.ts';
import { ManualClock, Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore } from '../../services/store/index.ts';
import type { ReadingStore } from '../../services/timeseries/index.ts';
import { lineProtocol } from './line-protocol.ts';
import { envInt, type Row } from './stats.ts';

const MESSAGES = envInt('BENCH_MESSAGES', 100_000);
const FILTER_DEVICES = envInt('BENCH_FILTER_DEVICES', 200_000);
const DEVICES = 2000;
export async function micro(rows: Row[], pairs: number): Promise<void> {
  const ROUNDS = Math.max(pairs, 3);
  // first, while the heap holds nothing else of ours
  await resendFilterMemory(rows);
  const store = await openStore({ sqlitePath: ':memory:' });
  await store.teams.create({ id: 't', name: 'T' });
  const registry = await Registry.load(store);
  const logger = silentLogger();
  const consent = await ConsentRegistry.load(store, registry, logger);
  for (let h = 0; h < DEVICES / 2; h++) {
    await registry.createHome({ id: `h${h}`, label: `h${h}`, teamId: 't' });
    for (const c of CONSENT_CATEGORIES) {
      for (const p of ['alerts', 'history'] as const) {
        await consent.change(
          `h${h}`,
          {
            category: c,
            purpose: p,
            action: 'grant',
            channel: 'system',
            textVersion: informationText(c, p).version,
          },
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
    eraseDeviceUpTo: async () => {},
    ping: async () => true,
    close: async () => {},
  };
  const clock = new ManualClock(1_700_000_000_000);
  const makeIngest = (withRules: boolean) => {
    const metrics = new Metrics();
    const events = createPlatformBus({ logger, metrics });
    const ingest = new Ingest({
      registry,
      consent,
      readings: discard,
      logger,
      metrics,
      events,
      clock,
      maxBufferedPoints: 10_000_000,
      flushIntervalMs: 60_000,
    });
    if (withRules) {
      const rules = new RuleEngine({
        registry,
        consent,
        clock,
        logger,
        metrics,
        events,
        onCandidate: () => {},
      });
      // hears accepted readings on the bus, as in the platform
      rules.start();
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
        events: createPlatformBus({ logger, metrics }),
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
  const gc = (globalThis as { gc?: () => void }).gc;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      // each case starts on a collected heap, so none pays for the garbage of the one before it
      gc?.();
      times[name]!.push(await run());
    }
  }
  const rate = (name: string) => times[name]!.map((t) => MESSAGES / t);
  const n = `${MESSAGES.toLocaleString('en')} messages, ${DEVICES} devices`;
  rows.push({
    section: 'micro',
    what: `ingest.handleMessage, ${n}`,
    unit: 'msg/s',
    higherIsBetter: true,
    platform: rate('ingest.handleMessage'),
    peer: rate('baseline: JSON.parse + zod'),
    peerName: 'JSON.parse + zod',
  });
  rows.push({
    section: 'micro',
    what: `ingest + rules, ${n}`,
    unit: 'msg/s',
    higherIsBetter: true,
    platform: rate('ingest + rules'),
    peer: rate('ingest.handleMessage'),
    peerName: 'ingest alone',
  });
  rows.push({
    section: 'micro',
    what: `ingest + spool (PUBACK after fsync), ${n}`,
    unit: 'msg/s',
    higherIsBetter: true,
    platform: rate('ingest + spool, PUBACK after fsync'),
    peer: rate('ingest, fed by turns, no spool'),
    peerName: 'ingest fed alike, no spool',
  });
  await alarmInBurst(rows, ROUNDS, registry, consent, clock, discard);
  await store.close();
  await lineProtocol(rows, ROUNDS);
}

/**
 * A turn handing over 2,000 routine messages with an alarm in the middle: the process's CPU time from
 * the turn's start until the alarm is raised (what the alarm waits for, without the descheduling a
 * shared machine adds to wall time)
 */
async function alarmInBurst(
  rows: Row[],
  rounds: number,
  registry: Registry,
  consent: ConsentRegistry,
  clock: ManualClock,
  discard: ReadingStore,
): Promise<void> {
  const logger = silentLogger();
  await registry.provisionDevice({ id: 'burst-button', homeId: 'h0', kinds: ['alarm_button'] });
  const burst = 2000;
  let seq = 0;
  const once = async (routineSliceMs: number | undefined) => {
    const metrics = new Metrics();
    const events = createPlatformBus({ logger, metrics });
    const ingest = new Ingest({
      registry,
      consent,
      readings: discard,
      logger,
      metrics,
      events,
      clock,
      maxBufferedPoints: 10_000_000,
      flushIntervalMs: 60_000,
      ...(routineSliceMs === undefined ? {} : { routineSliceMs }),
    });
    // CPU time, not wall time: on a shared machine the process is descheduled for tens of ms at a time
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    let raisedAt = 0;
    const rules = new RuleEngine({
      registry,
      consent,
      clock,
      logger,
      metrics,
      events,
      onCandidate: (c) => {
        if (c.rule === 'alarm_button') raisedAt = cpu();
      },
    });
    rules.start();
    ingest.start();
    seq++;
    // warm: the first reading a new ingest judges pays for its first look-ups and allocations
    ingest.handleMessage(
      topics.readings('h0', 'd0'),
      Buffer.from(`{"kind":"motion","value":1,"ts":${clock.now()},"seq":${seq * 10 - 1}}`),
    );
    // the messages as the broker hands them over (built before the clock starts)
    const handed = Array.from({ length: burst }, (_, i) => {
      const d = i % DEVICES;
      return {
        homeId: `h${d % (DEVICES / 2)}`,
        deviceId: `d${d}`,
        payload: Buffer.from(
          `{"kind":"motion","value":1,"ts":${clock.now()},"seq":${seq * 10 + Math.floor(i / DEVICES)}}`,
        ),
      };
    });
    const alarm = Buffer.from(`{"kind":"alarm_button","value":1,"ts":${clock.now()},"seq":${seq}}`);
    const t0 = cpu();
    for (let i = 0; i < burst; i++) {
      const m = handed[i]!;
      void ingest.handleReadings(m.homeId, m.deviceId, m.payload);
      if (i === burst / 2) void ingest.handleReadings('h0', 'burst-button', alarm);
    }
    // the acknowledgements wait for a write this case never makes: only the alarm is waited for
    for (let turns = 0; raisedAt === 0 && turns < 10_000; turns++) await new Promise((r) => setImmediate(r));
    rules.stop();
    await ingest.stop();
    if (raisedAt === 0) throw new Error('the alarm was not raised');
    return raisedAt - t0;
  };
  const queued: number[] = [];
  const atOnce: number[] = [];
  for (let round = 0; round < rounds; round++) {
    (globalThis as { gc?: () => void }).gc?.();
    queued.push(await once(undefined));
    (globalThis as { gc?: () => void }).gc?.();
    atOnce.push(await once(0));
  }
  rows.push({
    section: 'micro',
    what: `${burst.toLocaleString('en')} routine messages in one turn, an alarm among them: CPU from the turn's start until the alarm is raised`,
    unit: 'ms',
    higherIsBetter: false,
    platform: queued,
    peer: atOnce,
    peerName: 'judged as they arrive (before)',
  });
}

/**
 * The resend filter's memory row (`BENCH_ONLY=filter` runs it alone; `micro` runs it first, while
 * the heap holds nothing else of ours).
 */
export async function resendFilterMemory(rows: Row[]): Promise<void> {
  rows.push({
    section: 'memory',
    what: `resend filter, ${FILTER_DEVICES.toLocaleString('en')} devices heard, between saves`,
    unit: 'bytes/device',
    higherIsBetter: false,
    platform: [await resendFilterBytesPerDevice()],
    peer: [],
    peerName: '',
  });
}

/**
 * Heap and typed-array bytes the resend filter adds per device heard, held as the platform holds
 * it between two saves: each device heard three times, then its changed windows taken as
 * `ResendKeeper` takes them every second (the taken copies are the save's, dropped here).
 *
 * Counted: all the filter allocates (windows, slot index, references to ids, changed marks).
 * Not counted: the ids themselves, which are the registry's strings and stay alive (flat strings,
 * as read from the store; a template literal of 13+ characters is a rope, and hashing it would
 * flatten it into a second copy the platform never makes), nor anything per provisioned device
 * (the filter holds nothing for a device it has not heard). Each reading waits, after the GC, for
 * V8 to free the typed arrays let go (before, a reading right after `gc()` still counted them).
 */
export async function resendFilterBytesPerDevice(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const deviceIds = Array.from({ length: FILTER_DEVICES }, (_, i) =>
    Buffer.from(`device-${i}`).toString('latin1'),
  );
  const used = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = await used();
  const filter = new ResendFilter({ windowMs: 86_400_000, now: () => 1_700_000_000_000 });
  for (const id of deviceIds)
    for (let seq = 1; seq <= 3; seq++) filter.seen(id, seq, 1_700_000_000_000 + seq);
  if (filter.takeChanged().length !== FILTER_DEVICES) throw new Error('resend filter lost a change');
  const bytes = ((await used()) - before) / FILTER_DEVICES;
  // read after the measure, so the ids stay alive through it as the registry keeps them
  if (filter.stats().devices !== deviceIds.length) throw new Error('resend filter lost devices');
  return bytes;
}
