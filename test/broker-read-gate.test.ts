import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type GateableClient, mayCarryAlarm, ReadGate } from '../broker/read-gate.ts';
import { type SensorKind, topics } from '../services/domain/index.ts';
import { bareBroker, connectDevices, registryFixture } from './harness/broker.ts';
import { cleanupAfterEach, eventually } from './harness/index.ts';

const reading = (kind: SensorKind, seq: number) => JSON.stringify({ kind, value: 1, ts: seq, seq });

describe("routine devices' packets are read in slices, an alarm device's at once", () => {
  const cleanup = cleanupAfterEach();

  /**
   * 60 motion sensors send a reading each, then an alarm button is pressed, while the event loop is
   * held up (as by a garbage collection or a long turn), so that one poll of the sockets finds all 61
   * packets waiting, the button's last. Real aedes, real mqtt.js clients. Returns where the alarm's
   * message came among those handed on, and what was handed on and acknowledged.
   */
  async function pressAmongRoutine(readSliceMs: number) {
    const f = await registryFixture(cleanup);
    const n = 60;
    const provisioned = await f.registry.provisionDevices([
      ...Array.from({ length: n }, (_, i) => ({ id: `m${i}`, homeId: 'h1', kinds: ['motion' as const] })),
      { id: 'button', homeId: 'h1', kinds: ['alarm_button' as const] },
    ]);
    // the smallest slice: a couple of reads per turn, so the order does not depend on CPU speed
    const broker = await bareBroker(f, cleanup, { readSliceMs });
    const heard: string[] = [];
    broker.onDeviceMessage((m) => {
      heard.push(m.deviceId);
      return Promise.resolve(true);
    });
    const clients = await connectDevices(broker.url, provisioned, cleanup);
    const acked: string[] = [];
    const send = (deviceId: string, kind: SensorKind) =>
      clients.get(deviceId)!.publish(topics.readings('h1', deviceId), reading(kind, 1), { qos: 1 }, (err) => {
        if (!err) acked.push(deviceId);
      });
    for (let i = 0; i < n; i++) send(`m${i}`, 'motion');
    send('button', 'alarm_button');
    // the clients write on the next tick (mqtt-packet uncorks there); then the loop is held up while
    // the packets arrive, so the broker reads them all in one poll
    await new Promise((r) => process.nextTick(r));
    await new Promise((r) => process.nextTick(r));
    const until = performance.now() + 50;
    while (performance.now() < until) {
      // held up
    }
    expect(heard).toEqual([]);
    await eventually(() => heard.length === n + 1 && acked.length === n + 1, {
      what: 'every reading handed on and acknowledged',
    });
    return {
      alarmAt: heard.indexOf('button'),
      heard,
      acked,
      deferred: await f.metrics.value('tryghed_broker_reads_deferred_total'),
    };
  }

  it('a pressed button is handed on before the routine packets read in the same poll; none is lost', async () => {
    const gated = await pressAmongRoutine(0.001);
    // read in the poll that found it: routine reads were put off to the slices after it
    expect(gated.alarmAt).toBe(0);
    expect(gated.deferred).toBeGreaterThanOrEqual(60);
    // every reading handed on once and acknowledged once
    expect(new Set(gated.heard).size).toBe(61);
    expect([...gated.acked].sort()).toEqual([...gated.heard].sort());
  });

  it('a read step with nothing unread is made at once: one deferred read per reading that came, none after its PUBACK', async () => {
    const f = await registryFixture(cleanup);
    const [device] = await f.registry.provisionDevices([{ id: 'm1', homeId: 'h1', kinds: ['motion'] }]);
    const broker = await bareBroker(f, cleanup, { readSliceMs: 1 });
    const heard: number[] = [];
    broker.onDeviceMessage((m) => {
      heard.push(JSON.parse(m.payload.toString()).seq);
      return Promise.resolve(true);
    });
    const clients = await connectDevices(broker.url, [device!], cleanup);
    const client = clients.get('m1')!;
    // connected: nothing was put off
    expect(await f.metrics.value('tryghed_broker_reads_deferred_total')).toBe(0);
    const n = 5;
    for (let seq = 1; seq <= n; seq++)
      await client.publishAsync(topics.readings('h1', 'm1'), reading('motion', seq), { qos: 1 });
    expect(heard).toEqual([1, 2, 3, 4, 5]);
    // each reading's bytes were read in a slice (the gate still holds routine reads back); the step
    // after its PUBACK, with nothing unread, was not (before: two deferred reads a reading)
    expect(await f.metrics.value('tryghed_broker_reads_deferred_total')).toBe(n);
  });

  it('without the gate (MQTT_READ_SLICE_MS=0) the same button waits behind the routine packets', async () => {
    // the case the gate exists for, on the same set-up: the poll reads the sockets in the order
    // their packets arrived, and aedes handles each one as it reads it
    const ungated = await pressAmongRoutine(0);
    expect(ungated.alarmAt).toBeGreaterThanOrEqual(30);
    expect(ungated.deferred).toBe(0);
  });
});

/** A stand-in for aedes' client: its read step is the connection's `readable` listener and `_nextBatch`. */
function fakeClient(log: string[], name: string) {
  const conn = new EventEmitter();
  const client: GateableClient & { urgent: boolean } = { conn, urgent: false };
  let reads = 0;
  const read = () => {
    log.push(`${name}${++reads}`);
  };
  client._nextBatch = read;
  conn.on('readable', read);
  return client;
}

