import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInfluxd } from '../platform/index.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import {
  type ConsentCategory,
  informationText,
  type Purpose,
  type Reading,
  topics,
} from '../services/domain/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { Ingest } from '../services/ingest/index.ts';
import { Registry } from '../services/registry/index.ts';
import { ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { createInfluxV1Store, type ReadingStore } from '../services/timeseries/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';

const T0 = Date.UTC(2026, 10, 2, 10, 0, 0);
const msg = (o: unknown) => Buffer.from(JSON.stringify(o));

/** The real InfluxDB store, counting its write requests: proof of batching, not a stand-in. */
function counting(inner: ReadingStore) {
  const counted = { writes: 0, points: 0 };
  const store: ReadingStore = {
    ...inner,
    async write(readings) {
      counted.writes++;
      await inner.write(readings);
      counted.points += readings.length;
    },
  };
  return { store, counted };
}

describe('ingest on real InfluxDB and SQLite', () => {
  const dir = tempDir();
  let store: Store;
  let registry: Registry;
  let consent: ConsentRegistry;
  let readings: ReadingStore;
  let metrics: Metrics;
  let ingest: Ingest;
  let seen: Reading[];
  const clock = new ManualClock(T0);

  const grant = (category: ConsentCategory, purpose: Purpose, action: 'grant' | 'withdraw' = 'grant') =>
    consent.change(
      'h1',
      { category, purpose, action, channel: 'web', textVersion: informationText(category, purpose).version },
      { id: 'c', role: 'citizen', homeId: 'h1' },
    );
  const rejected = (reason: string) => metrics.value('tryghed_ingest_rejected_total', { reason });

  beforeAll(async () => {
    store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
    await store.teams.create({ id: 't', name: 'T' });
    registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    await registry.createHome({ id: 'h2', label: 'H2', teamId: 't' });
    await registry.provisionDevice({ id: 'm1', homeId: 'h1', kinds: ['motion', 'battery'] });
    await registry.provisionDevice({ id: 'f1', homeId: 'h1', kinds: ['fall'] });
    consent = await ConsentRegistry.load(store, registry, silentLogger());
    readings = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('ingest'),
      logger: silentLogger(),
    });
    await readings.ensureReady();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });
  beforeEach(() => {
    metrics = new Metrics();
    seen = [];
  });
  afterEach(async () => {
    await ingest?.stop();
  });

  const make = (
    rs: ReadingStore = readings,
    extra: Partial<ConstructorParameters<typeof Ingest>[0]> = {},
  ) => {
    const events = createPlatformBus({ logger: silentLogger(), metrics });
    ingest = new Ingest({
      registry,
      consent,
      readings: rs,
      clock,
      logger: silentLogger(),
      metrics,
      events,
      flushIntervalMs: 10,
      ...extra,
    });
    events.on('reading/accepted', (r) => seen.push(r));
    ingest.start();
    return ingest;
  };

  it('stores an accepted reading in InfluxDB and hands it to the rules', async () => {
    await grant('activity', 'history');
    make();
    const result = ingest.handleMessage(
      topics.readings('h1', 'm1'),
      msg({ kind: 'motion', value: true, ts: T0, seq: 1 }),
    );
    expect(result).toMatchObject({ accepted: 1, rejected: [] });
    expect(seen[0]).toMatchObject({
      homeId: 'h1',
      deviceId: 'm1',
      kind: 'motion',
      category: 'activity',
      value: 1,
      ts: T0,
    });
    // without a spool, the acknowledgement waits until InfluxDB has it
    expect(await result.durable).toBe(true);
    const points = await readings.query({ homeId: 'h1', from: T0, to: T0 });
    expect(points).toEqual([expect.objectContaining({ deviceId: 'm1', kind: 'motion', value: 1, seq: 1 })]);
  });

  it('counts every kind of refusal by its reason, and keeps the good readings of a mixed batch', async () => {
    make();
    const t = topics.readings('h1', 'm1');
    const cases: Array<[string, Buffer, string]> = [
      ['tryghed/v1/homes/h1/devices/m1/other', msg({}), 'wrong_topic'],
      ['elsewhere', msg({}), 'wrong_topic'],
      [t, Buffer.from('{not json'), 'not_json'],
      [t, msg({ kind: 'motion', value: 'yes', ts: T0, seq: 1 }), 'schema'],
      [t, msg({ kind: 'laser', value: 1, ts: T0, seq: 1 }), 'schema'],
      [t, msg({ kind: 'motion', value: 1, ts: T0, seq: 1, name: 'Ellen' }), 'schema'],
      [topics.readings('h1', 'ghost'), msg({ kind: 'motion', value: 1, ts: T0, seq: 1 }), 'unknown_device'],
      [topics.readings('h2', 'm1'), msg({ kind: 'motion', value: 1, ts: T0, seq: 1 }), 'device_not_in_home'],
      [t, msg({ kind: 'smoke', value: 1, ts: T0, seq: 1 }), 'kind_not_declared'],
    ];
    for (const [topic, payload, reason] of cases) {
      expect(ingest.handleMessage(topic, payload).rejected, reason).toEqual([reason]);
    }
    for (const reason of [
      'wrong_topic',
      'not_json',
      'schema',
      'unknown_device',
      'device_not_in_home',
      'kind_not_declared',
    ]) {
      expect(await rejected(reason), reason).toBeGreaterThan(0);
    }
    expect(await rejected('schema')).toBe(3);
    const mixed = ingest.handleMessage(
      t,
      msg([{ kind: 'battery', value: 80, ts: T0 + 5, seq: 50 }, { kind: 'motion' }]),
    );
    expect(mixed).toMatchObject({ accepted: 1, rejected: ['schema'] });
  });

  it('refuses a value its kind cannot carry (battery 250 % or -3 %, motion 2), counted, not stored', async () => {
    make();
    const t = topics.readings('h1', 'm1');
    for (const bad of [
      { kind: 'battery', value: 250, ts: T0, seq: 1 },
      { kind: 'battery', value: -3, ts: T0, seq: 2 },
      { kind: 'motion', value: 2, ts: T0, seq: 3 },
      { kind: 'motion', value: 0.5, ts: T0, seq: 4 },
    ]) {
      expect(ingest.handleMessage(t, msg(bad)).rejected, JSON.stringify(bad)).toEqual(['out_of_range']);
    }
    expect(await rejected('out_of_range')).toBe(4);
    // the good reading beside a bad one is kept; the edges of the range are good
    const mixed = ingest.handleMessage(
      t,
      msg([
        { kind: 'battery', value: 0, ts: T0 + 1, seq: 5 },
        { kind: 'battery', value: 101, ts: T0 + 2, seq: 6 },
        { kind: 'battery', value: 100, ts: T0 + 3, seq: 7 },
      ]),
    );
    expect(mixed).toMatchObject({ accepted: 2, rejected: ['out_of_range'] });
    expect(seen.map((r) => r.value)).toEqual([0, 100]);
  });

  it('survives garbage without throwing', () => {
    make();
    const t = topics.readings('h1', 'm1');
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      Buffer.from('null'),
      Buffer.from('"text"'),
      Buffer.from('[]'),
      Buffer.from('{"readings": 5}'),
      Buffer.from('{"__proto__": {"polluted": true}, "kind": "motion", "value": 1, "ts": 1, "seq": 1}'),
      Buffer.from(`[${'1,'.repeat(10_000)}1]`),
      Buffer.from('{"kind": "motion", "value": 1e400, "ts": 1, "seq": 1}'),
      Buffer.from(JSON.stringify({ kind: 'motion', value: 1, ts: -5, seq: 1.5 })),
      Buffer.from('['.repeat(5000) + ']'.repeat(5000)),
    ];
    for (const payload of garbage) {
      const result = ingest.handleMessage(t, payload);
      expect(result.accepted).toBe(0);
      expect(result.rejected.length).toBeGreaterThan(0);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('without any consent for a category: nothing stored, nothing passed on, counted by category', async () => {
    make();
    const before = await metrics.value('tryghed_ingest_rejected_total', {
      reason: 'no_consent',
      category: 'emergency',
    });
    const r = ingest.handleMessage(
      topics.readings('h1', 'f1'),
      msg({ kind: 'fall', value: 1, ts: T0 + 10, seq: 1 }),
    );
    expect(r.rejected).toEqual(['no_consent']);
    expect(seen).toEqual([]);
    expect(
      await metrics.value('tryghed_ingest_rejected_total', { reason: 'no_consent', category: 'emergency' }),
    ).toBe(before + 1);
    await ingest.flush();
    expect(await readings.query({ homeId: 'h1', kinds: ['fall'], from: T0, to: T0 + 1000 })).toEqual([]);
  });

  it('with alerts consent but history withdrawn: passed to the rules, not stored', async () => {
    await grant('emergency', 'alerts');
    await grant('emergency', 'history', 'withdraw');
    make();
    const r = ingest.handleMessage(
      topics.readings('h1', 'f1'),
      msg({ kind: 'fall', value: 1, ts: T0 + 20, seq: 2 }),
    );
    expect(r.accepted).toBe(1);
    expect(seen.map((x) => x.kind)).toEqual(['fall']);
    await ingest.flush();
    expect(await readings.query({ homeId: 'h1', kinds: ['fall'], from: T0, to: T0 + 1000 })).toEqual([]);
    await grant('emergency', 'alerts', 'withdraw');
    expect(
      ingest.handleMessage(topics.readings('h1', 'f1'), msg({ kind: 'fall', value: 1, ts: T0 + 30, seq: 3 }))
        .rejected,
    ).toEqual(['no_consent']);
  });

  it('technical readings need no consent and are stored', async () => {
    make();
    expect(
      ingest.handleMessage(
        topics.readings('h1', 'm1'),
        msg({ kind: 'battery', value: 42, ts: T0 + 40, seq: 7 }),
      ).accepted,
    ).toBe(1);
    await ingest.flush();
    expect(
      (await readings.query({ homeId: 'h1', kinds: ['battery'], from: T0 + 40, to: T0 + 40 }))[0]?.value,
    ).toBe(42);
  });

  it('drops a resend, keeps an out-of-order reading and a restarted device', async () => {
    await grant('activity', 'history');
    make();
    const t = topics.readings('h1', 'm1');
    const send = (seq: number, ts: number) =>
      ingest.handleMessage(t, msg({ kind: 'motion', value: 1, ts, seq })).accepted;
    expect(send(100, T0 + 100)).toBe(1);
    expect(send(102, T0 + 102)).toBe(1);
    expect(send(101, T0 + 101)).toBe(1); // late, not a duplicate
    expect(send(102, T0 + 102)).toBe(0); // the same reading again
    expect(send(0, T0 + 500)).toBe(1); // device restarted and counts from 0
    expect(await rejected('duplicate')).toBe(1);
  });

  it('writes 10,000 readings in a handful of requests, not one each', async () => {
    await grant('activity', 'history');
    const { store: rs, counted } = counting(readings);
    make(rs, { batchSize: 5000, flushIntervalMs: 50 });
    const t = topics.readings('h1', 'm1');
    for (let i = 0; i < 100; i++) {
      const batch = Array.from({ length: 100 }, (_, j) => ({
        kind: 'motion',
        value: 1,
        ts: T0 + 100_000 + i * 100 + j,
        seq: 1000 + i * 100 + j,
      }));
      expect(ingest.handleMessage(t, msg(batch)).accepted).toBe(100);
    }
    await eventually(() => counted.points === 10_000, { what: 'all points written' });
    expect(counted.writes).toBeLessThanOrEqual(4);
    const back = await readings.query({
      homeId: 'h1',
      kinds: ['motion'],
      from: T0 + 100_000,
      to: T0 + 110_000,
    });
    expect(back).toHaveLength(10_000);
  });

  it('keeps readings while InfluxDB is down and writes them when it is back', async () => {
    const influxDir = tempDir('tryghed-influx-outage-');
    const port = await freePort();
    let influxd = await startInfluxd({ dir: influxDir.path, httpPort: port });
    try {
      const own = createInfluxV1Store({ url: influxd.url, database: 'outage', logger: silentLogger() });
      await own.ensureReady();
      await grant('activity', 'history');
      make(own, { flushIntervalMs: 10 });
      await influxd.stop();
      const t = topics.readings('h1', 'm1');
      for (let i = 0; i < 20; i++)
        ingest.handleMessage(t, msg({ kind: 'motion', value: 1, ts: T0 + 200_000 + i, seq: 5000 + i }));
      await eventually(() => ingest.health().consecutiveFailures > 0, { what: 'a failed write' });
      expect(ingest.health().buffered).toBe(20);
      expect(await metrics.value('tryghed_ingest_written_total')).toBe(0);
      influxd = await startInfluxd({ dir: influxDir.path, httpPort: port });
      await eventually(() => ingest.health().buffered === 0 && ingest.health().lastWriteOk, {
        timeoutMs: 15_000,
        what: 'recovery',
      });
      const back = await own.query({ homeId: 'h1', from: T0 + 200_000, to: T0 + 200_100 });
      expect(back.map((p) => p.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 5000 + i));
    } finally {
      await ingest.stop();
      await influxd.stop();
      influxDir.remove();
    }
  });

  it('bounds memory while InfluxDB is down: beyond the limit, readings are not acknowledged, still passed on', async () => {
    await grant('activity', 'history');
    const dead = createInfluxV1Store({
      url: `http://127.0.0.1:${await freePort()}`,
      database: 'x',
      logger: silentLogger(),
    });
    make(dead, { maxBufferedPoints: 5, flushIntervalMs: 60_000 });
    const t = topics.readings('h1', 'm1');
    const acks: Array<Promise<boolean>> = [];
    for (let i = 0; i < 8; i++)
      acks.push(
        ingest.handleMessage(t, msg({ kind: 'motion', value: 1, ts: T0 + 300_000 + i, seq: 9000 + i }))
          .durable,
      );
    expect(seen).toHaveLength(8); // alerts must still reach people when storage is down
    // the three without room get no PUBACK: the device keeps them and sends them again
    expect(await Promise.all(acks.slice(5))).toEqual([false, false, false]);
    expect(ingest.health().buffered).toBe(5);
    expect(await metrics.value('tryghed_ingest_dropped_total', { reason: 'buffer_full' })).toBe(3);
    // ... and when sent again they are not taken for resends (still no room: still no PUBACK)
    const again = ingest.handleMessage(t, msg({ kind: 'motion', value: 1, ts: T0 + 300_007, seq: 9007 }));
    expect(again.rejected).toEqual([]);
    expect(await again.durable).toBe(false);
  });
});
