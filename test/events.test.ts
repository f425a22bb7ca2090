import pino from 'pino';
import { afterEach, beforeEach, describe, expect, expectTypeOf, inject, it } from 'vitest';
import { SessionStore } from '../dashboard/server/sessions.ts';
import { topics } from '../services/domain/index.ts';
import {
  createPlatformBus,
  EventBus,
  PLATFORM_EVENT_NAMES,
  type PlatformEventName,
  type PlatformEvents,
} from '../services/events/index.ts';
import { PlatformHealth } from '../services/health/index.ts';
import { Ingest } from '../services/ingest/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';
import { createInfluxV1Store } from '../services/timeseries/index.ts';
import { uniqueDatabase } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

interface TestEvents {
  'thing/happened': { n: number };
  'other/happened': { s: string };
}

describe('the event bus', () => {
  it('calls listeners at once, synchronously, in the order they subscribed', () => {
    const bus = new EventBus<TestEvents>({ logger: silentLogger() });
    const heard: string[] = [];
    bus.on('thing/happened', ({ n }) => heard.push(`a${n}`));
    bus.on('other/happened', ({ s }) => heard.push(`other ${s}`));
    bus.on('thing/happened', ({ n }) => heard.push(`b${n}`));
    bus.emit('thing/happened', { n: 1 });
    // nothing waits for a turn of the event loop: the alarm path stays one synchronous call
    expect(heard).toEqual(['a1', 'b1']);
    bus.emit('other/happened', { s: 'x' });
    expect(heard).toEqual(['a1', 'b1', 'other x']);
  });

  it('a listener that throws or rejects is logged and counted, and the others are still called', async () => {
    const { logger, lines } = capturedLogger();
    const metrics = new Metrics();
    const bus = new EventBus<TestEvents>({ logger, metrics });
    const heard: number[] = [];
    bus.on('thing/happened', () => {
      throw new Error('broken part');
    });
    bus.on('thing/happened', async () => {
      throw new Error('broken async part');
    });
    bus.on('thing/happened', ({ n }) => heard.push(n));
    bus.emit('thing/happened', { n: 1 });
    bus.emit('thing/happened', { n: 2 });
    // the healthy listener heard both, although two before it failed each time
    expect(heard).toEqual([1, 2]);
    await new Promise((r) => setImmediate(r));
    expect(bus.failureCount()).toBe(4);
    expect(await metrics.value('tryghed_event_listener_failures_total', { event: 'thing/happened' })).toBe(4);
    const failures = lines.filter((l) => l.msg === 'event listener failed');
    expect(failures).toHaveLength(4);
    expect(failures.map((l) => (l.err as { message: string }).message).sort()).toEqual([
      'broken async part',
      'broken async part',
      'broken part',
      'broken part',
    ]);
    expect(failures.every((l) => l.event === 'thing/happened')).toBe(true);
  });

  it('unsubscribing (even from inside a listener, even twice) skips nobody and removes only that listener', () => {
    const bus = new EventBus<TestEvents>({ logger: silentLogger() });
    const heard: string[] = [];
    const offA = bus.on('thing/happened', () => {
      heard.push('a');
      offA();
      offA();
    });
    bus.on('thing/happened', () => heard.push('b'));
    const offC = bus.on('thing/happened', () => heard.push('c'));
    expect(bus.listenerCount('thing/happened')).toBe(3);
    bus.emit('thing/happened', { n: 1 });
    // `a` left during the emit: `b` and `c` were still called this time
    expect(heard).toEqual(['a', 'b', 'c']);
    offC();
    bus.emit('thing/happened', { n: 2 });
    expect(heard).toEqual(['a', 'b', 'c', 'b']);
    expect(bus.listenerCount()).toBe(1);
  });

  it('takes only plain JSON payloads, by type', () => {
    // a positive control: the same bus with plain payloads compiles
    new EventBus<{ 'ok/plain': { at: number; ids: string[]; nested: { on: boolean | null } } }>({
      logger: silentLogger(),
    });
    // @ts-expect-error a Map does not survive JSON
    new EventBus<{ 'bad/map': { byId: Map<string, number> } }>({ logger: silentLogger() });
    // @ts-expect-error a function does not cross a process
    new EventBus<{ 'bad/function': { done: () => void } }>({ logger: silentLogger() });
    // @ts-expect-error a Date becomes a string on the way
    new EventBus<{ 'bad/date': { at: Date } }>({ logger: silentLogger() });
    // every platform event has its name in the list the round trip below goes over
    expectTypeOf<(typeof PLATFORM_EVENT_NAMES)[number]>().toEqualTypeOf<PlatformEventName>();
  });
});