describe('ReadGate', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  it('defers routine reads in order, a slice per turn, each exactly once; urgent ones go at once', async () => {
    let t = 0;
    // every clock read moves 1 ms on: with a 1 ms slice, two reads a turn (the clock is read every other read)
    const gate = new ReadGate({
      urgent: (c) => (c as ReturnType<typeof fakeClient>).urgent,
      sliceMs: 1,
      now: () => t++,
    });
    const log: string[] = [];
    const a = fakeClient(log, 'a');
    const b = fakeClient(log, 'b');
    const alarm = fakeClient(log, 'x');
    alarm.urgent = true;
    for (const c of [a, b, alarm]) expect(gate.gate(c)).toBe(true);
    a.conn.emit('readable');
    b._nextBatch!();
    a._nextBatch!();
    b.conn.emit('readable');
    expect(gate.waiting).toBe(4);
    alarm.conn.emit('readable');
    expect(log).toEqual(['x1']);
    const perTurn: number[] = [];
    while (log.length < 5) {
      const before = log.length;
      await turn();
      perTurn.push(log.length - before);
    }
    expect(log).toEqual(['x1', 'a1', 'b1', 'a2', 'b2']);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2);
    // the readable listener was replaced, not added: one read per event
    expect(a.conn.listenerCount('readable')).toBe(1);
  });

  it('an error goes through at once; a client whose kinds change is read accordingly from its next read', async () => {
    const gate = new ReadGate({ urgent: (c) => (c as ReturnType<typeof fakeClient>).urgent });
    const errors: unknown[] = [];
    const log: string[] = [];
    const a = fakeClient(log, 'a');
    const plain = a._nextBatch!;
    a._nextBatch = (err) => (err ? errors.push(err) : plain());
    a.conn.removeAllListeners('readable');
    a.conn.on('readable', a._nextBatch);
    gate.gate(a);
    a._nextBatch!(new Error('bad packet'));
    expect(errors).toHaveLength(1);
    a._nextBatch!();
    expect(log).toEqual([]);
    a.urgent = true;
    a._nextBatch!();
    expect(log).toEqual(['a1']);
    await turn();
    expect(log).toEqual(['a1', 'a2']);
  });

  it('a read step with nothing unread goes at once; one with bytes waiting, or a stream that does not say, is put off', async () => {
    let deferred = 0;
    const gate = new ReadGate({ urgent: () => false, counted: { inc: () => deferred++ } });
    const log: string[] = [];
    const a = fakeClient(log, 'a');
    const conn = a.conn as typeof a.conn & { readableLength?: number };
    gate.gate(a);
    conn.readableLength = 0;
    a._nextBatch!();
    expect(log).toEqual(['a1']);
    conn.readableLength = 12;
    conn.emit('readable');
    a._nextBatch!();
    expect(log).toEqual(['a1']);
    delete conn.readableLength;
    a._nextBatch!();
    expect(deferred).toBe(3);
    await turn();
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('leaves alone what is not an aedes client; close() reads what waits and lets the rest through', async () => {
    const gate = new ReadGate({ urgent: () => false });
    expect(gate.gate({ conn: new EventEmitter() })).toBe(false);
    const log: string[] = [];
    const stranger = fakeClient(log, 's');
    stranger.conn.removeAllListeners('readable');
    expect(gate.gate(stranger)).toBe(false);
    const a = fakeClient(log, 'a');
    gate.gate(a);
    a.conn.emit('readable');
    expect(log).toEqual([]);
    gate.close();
    expect(log).toEqual(['a1']);
    a.conn.emit('readable');
    expect(log).toEqual(['a1', 'a2']);
    await turn();
    expect(log).toEqual(['a1', 'a2']);
  });
});

describe('mayCarryAlarm: which connections are read at once', () => {
  const cleanup = cleanupAfterEach();

  it('alarm devices, gateways of homes with one, and non-devices; devices added and moved are followed', async () => {
    const { registry } = await registryFixture(cleanup, ['quiet', 'safe']);
    await registry.provisionDevices([
      { id: 'pir', homeId: 'quiet', kinds: ['motion'] },
      { id: 'gw-quiet', homeId: 'quiet', kinds: [], role: 'gateway' },
      { id: 'smoke', homeId: 'safe', kinds: ['smoke', 'temperature'] },
      { id: 'gw-safe', homeId: 'safe', kinds: [], role: 'gateway' },
    ]);
    const device = (deviceId: string, homeId: string, role: 'sensor' | 'gateway' = 'sensor') =>
      ({ kind: 'device', deviceId, homeId, role }) as const;
    expect(mayCarryAlarm(device('pir', 'quiet'), registry)).toBe(false);
    expect(mayCarryAlarm(device('gw-quiet', 'quiet', 'gateway'), registry)).toBe(false);
    expect(mayCarryAlarm(device('smoke', 'safe'), registry)).toBe(true);
    expect(mayCarryAlarm(device('gw-safe', 'safe', 'gateway'), registry)).toBe(true);
    expect(mayCarryAlarm({ kind: 'service', username: 'ingest' }, registry)).toBe(true);
    expect(mayCarryAlarm(undefined, registry)).toBe(true);
    // a fall sensor added to the quiet home: its gateway is read at once from then on
    await registry.provisionDevices([{ id: 'fall', homeId: 'quiet', kinds: ['fall'] }]);
    expect(mayCarryAlarm(device('gw-quiet', 'quiet', 'gateway'), registry)).toBe(true);
    // and the fall sensor moved away: not any more
    await registry.moveDevice('fall', 'safe');
    expect(mayCarryAlarm(device('gw-quiet', 'quiet', 'gateway'), registry)).toBe(false);
  });
});
