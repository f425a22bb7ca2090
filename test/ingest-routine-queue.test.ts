import { createHook } from 'node:async_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConsentRegistry } from '../services/consent/index.ts';
import { type AlertCandidate, informationText, type Reading } from '../services/domain/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { Ingest, ReadingSpool } from '../services/ingest/index.ts';
import { RoutineQueue } from '../services/ingest/routine-queue.ts';
import { Registry } from '../services/registry/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import { ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { createInfluxV1Store, type ReadingStore } from '../services/timeseries/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const msg = (o: unknown) => Buffer.from(JSON.stringify(o));
const ROUTINE_DEVICES = 20;
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('an alarm is never judged behind routine readings (issue 12 point 3)', () => {
  const dir = tempDir();
  let store: Store;
  let registry: Registry;
  let consent: ConsentRegistry;
  let readings: ReadingStore;
  const opened: Array<() => Promise<unknown> | unknown> = [];
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
    await store.teams.create({ id: 't', name: 'T' });
    registry = await Registry.load(store);
    consent = await ConsentRegistry.load(store, registry, silentLogger());
    await registry.createHome({ id: 'h', label: 'H', teamId: 't' });
    for (let d = 0; d < ROUTINE_DEVICES; d++)
      await registry.provisionDevice({ id: `motion-${d}`, homeId: 'h', kinds: ['motion'] });
    await registry.provisionDevice({ id: 'button', homeId: 'h', kinds: ['alarm_button'] });
    for (const [category, purpose] of [
      ['emergency', 'alerts'],
      ['emergency', 'history'],
      ['activity', 'history'],
    ] as const)
      await consent.change(
        'h',
        {
          category,
          purpose,
          action: 'grant',
          channel: 'web',
          textVersion: informationText(category, purpose).version,
        },
        { id: 'c', role: 'citizen', homeId: 'h' },
      );
    readings = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('routine'),
      logger: silentLogger(),
    });
    await readings.ensureReady();
  });
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  /**
   * Whether a reading's line is in the spool's segment files now. A segment is deleted once InfluxDB
   * has its readings (which can come before a test looks at the end), so it is asked when the
   * reading is acknowledged; lines seen on an earlier look are remembered, as they were on disk
   * then already.
   */
  const spooledLines = (spoolDir: string) => {
    const seen = new Set<string>();
    return (device: string, seq: number): boolean => {
      const key = `${device}:${seq}`;
      if (seen.has(key)) return true;
      for (const f of readdirSync(spoolDir).filter((name) => name.endsWith('.spool'))) {
        // whole lines only: the spool may be writing the next group meanwhile, and what is read of
        // it can end in half a line (never an acknowledged reading's: that one was fsynced whole)
        const lines = readFileSync(join(spoolDir, f), 'utf8').split('\n');
        lines.pop();
        for (const line of lines.filter(Boolean)) {
          // a spool line: [homeId, deviceId, kind, value, ts, seq, …] (services/ingest/spool-format.ts)
          const fields = JSON.parse(line) as unknown[];
          seen.add(`${fields[1]}:${fields[5]}`);
        }
      }
      return seen.has(key);
    };
  };

  /** an ingest with a spool of its own (in `name`), started; stopped after the test */
  const spooledIngest = async (name: string) => {
    const metrics = new Metrics();
    const events = createPlatformBus({ logger: silentLogger(), metrics });
    const spoolDir = `${dir.path}/${name}`;
    const spool = await ReadingSpool.open({ dir: spoolDir, logger: silentLogger(), metrics });
    const ingest = new Ingest({
      registry,
      consent,
      readings,
      clock,
      logger: silentLogger(),
      metrics,
      events,
      spool,
    });
    ingest.start();
    opened.push(() => ingest.stop());
    return { metrics, events, spoolDir, ingest };
  };

  it('routine readings from 20 devices are waiting; an alarm pressed after them is raised first, and every one is durable before its ack', async () => {
    const { metrics, events, spoolDir, ingest } = await spooledIngest('spool');
    const raised: AlertCandidate[] = [];
    const rules = new RuleEngine({
      registry,
      consent,
      clock,
      metrics,
      logger: silentLogger(),
      events,
      onCandidate: (c) => raised.push(c),
    });
    rules.start();
    opened.push(() => rules.stop());
    // what the rules heard, in order: the alarm's place among the routine readings
    const heard: string[] = [];
    events.on('reading/accepted', (r: Reading) => heard.push(r.deviceId));

    // the broker's path: 2,000 routine messages handed over (as a burst of packets read in one turn)
    // each ack: true, and the reading's line in the spool when it came
    const onDisk = spooledLines(spoolDir);
    const acks: Array<Promise<boolean>> = [];
    const routine = 2000;
    for (let i = 0; i < routine; i++) {
      const device = `motion-${i % ROUTINE_DEVICES}`;
      const seq = Math.floor(i / ROUTINE_DEVICES) + 1;
      acks.push(
        ingest
          .handleReadings('h', device, msg({ kind: 'motion', value: 1, ts: T0 - 1000, seq }))
          .then((ok) => ok && onDisk(device, seq)),
      );
    }
    // then the button's packet
    const alarmAck = ingest.handleReadings(
      'h',
      'button',
      msg({ kind: 'alarm_button', value: 1, ts: T0, seq: 1 }),
    );
    // judged and raised before the routine backlog: not one routine reading was judged before it
    expect(raised.map((c) => c.rule)).toEqual(['alarm_button']);
    expect(heard.indexOf('button')).toBe(0);

    // the backlog is judged after it, in order per device, a slice per turn; every ack means durable
    expect(await alarmAck).toBe(true);
    expect(onDisk('button', 1)).toBe(true);
    expect(await Promise.all(acks)).toEqual(acks.map(() => true));
    expect(heard).toHaveLength(routine + 1);
    const seqs = new Map<string, number>();
    for (const id of heard.slice(1)) seqs.set(id, (seqs.get(id) ?? 0) + 1);
    expect([...seqs.values()]).toEqual(
      Array.from({ length: ROUTINE_DEVICES }, () => routine / ROUTINE_DEVICES),
    );
  });

  it("the broker's path makes no promise per routine message; each is still told durable once, in order, after its fsync", async () => {
    const { ingest, spoolDir } = await spooledIngest('spool-settled');
    // promises made while the messages are handed over, counted by V8 itself
    let promises = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === 'PROMISE') promises++;
      },
    });
    const n = 500;
    const settled: Array<{ device: string; seq: number; ok: boolean; onDisk: boolean }> = [];
    const onDisk = spooledLines(spoolDir);
    hook.enable();
    for (let i = 0; i < n; i++) {
      const device = `motion-${i % ROUTINE_DEVICES}`;
      const seq = 5000 + Math.floor(i / ROUTINE_DEVICES);
      ingest.takeReadings('h', device, msg({ kind: 'motion', value: 1, ts: T0 - 500, seq }), (ok) =>
        settled.push({ device, seq, ok, onDisk: onDisk(device, seq) }),
      );
    }
    hook.disable();
    // on the promise path (`handleReadings`) each message made at least one
    expect(promises).toBe(0);
    expect(settled).toEqual([]);
    await eventually(() => settled.length === n, { what: 'every message settled' });
    expect(settled.every((s) => s.ok)).toBe(true);
    // told durable once each, and only once its line was fsynced in the spool
    expect(new Set(settled.map((s) => `${s.device}:${s.seq}`)).size).toBe(n);
    expect(settled.filter((s) => !s.onDisk)).toEqual([]);
    // each device's messages settled in the order they were handed over
    for (let d = 0; d < ROUTINE_DEVICES; d++) {
      const seqs = settled.filter((s) => s.device === `motion-${d}`).map((s) => s.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // the promise path still works the same beside it
    expect(
      await ingest.handleReadings('h', 'motion-0', msg({ kind: 'motion', value: 1, ts: T0, seq: 9999 })),
    ).toBe(true);
  });

  it('what still waits when ingest stops is not acknowledged (the devices keep it)', async () => {
    const metrics = new Metrics();
    const events = createPlatformBus({ logger: silentLogger(), metrics });
    const ingest = new Ingest({
      registry,
      consent,
      readings,
      clock,
      logger: silentLogger(),
      metrics,
      events,
    });
    ingest.start();
    const judged: string[] = [];
    events.on('reading/accepted', (r: Reading) => judged.push(r.deviceId));
    const ack = ingest.handleReadings('h', 'motion-0', msg({ kind: 'motion', value: 1, ts: T0, seq: 9000 }));
    await ingest.stop();
    expect(await ack).toBe(false);
    expect(judged).toEqual([]);
  });
});

