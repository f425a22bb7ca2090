import { appendFileSync, readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConsentRegistry } from '../services/consent/index.ts';
import { categoryOf, informationText, type Reading, topics } from '../services/domain/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { BatchWriter, type PendingReading } from '../services/ingest/batch-writer.ts';
import { Ingest, ReadingSpool } from '../services/ingest/index.ts';
import { Registry } from '../services/registry/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import { ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { createInfluxV1Store, type ReadingStore } from '../services/timeseries/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';

const T0 = Date.UTC(2026, 10, 3, 10, 0, 0);
const msg = (o: unknown) => Buffer.from(JSON.stringify(o));
const GOOD_DEVICES = 20;

/** A TCP port that accepts and never answers: an InfluxDB that hangs. */
async function hangingServer(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.once('data', () => requests++);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('trust under faults: one bad reading, same-time readings, durable acks, health', () => {
  const dir = tempDir();
  let store: Store;
  let registry: Registry;
  let consent: ConsentRegistry;
  let readings: ReadingStore;
  const opened: Array<{ stop?(): Promise<void>; close?(): Promise<void> }> = [];
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
    await store.teams.create({ id: 't', name: 'T' });
    registry = await Registry.load(store);
    consent = await ConsentRegistry.load(store, registry, silentLogger());
    await registry.createHome({ id: 'bad', label: 'B', teamId: 't' });
    await registry.createHome({ id: 'good', label: 'G', teamId: 't' });
    await registry.provisionDevice({ id: 'wrong-clock', homeId: 'bad', kinds: ['temperature'] });
    await registry.provisionDevice({ id: 'fall-wrong-clock', homeId: 'bad', kinds: ['fall'] });
    await consent.change(
      'bad',
      {
        category: 'emergency',
        purpose: 'alerts',
        action: 'grant',
        channel: 'web',
        textVersion: informationText('emergency', 'alerts').version,
      },
      { id: 'c', role: 'citizen', homeId: 'bad' },
    );
    for (let d = 0; d < GOOD_DEVICES; d++)
      await registry.provisionDevice({ id: `g${d}`, homeId: 'good', kinds: ['temperature', 'motion'] });
    for (const homeId of ['bad', 'good'])
      for (const category of ['environment', 'activity'] as const)
        await consent.change(
          homeId,
          {
            category,
            purpose: 'history',
            action: 'grant',
            channel: 'web',
            textVersion: informationText(category, 'history').version,
          },
          { id: 'c', role: 'citizen', homeId },
        );
    readings = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('trust'),
      logger: silentLogger(),
    });
    await readings.ensureReady();
  });
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await (o.stop ?? o.close)?.call(o);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const make = (extra: Partial<ConstructorParameters<typeof Ingest>[0]> = {}) => {
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
      flushIntervalMs: 10,
      ...extra,
    });
    ingest.start();
    opened.push(ingest);
    return { ingest, metrics, events };
  };

  it('a device with a wrong clock (ts 1000, ts 9e15) among 2,000 good readings: all 2,000 are stored', async () => {
    // batches of 500: a batch InfluxDB refuses must not hold back the batches behind it
    const { ingest, metrics } = make({ batchSize: 500 });
    const acks: Array<Promise<boolean>> = [];
    for (let i = 0; i < 2000; i++) {
      const d = i % GOOD_DEVICES;
      acks.push(
        ingest.handleMessage(
          topics.readings('good', `g${d}`),
          msg({ kind: 'temperature', value: 20 + (i % 5), ts: T0 - 60_000 + i, seq: i }),
        ).durable,
      );
      if (i === 100 || i === 300) {
        const poisoned = i === 100 ? 1000 : 9e15;
        const r = ingest.handleMessage(
          topics.readings('bad', 'wrong-clock'),
          msg({ kind: 'temperature', value: 19, ts: poisoned, seq: i }),
        );
        // judged, not refused: the reading is taken (and would raise its alarm)
        expect(r.accepted).toBe(1);
        acks.push(r.durable);
      }
    }
    expect((await Promise.all(acks)).every(Boolean)).toBe(true);
    const good = await readings.query({ homeId: 'good', from: T0 - 60_000, to: T0 });
    expect(good).toHaveLength(2000);
    // the wrong clock's readings are kept, at the time they were received
    const bad = await readings.query({ homeId: 'bad', from: 0, to: T0 + 86_400_000 });
    expect(bad.map((p) => [p.seq, p.ts])).toEqual([
      [100, T0],
      [300, T0],
    ]);
    expect(await metrics.value('tryghed_ingest_device_clock_wrong_total', { direction: 'behind' })).toBe(1);
    expect(await metrics.value('tryghed_ingest_device_clock_wrong_total', { direction: 'ahead' })).toBe(1);
    expect(ingest.health().failing).toBe(false);
  });

  it('a fall from a device whose clock is far off still raises its alarm', async () => {
    const { ingest, metrics, events } = make();
    const raised: string[] = [];
    const rules = new RuleEngine({
      registry,
      consent,
      clock,
      metrics,
      logger: silentLogger(),
      events,
      onCandidate: (c) => raised.push(`${c.rule}@${c.at}`),
    });
    // listens for accepted readings on the bus, as in the platform
    rules.start();
    opened.push({ stop: async () => rules.stop() });
    for (const [seq, ts] of [
      [1, 9e15],
      [2, 1000],
    ] as const) {
      const r = ingest.handleMessage(
        topics.readings('bad', 'fall-wrong-clock'),
        msg({ kind: 'fall', value: true, ts, seq }),
      );
      expect(r.accepted).toBe(1);
    }
    // judged at the time it was received, as every rule is
    expect(raised).toEqual([`fall@${T0}`, `fall@${T0}`]);
  });

  it('a batch InfluxDB refuses for one point is split: the good points are written, the bad one set aside and counted', async () => {
    const metrics = new Metrics();
    const settled: PendingReading[] = [];
    const writer = new BatchWriter({
      readings,
      batchSize: 5000,
      flushIntervalMs: 60_000,
      maxBufferedPoints: 10_000,
      logger: silentLogger(),
      metrics,
      onSettled: (done) => settled.push(...done),
    });
    const reading = (deviceId: string, ts: number, seq: number): Reading => ({
      homeId: 'split',
      deviceId,
      kind: 'temperature',
      category: categoryOf('temperature'),
      value: 21,
      ts,
      seq,
      receivedAt: ts,
    });
    for (let i = 0; i < 2000; i++) {
      writer.add({ reading: reading(`s${i % 20}`, T0 + i, i), segment: -1 });
      // past ingest's judgement (say, a store-side limit): InfluxDB cannot keep this time at all
      if (i === 1234) writer.add({ reading: reading('poison', 9e15, 1), segment: -1 });
    }
    await writer.flush();
    expect(await readings.query({ homeId: 'split', from: T0, to: T0 + 2000 })).toHaveLength(2000);
    expect(await metrics.value('tryghed_ingest_written_total')).toBe(2000);
    expect(await metrics.value('tryghed_ingest_dropped_total', { reason: 'refused_by_store' })).toBe(1);
    expect(settled).toHaveLength(2001);
    expect(writer.health()).toMatchObject({ buffered: 0, failing: false });
    await writer.stop();
  });

  it.each([
    ['judged as they arrive', 0],
    ['routine messages queued (the default)', undefined],
  ])(
    "the broker's path (no result object per message): a reading listener handing two messages back in loses none (%s)",
    async (_, routineSliceMs) => {
      const { ingest, events } = make(routineSliceMs === undefined ? {} : { routineSliceMs });
      const inner: Array<Promise<boolean>> = [];
      events.on('reading/accepted', (r) => {
        if (r.deviceId !== 'g10' || r.seq !== 1) return;
        for (const id of ['g11', 'g12'])
          inner.push(
            ingest.handleReadings('good', id, msg({ kind: 'temperature', value: 3, ts: T0 - 7000, seq: 1 })),
          );
      });
      const outer = ingest.handleReadings(
        'good',
        'g10',
        msg([1, 2].map((seq) => ({ kind: 'temperature', value: seq, ts: T0 - 7000 + seq, seq }))),
      );
      // queued, the outer message is judged (and hands the two back in) in a later turn
      await outer;
      expect(await Promise.all([outer, ...inner])).toEqual([true, true, true]);
      const back = await readings.query({
        homeId: 'good',
        deviceIds: ['g10', 'g11', 'g12'],
        from: T0 - 8000,
        to: T0,
      });
      expect(back.map((p) => `${p.deviceId}:${p.seq}`).sort()).toEqual(['g10:1', 'g10:2', 'g11:1', 'g12:1']);
    },
  );

  it('ten readings of one device with one device time and ten seqs are ten points', async () => {
    const { ingest } = make();
    const burst = Array.from({ length: 10 }, (_, i) => ({
      kind: 'motion',
      value: i % 2,
      ts: T0 - 5000,
      seq: 500 + i,
    }));
    const r = ingest.handleMessage(topics.readings('good', 'g1'), msg(burst));
    expect(r.accepted).toBe(10);
    expect(await r.durable).toBe(true);
    const back = await readings.query({
      homeId: 'good',
      kinds: ['motion'],
      deviceIds: ['g1'],
      from: T0 - 5000,
      to: T0 - 5000,
    });
    expect(back.map((p) => [p.seq, p.value, p.ts])).toEqual(burst.map((b) => [b.seq, b.value, b.ts]));
  });

  it('with a spool, a reading is acknowledged once fsynced even while InfluxDB is down, and a crash loses nothing', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    try {
      const dead = createInfluxV1Store({
        url: `http://127.0.0.1:${await freePort()}`,
        database: 'x',
        logger: silentLogger(),
      });
      const metrics = new Metrics();
      const spool = await ReadingSpool.open({ dir: spoolDir.path, logger: silentLogger(), metrics });
      const { ingest } = make({ readings: dead, spool, metrics });
      const acks = [0, 1, 2].map(
        (i) =>
          ingest.handleMessage(
            topics.readings('good', 'g2'),
            msg({ kind: 'temperature', value: 30 + i, ts: T0 - 10_000 + i, seq: 800 + i }),
          ).durable,
      );
      expect(await Promise.all(acks)).toEqual([true, true, true]);
      expect(await metrics.value('tryghed_ingest_spool_readings')).toBe(3);
      await eventually(() => ingest.health().failing, { what: 'the failed write to be noticed' });

      // kill -9 here: nothing is stopped. A torn last line, as a crash mid-write leaves it:
      const [segment] = readdirSync(spoolDir.path).filter((n) => n.endsWith('.spool'));
      appendFileSync(join(spoolDir.path, segment!), '["good","g2","temp');

      const again = await ReadingSpool.open({
        dir: spoolDir.path,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      expect(again.size()).toBe(3);
      const { ingest: restarted } = make({ spool: again });
      await restarted.flush();
      const back = await readings.query({ homeId: 'good', deviceIds: ['g2'], from: T0 - 10_000, to: T0 });
      expect(back.map((p) => [p.seq, p.value])).toEqual([
        [800, 30],
        [801, 31],
        [802, 32],
      ]);
      expect(again.size()).toBe(0);
      // the old segment is gone once its readings are in InfluxDB
      await eventually(() => readdirSync(spoolDir.path).filter((n) => n.endsWith('.spool')).length === 0, {
        what: 'the spool to be emptied',
      });
    } finally {
      spoolDir.remove();
    }
  });

  it('the spooled readings of an erased home do not come back after a crash; the others do', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    try {
      const dead = createInfluxV1Store({
        url: `http://127.0.0.1:${await freePort()}`,
        database: 'x',
        logger: silentLogger(),
      });
      const spool = await ReadingSpool.open({
        dir: spoolDir.path,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      const { ingest } = make({ readings: dead, spool, flushIntervalMs: 60_000 });
      const sent = [
        ingest.handleMessage(
          topics.readings('good', 'g6'),
          msg({ kind: 'temperature', value: 1, ts: T0 - 50_000, seq: 1 }),
        ),
        ingest.handleMessage(
          topics.readings('bad', 'wrong-clock'),
          msg({ kind: 'temperature', value: 2, ts: T0 - 50_000, seq: 2 }),
        ),
      ];
      expect(await Promise.all(sent.map((r) => r.durable))).toEqual([true, true]);
      await ingest.eraseHome('good');
      expect(ingest.health().buffered).toBe(1);
      // kill -9: nothing stopped; the next start reads the spool
      const again = await ReadingSpool.open({
        dir: spoolDir.path,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      expect(again.takeRecovered().map((r) => r.reading.homeId)).toEqual(['bad']);
    } finally {
      spoolDir.remove();
    }
  });

  it('spool segments are deleted once their readings are in InfluxDB, so the spool stays small', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    try {
      const metrics = new Metrics();
      // tiny segments: 200 readings make many files
      const spool = await ReadingSpool.open({
        dir: spoolDir.path,
        segmentBytes: 1000,
        logger: silentLogger(),
        metrics,
      });
      const { ingest } = make({ spool, metrics, flushIntervalMs: 60_000 });
      const acks = Array.from(
        { length: 200 },
        (_, i) =>
          ingest.handleMessage(
            topics.readings('good', 'g7'),
            msg({ kind: 'temperature', value: 1, ts: T0 - 60_000 + i, seq: 2000 + i }),
          ).durable,
      );
      expect((await Promise.all(acks)).every(Boolean)).toBe(true);
      const files = () => readdirSync(spoolDir.path).filter((n) => n.endsWith('.spool'));
      expect(files().length).toBeGreaterThan(5);
      expect(await metrics.value('tryghed_ingest_spool_readings')).toBe(200);
      await ingest.flush();
      expect(await metrics.value('tryghed_ingest_spool_readings')).toBe(0);
      // every segment goes, the one open for appending too: a restart writes nothing twice
      await eventually(() => files().length === 0, { what: 'written segments to be deleted' });
      expect(await metrics.value('tryghed_ingest_spool_bytes')).toBe(0);
      const again = await ReadingSpool.open({
        dir: spoolDir.path,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      expect(again.size()).toBe(0);
    } finally {
      spoolDir.remove();
    }
  });

  it('one device flooding while InfluxDB is down fills only its own share: the others are still acknowledged', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    try {
      const dead = createInfluxV1Store({
        url: `http://127.0.0.1:${await freePort()}`,
        database: 'x',
        logger: silentLogger(),
      });
      const metrics = new Metrics();
      const spool = await ReadingSpool.open({ dir: spoolDir.path, logger: silentLogger(), metrics });
      const { ingest } = make({
        readings: dead,
        spool,
        metrics,
        maxBufferedPoints: 100,
        maxBufferedPerDevice: 3,
        flushIntervalMs: 60_000,
      });
      const send = (device: string, seq: number) =>
        ingest.handleMessage(
          topics.readings('good', device),
          msg({ kind: 'temperature', value: 1, ts: T0 - 70_000 + seq, seq }),
        );
      const flood = Array.from({ length: 6 }, (_, i) => send('g8', 3000 + i));
      const other = send('g9', 1);
      expect(flood.map((r) => r.accepted)).toEqual([1, 1, 1, 1, 1, 1]); // all judged, alarms included
      // the flooding device keeps what found no room; the other device is acknowledged as usual
      expect(await Promise.all(flood.map((r) => r.durable))).toEqual([true, true, true, false, false, false]);
      expect(await other.durable).toBe(true);
      expect(await metrics.value('tryghed_ingest_dropped_total', { reason: 'device_share_full' })).toBe(3);
      expect(ingest.health().buffered).toBe(4);
    } finally {
      spoolDir.remove();
    }
  });

  it('a spool that cannot be written acknowledges nothing, and is said at once', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    const spool = await ReadingSpool.open({
      dir: spoolDir.path,
      logger: silentLogger(),
      metrics: new Metrics(),
    });
    const { ingest } = make({ spool });
    spoolDir.remove(); // the disk is gone from under it
    const r = ingest.handleMessage(
      topics.readings('good', 'g10'),
      msg({ kind: 'temperature', value: 1, ts: T0 - 80_000, seq: 1 }),
    );
    expect(r.accepted).toBe(1);
    expect(await r.durable).toBe(false);
    expect(ingest.health()).toMatchObject({ spoolFailing: true, failing: true });
    // sent again, it is judged afresh, not called a duplicate of what was never acknowledged
    const again = ingest.handleMessage(
      topics.readings('good', 'g10'),
      msg({ kind: 'temperature', value: 1, ts: T0 - 80_000, seq: 1 }),
    );
    expect(again.rejected).toEqual([]);
  });

  it('a full spool acknowledges nothing more: the device keeps its reading', async () => {
    const spoolDir = tempDir('tryghed-spool-');
    try {
      const dead = createInfluxV1Store({
        url: `http://127.0.0.1:${await freePort()}`,
        database: 'x',
        logger: silentLogger(),
      });
      const spool = await ReadingSpool.open({
        dir: spoolDir.path,
        logger: silentLogger(),
        metrics: new Metrics(),
      });
      const { ingest } = make({ readings: dead, spool, maxBufferedPoints: 2, flushIntervalMs: 60_000 });
      const acks = [0, 1, 2].map(
        (i) =>
          ingest.handleMessage(
            topics.readings('good', 'g3'),
            msg({ kind: 'temperature', value: 1, ts: T0 - 20_000 + i, seq: 900 + i }),
          ).durable,
      );
      expect(await Promise.all(acks)).toEqual([true, true, false]);
      expect(spool.size()).toBe(2);
    } finally {
      spoolDir.remove();
    }
  });

  it('a write in flight counts as buffered, and a hung InfluxDB is called failing within 5 s', async () => {
    const hang = await hangingServer();
    const hung = createInfluxV1Store({ url: hang.url, database: 'x', logger: silentLogger() });
    // the writes' own clock, moved by hand: the flush and the hang are judged by it, no sleeping
    const io = new ManualClock(T0);
    const { ingest, metrics } = make({ readings: hung, ioClock: io });
    opened.push(hang); // closed before ingest stops, so its write fails instead of hanging
    for (let i = 0; i < 10; i++)
      ingest.handleMessage(
        topics.readings('good', 'g4'),
        msg({ kind: 'temperature', value: 1, ts: T0 - 30_000 + i, seq: 950 + i }),
      );
    // nothing is written before the flush timer fires
    expect(hang.requests()).toBe(0);
    // the flush timer takes the batch into a write that never returns
    io.advance(10);
    await eventually(() => hang.requests() === 1, { what: 'the write to reach InfluxDB' });
    expect(ingest.health().buffered).toBe(10);
    expect(await metrics.value('tryghed_ingest_buffered')).toBe(10);
    expect(ingest.health().failing).toBe(false);
    io.advance(2_900);
    expect(ingest.health().failing).toBe(false);
    io.advance(1_600);
    expect(ingest.health().failing).toBe(true);
  });

  it('the first failed write is failing at once, not after three', async () => {
    const dead = createInfluxV1Store({
      url: `http://127.0.0.1:${await freePort()}`,
      database: 'x',
      logger: silentLogger(),
    });
    const { ingest } = make({ readings: dead });
    ingest.handleMessage(
      topics.readings('good', 'g5'),
      msg({ kind: 'temperature', value: 1, ts: T0 - 40_000, seq: 990 }),
    );
    await eventually(() => ingest.health().consecutiveFailures === 1, { what: 'one failed write' });
    expect(ingest.health().failing).toBe(true);
  });
});