describe('every platform event, as the parts really emit it, is plain JSON', () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  beforeEach(async () => {
    f = await servicesFixture();
  });
  afterEach(() => f.close());

  it('round-trips through JSON unchanged, named like a topic, a device without its secret hash', async () => {
    const seen = new Map<PlatformEventName, unknown[]>();
    for (const name of PLATFORM_EVENT_NAMES)
      f.events.on(name, (payload) => void seen.set(name, [...(seen.get(name) ?? []), payload]));

    // registry: device/changed, test-mode/changed, device/access-ended
    await f.home('h', ['fall', 'motion']);
    await f.registry.setHomeTestMode('h', f.clock.now() + 60_000);
    await f.registry.setHomeTestMode('h', null);
    await f.registry.rotateSecret('h-dev');
    // consent/changed
    await f.setConsent('h', 'emergency', 'alerts');
    await f.setConsent('h', 'emergency', 'history');
    // alert/changed
    const alert = await f.alerts.raise({
      homeId: 'h',
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: f.clock.now(),
      evidence: { readings: [], summary: 'Fall detected' },
    });
    await f.alerts.acknowledge(alert!.id, { id: 'u', role: 'staff' });
    // health/changed
    const health = new PlatformHealth(silentLogger(), f.metrics, f.events);
    let bad = true;
    health.addCheck('readings_not_stored', () => bad);
    health.evaluate();
    bad = false;
    health.evaluate();
    // reading/accepted, device/heard: the real ingest path onto a real InfluxDB
    const readings = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('events'),
      logger: silentLogger(),
    });
    await readings.ensureReady();
    const ingest = new Ingest({
      registry: f.registry,
      consent: f.consent,
      readings,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
    });
    ingest.start();
    ingest.handleMessage(
      topics.readings('h', 'h-dev'),
      Buffer.from(JSON.stringify({ kind: 'fall', value: true, ts: f.clock.now() + 3_600_000, seq: 1 })),
    );
    await ingest.stop();
    await readings.close();
    // session/ended
    const sessions = new SessionStore(f.store.sessions, f.clock, 60_000, 3_600_000, silentLogger(), f.events);
    const user = await f.store.users.create({
      id: 'u1',
      username: 'u1',
      displayName: 'U',
      role: 'staff',
      passwordHash: 'x',
      teamIds: [],
      homeId: null,
    });
    const { session } = await sessions.create(user.id);
    await sessions.destroy(session.id);
    // home/erased: emitted by the platform's erasure (platform/start.ts; test/cluster-owner.test.ts)
    f.events.emit('home/erased', { homeId: 'h', at: 1 });
    // device/status: emitted by the devices' edge (platform/device-edge.ts; test/cluster-owner.test.ts)
    f.events.emit('device/status', { deviceId: 'h-dev', online: false, receivedAt: f.clock.now() });
    // test-reading/requested, test-reading/done: a dashboard without ingest and a broker+ingest
    // process (platform/remote-test-reading.ts; test/split-technician.test.ts)
    const requestId = 'ab'.repeat(16);
    f.events.emit('test-reading/requested', {
      requestId,
      homeId: 'h',
      deviceId: 'h-dev',
      reading: { kind: 'fall', value: true, ts: f.clock.now(), seq: 1 },
    });
    f.events.emit('test-reading/done', { requestId, accepted: 0, rejected: ['no_consent'] });

    expect([...seen.keys()].sort()).toEqual([...PLATFORM_EVENT_NAMES].sort());
    for (const [name, payloads] of seen) {
      // a name that can become a topic: `part/what-happened`, no MQTT wildcards
      expect(name).toMatch(/^[a-z-]+\/[a-z-]+$/);
      for (const payload of payloads) expect(JSON.parse(JSON.stringify(payload))).toStrictEqual(payload);
    }
    const devices = seen.get('device/changed') as PlatformEvents['device/changed'][];
    expect(devices[0]).toMatchObject({ id: 'h-dev', homeId: 'h' });
    expect(devices.every((d) => !('secretHash' in d))).toBe(true);
    // the device's clock was an hour ahead: the reading on the bus carries both times, as plain numbers
    expect(seen.get('reading/accepted')).toEqual([
      expect.objectContaining({ deviceId: 'h-dev', kind: 'fall', deviceTs: f.clock.now() + 3_600_000 }),
    ]);
    expect(seen.get('health/changed')).toEqual([{ degraded: ['readings_not_stored'] }, { degraded: [] }]);
    expect(seen.get('session/ended')).toEqual([{ sessionId: session.id }]);
  });
});

describe('one broken part never silences the alarm', () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  beforeEach(async () => {
    f = await servicesFixture();
  });
  afterEach(() => f.close());

  it('a reading listener that throws, subscribed before the rules, does not keep a fall from the rules', async () => {
    await f.home('h', ['fall']);
    await f.setConsent('h', 'emergency', 'alerts');
    // first in line on the reading path, and broken
    f.events.on('reading/accepted', () => {
      throw new Error('a broken part');
    });
    const raised: string[] = [];
    const rules = new RuleEngine({
      registry: f.registry,
      consent: f.consent,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
      onCandidate: (c) => raised.push(c.rule),
    });
    rules.start();
    const readings = createInfluxV1Store({
      url: inject('influxUrl'),
      database: uniqueDatabase('events'),
      logger: silentLogger(),
    });
    const ingest = new Ingest({
      registry: f.registry,
      consent: f.consent,
      readings,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
    });
    try {
      const message = (seq: number) =>
        Buffer.from(JSON.stringify({ kind: 'fall', value: true, ts: f.clock.now(), seq }));
      expect(ingest.handleMessage(topics.readings('h', 'h-dev'), message(1)).accepted).toBe(1);
      expect(ingest.handleMessage(topics.readings('h', 'h-dev'), message(2)).accepted).toBe(1);
      // both readings reached the rules in the same call, past the broken listener
      expect(raised).toEqual(['fall', 'fall']);
      expect(
        await f.metrics.value('tryghed_event_listener_failures_total', { event: 'reading/accepted' }),
      ).toBe(2);
    } finally {
      rules.stop();
      await ingest.stop();
      await readings.close();
    }
  });
});

describe('the platform bus', () => {
  it('counts failures under the platform metrics', async () => {
    const metrics = new Metrics();
    const bus = createPlatformBus({ logger: silentLogger(), metrics });
    bus.on('test-mode/changed', () => {
      throw new Error('x');
    });
    bus.emit('test-mode/changed', { homeId: 'h' });
    expect(await metrics.value('tryghed_event_listener_failures_total', { event: 'test-mode/changed' })).toBe(
      1,
    );
  });
});