describe('the routine queue', () => {
  it('judges at most one slice per turn of the event loop, in arrival order', async () => {
    // a clock that moves 0.5 ms each time it is read (every 4th message): a 1 ms slice holds 8
    let t = 0;
    const judged: number[] = [];
    const queue = new RoutineQueue(
      async (_h, _d, payload) => {
        judged.push(payload[0]!);
        return true;
      },
      1,
      () => (t += 0.5),
    );
    const acks = Array.from({ length: 100 }, (_, i) => queue.enqueue('h', `d${i % 7}`, Buffer.from([i])));
    expect(judged).toEqual([]);
    let turns = 0;
    let largest = 0;
    while (queue.waiting > 0) {
      const before = judged.length;
      await turn();
      turns++;
      largest = Math.max(largest, judged.length - before);
    }
    expect(largest).toBeLessThanOrEqual(8);
    expect(turns).toBeGreaterThanOrEqual(100 / 8);
    expect(judged).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await Promise.all(acks)).toEqual(acks.map(() => true));
  });

  it("a device's queued messages are judged before a later message of it that skips the queue", async () => {
    const judged: string[] = [];
    const queue = new RoutineQueue(async (_h, deviceId, payload) => {
      judged.push(`${deviceId}:${payload.toString()}`);
      return true;
    });
    void queue.enqueue('h', 'a', Buffer.from('1'));
    void queue.enqueue('h', 'b', Buffer.from('1'));
    void queue.enqueue('h', 'a', Buffer.from('2'));
    expect(queue.holds('a')).toBe(true);
    queue.catchUp('a');
    expect(queue.holds('a')).toBe(false);
    expect(judged).toEqual(['a:1', 'a:2']);
    while (queue.waiting > 0) await turn();
    expect(judged).toEqual(['a:1', 'a:2', 'b:1']);
  });

  it('a judge that throws does not hold back the messages behind it', async () => {
    const queue = new RoutineQueue((_h, deviceId) => {
      if (deviceId === 'bad') throw new Error('a bug');
      return Promise.resolve(true);
    });
    const bad = queue.enqueue('h', 'bad', Buffer.from('x'));
    const good = queue.enqueue('h', 'good', Buffer.from('x'));
    expect(await good).toBe(true);
    expect(await bad).toBe(false);
  });
});
