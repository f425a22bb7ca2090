import { createConnection } from 'node:net';
import { type IClientOptions, MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceBroker, type DeviceMessage, startDeviceBroker } from '../broker/index.ts';
import { topics } from '../services/domain/index.ts';
import { createPlatformBus, type PlatformBus } from '../services/events/index.ts';
import { Registry } from '../services/registry/index.ts';
import { DeviceSecretHasher, Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { eventually, tempDir } from './harness/index.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

const reading = (seq: number) => JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq });
const SERVICE_SECRET = 'service-secret';

/**
 * Two device brokers sharing one real Redis, as two platform processes would: each has its own
 * registry (the in-process cache a process keeps) over one store, so what one process hears from
 * its registry the other hears only through the cluster.
 */
async function twoBrokers(redis: LocalRedis) {
  const dir = tempDir();
  const store: Store = await openStore({ sqlitePath: `${dir.path}/c.sqlite` });
  await store.teams.create({ id: 't', name: 'T' });
  // one server key, as every process of a deployment has (SECRET_KEY)
  const deviceSecrets = DeviceSecretHasher.ephemeral();
  const firstEvents = createPlatformBus({ logger: silentLogger() });
  const first = await Registry.load(store, { deviceSecrets, events: firstEvents });
  await first.createHome({ id: 'h1', label: 'H1', teamId: 't' });
  const secrets: Record<string, string> = {};
  for (const [id, role] of [
    ['s1', 'sensor'],
    ['g1', 'gateway'],
  ] as const) {
    secrets[id] = (await first.provisionDevice({ id, homeId: 'h1', role, kinds: ['motion'] })).secret;
  }
  const start = async (registry: Registry, events: PlatformBus) => {
    const metrics = new Metrics();
    const broker = await startDeviceBroker({
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 1024,
      registry,
      events,
      serviceAccounts: ['svc', 'svc2'].map((username) => ({
        username,
        secretHash: registry.hashServiceSecret(SERVICE_SECRET),
      })),
      logger: silentLogger(),
      metrics,
      redisUrl: redis.url,
    });
    const received: DeviceMessage[] = [];
    broker.onDeviceMessage((m) => received.push(m));
    return { broker, registry, metrics, received };
  };
  const a = await start(first, firstEvents);
  const secondEvents = createPlatformBus({ logger: silentLogger() });
  const b = await start(await Registry.load(store, { deviceSecrets, events: secondEvents }), secondEvents);
  return {
    a,
    b,
    secrets,
    async close() {
      await Promise.all([a.broker.close(), b.broker.close()]);
      await store.close();
      dir.remove();
    },
  };
}

describe('clustered broker: two brokers share routing, retained messages and sessions through Redis', () => {
  let redis: LocalRedis;
  let f: Awaited<ReturnType<typeof twoBrokers>> | undefined;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await f?.close();
    f = undefined;
    if (!(await redis.ping())) await redis.restart();
    await redis.flush();
  });

  /** a real mqtt.js client on one broker; nothing checked on the client side */
  const connect = (broker: DeviceBroker, options: IClientOptions): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port: broker.port }), {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...options,
      });
      client.once('connect', () => {
        clients.push(client);
        resolve(client);
      });
      client.once('error', (err) => {
        client.end(true);
        reject(err);
      });
      // closed by the broker before its CONNACK arrived (replaced at once by another connection)
      client.once('close', () => reject(new Error('closed before the broker accepted the connection')));
    });
  const device = (broker: DeviceBroker, id: string, extra: IClientOptions = {}) =>
    connect(broker, { clientId: id, username: id, password: f!.secrets[id], ...extra });
  /** an internal service's connection; one name is one connection, as for a device */
  const service = (broker: DeviceBroker, name = 'svc') =>
    connect(broker, { clientId: name, username: name, password: SERVICE_SECRET });
  const messagesOf = (client: MqttClient) => {
    const got: Array<{ topic: string; payload: string }> = [];
    client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    return got;
  };
  const closed = (client: MqttClient) => {
    const state = { closed: false };
    client.on('close', () => {
      state.closed = true;
    });
    return state;
  };

  it('a subscriber on A receives what a device publishes on B', async () => {
    f = await twoBrokers(redis);
    const listener = await service(f.a.broker);
    await listener.subscribeAsync(topics.readings('h1', '+'), { qos: 1 });
    const got = messagesOf(listener);
    const sensor = await device(f.b.broker, 's1');
    await sensor.publishAsync(topics.readings('h1', 's1'), reading(1), { qos: 1 });
    await eventually(() => got.length === 1, { what: 'the reading relayed from B to A' });
    expect(got[0]).toEqual({ topic: topics.readings('h1', 's1'), payload: reading(1) });
  });

  it('a retained message published through A is delivered to a gateway that connects to B', async () => {
    f = await twoBrokers(redis);
    await f.a.broker.publish(topics.config('h1'), '{"consent":"retained-via-A"}', { retain: true, qos: 1 });
    const gateway = await device(f.b.broker, 'g1');
    const got = messagesOf(gateway);
    await gateway.subscribeAsync(topics.config('h1'), { qos: 1 });
    await eventually(() => got.length === 1, { what: 'the retained config on B' });
    expect(got[0]!.payload).toBe('{"consent":"retained-via-A"}');
  });

  it('a persistent session made on A gets what was published while away when it comes back on B', async () => {
    f = await twoBrokers(redis);
    const first = await device(f.a.broker, 'g1', { clean: false });
    await first.subscribeAsync(topics.config('h1'), { qos: 1 });
    await first.endAsync();
    // not retained: only the session's queue can carry these
    await f.a.broker.publish(topics.config('h1'), '{"n":1}', { qos: 1 });
    await f.b.broker.publish(topics.config('h1'), '{"n":2}', { qos: 1 });
    const again = new MqttClient(() => createConnection({ host: '127.0.0.1', port: f!.b.broker.port }), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'g1',
      username: 'g1',
      password: f.secrets.g1,
      clean: false,
    });
    clients.push(again);
    const got = messagesOf(again);
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      again.once('connect', (connack) => resolve(connack.sessionPresent));
      again.once('error', reject);
    });
    expect(sessionPresent).toBe(true);
    await eventually(() => got.length === 2, { what: 'the queued messages on B' });
    expect(got.map((m) => m.payload).sort()).toEqual(['{"n":1}', '{"n":2}']);
  });

  it('a device that connects to B replaces its connection to A (same client id: aedes; empty client id: our notice)', async () => {
    f = await twoBrokers(redis);
    const onA = await device(f.a.broker, 's1');
    const onAClosed = closed(onA);
    await device(f.b.broker, 's1');
    await eventually(() => onAClosed.closed, { what: 'the connection to A closed' });

    // an empty client id gets a broker-made one, different on each broker: aedes cannot see it is
    // the same device, the device-connected notice does
    const emptyOnA = await device(f.a.broker, 's1', { clientId: '', clean: true });
    const emptyOnAClosed = closed(emptyOnA);
    const emptyOnB = await device(f.b.broker, 's1', { clientId: '', clean: true });
    const emptyOnBClosed = closed(emptyOnB);
    await eventually(() => emptyOnAClosed.closed, { what: 'the empty-id connection to A closed' });
    // the newest connection stays, and is the device's one connection
    await new Promise((r) => setTimeout(r, 200));
    expect(emptyOnBClosed.closed).toBe(false);
    await emptyOnB.publishAsync(topics.readings('h1', 's1'), reading(7), { qos: 1 });
    expect(f.b.received.map((m) => m.payload.toString())).toContain(reading(7));
  });

  it('one device connecting to A and B at the same moment keeps exactly one connection, never none', async () => {
    f = await twoBrokers(redis);
    for (let round = 0; round < 8; round++) {
      // both brokers accept before either hears of the other's: each notice arrives late
      const both = await Promise.all(
        [f.a.broker, f.b.broker].map((broker) =>
          device(broker, 's1', { clientId: '', clean: true }).then(
            (client) => ({ client, state: closed(client) }),
            () => null,
          ),
        ),
      );
      // time for both notices to cross through Redis and be acted on
      await new Promise((r) => setTimeout(r, 300));
      const open = both.filter((c) => c !== null && !c.state.closed);
      expect(open, `round ${round}`).toHaveLength(1);
      open[0]!.client.end(true);
      await eventually(() => open[0]!.state.closed, { what: 'the survivor closed' });
      // the next round starts with no connection of the device on either broker
      await eventually(() => f!.a.broker.connectedClients() + f!.b.broker.connectedClients() === 0, {
        what: 'no connection left',
      });
    }
  });

  it('a device that hangs up while its session is set up in Redis leaves no connection behind', async () => {
    f = await twoBrokers(redis);
    // Redis stalls: the broker accepts the password, then waits on Redis for the session
    await redis.pause(700);
    const leaving = new MqttClient(() => createConnection({ host: '127.0.0.1', port: f!.a.broker.port }), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: '',
      clean: true,
      username: 's1',
      password: f.secrets.s1,
    });
    const leavingClosed = closed(leaving);
    leaving.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 250));
    leaving.end(true);
    await eventually(() => leavingClosed.closed, { what: 'the device hung up' });
    // once Redis answers again the broker finishes setting up a connection that is gone: it must
    // not count it, keep it, or announce it
    await new Promise((r) => setTimeout(r, 700));
    await eventually(() => f!.a.broker.connectedClients() === 0, { what: 'no connection left on A' });
    // and the device's next connection is its one connection, on either broker
    const next = await device(f.b.broker, 's1', { clientId: '', clean: true });
    const nextClosed = closed(next);
    await new Promise((r) => setTimeout(r, 200));
    expect(nextClosed.closed).toBe(false);
    expect(f.a.broker.connectedClients() + f.b.broker.connectedClients()).toBe(1);
  });

  it("credentials ended on A's process close the device's connection to B", async () => {
    f = await twoBrokers(redis);
    const onB = await device(f.b.broker, 's1');
    const onBClosed = closed(onB);
    // the secret is rotated through A's process (its registry); B's registry hears nothing of it
    const newSecret = await f.a.registry.rotateSecret('s1');
    await eventually(() => onBClosed.closed, { what: "the device's connection to B closed" });
    expect(
      await f.b.metrics.value('tryghed_broker_closed_credentials_ended_total', { reason: 'secret_rotated' }),
    ).toBe(1);
    // and the old secret no longer opens B either; the new one does
    const withOld = await device(f.b.broker, 's1').then(
      () => 'connected',
      (err: { code?: number }) => err.code,
    );
    expect(withOld).toBe(4);
    await device(f.b.broker, 's1', { password: newSecret });
  });

  it("a device provisioned in A's process can connect to B at once; one removed there is refused by B", async () => {
    f = await twoBrokers(redis);
    const { secret } = await f.a.registry.provisionDevice({ id: 's9', homeId: 'h1', kinds: ['motion'] });
    const fresh = await eventually(
      () => connect(f!.b.broker, { clientId: 's9', username: 's9', password: secret }).catch(() => undefined),
      { what: 'the new device connected to B' },
    );
    const freshClosed = closed(fresh);
    await f.a.registry.removeDevice('s9');
    await eventually(() => freshClosed.closed, { what: 'the removed device closed on B' });
    expect(f.b.registry.device('s9')).toBeUndefined();
    const again = await connect(f.b.broker, { clientId: 's9', username: 's9', password: secret }).then(
      () => 'connected',
      (err: { code?: number }) => err.code,
    );
    expect(again).toBe(4);
  });

  it('a will the device may not publish is refused at CONNECT: another broker would publish it unchecked', async () => {
    f = await twoBrokers(redis);
    // a sensor's will aimed at its home's config (retained): what its gateway trusts as consent
    const refused = await device(f.a.broker, 's1', {
      will: {
        topic: topics.config('h1'),
        payload: Buffer.from('{"consent":"forged"}'),
        qos: 1,
        retain: true,
      },
    }).then(
      () => 'connected',
      (err: { code?: number }) => err.code,
    );
    expect(refused).toBe(5);
    expect(await f.a.metrics.value('tryghed_broker_refusals_total', { reason: 'will_denied' })).toBe(1);
    // its own status as a will is fine
    await device(f.a.broker, 's1', {
      will: {
        topic: topics.status('h1', 's1'),
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: true,
      },
    });
  });

  it('a reading is handed to ingest once, by the broker it was published to, never by the broker it is relayed to', async () => {
    f = await twoBrokers(redis);
    // a subscriber on B proves the reading did reach B
    const listenerOnB = await service(f.b.broker);
    await listenerOnB.subscribeAsync('tryghed/v1/homes/h1/devices/#', { qos: 1 });
    const relayed = messagesOf(listenerOnB);
    const sensor = await device(f.a.broker, 's1');
    await sensor.publishAsync(topics.readings('h1', 's1'), reading(1), { qos: 1 });
    await sensor.publishAsync(topics.status('h1', 's1'), '{"online":true}', { qos: 1 });
    await eventually(() => relayed.length === 2, { what: 'reading and status relayed to B' });
    await new Promise((r) => setTimeout(r, 200));
    expect(f.a.received.map((m) => m.type)).toEqual(['readings', 'status']);
    expect(f.b.received).toEqual([]);
  });

  it('when Redis dies, a connected device still gets its reading stored and acknowledged, and the broker says Redis is down', async () => {
    f = await twoBrokers(redis);
    const restored: string[] = [];
    f.a.broker.onSharedStateRestored(() => restored.push('a'));
    const sensor = await device(f.a.broker, 's1');
    const listenerOnA = await service(f.a.broker);
    await listenerOnA.subscribeAsync(topics.readings('h1', '+'), { qos: 1 });
    const local = messagesOf(listenerOnA);
    const listenerOnB = await service(f.b.broker, 'svc2');
    const relayed = messagesOf(listenerOnB);
    expect(f.a.broker.sharedStateUp()).toBe(true);

    await redis.kill();
    await eventually(() => !f!.a.broker.sharedStateUp() && !f!.b.broker.sharedStateUp(), {
      what: 'Redis seen down',
    });
    // subscribed during the outage: must hold once Redis is back
    await listenerOnB.subscribeAsync(topics.readings('h1', '+'), { qos: 1 });
    // PUBACK: publishAsync resolves only on it
    await sensor.publishAsync(topics.readings('h1', 's1'), reading(2), { qos: 1 });
    await sensor.publishAsync(topics.readings('h1', 's1'), reading(3), { qos: 1 });
    expect(f.a.received.map((m) => m.payload.toString())).toEqual([reading(2), reading(3)]);
    // this broker's own subscribers still hear it; only the other brokers miss it
    await eventually(() => local.length === 2, { what: 'local delivery without Redis' });
    expect(await f.a.metrics.value('tryghed_broker_cluster_relay_failed_total')).toBeGreaterThanOrEqual(2);
    expect(await f.a.metrics.value('tryghed_broker_cluster_redis_up')).toBe(0);
    // a new connection cannot get a session now: told so at once (CONNACK 3), not kept waiting
    const refused = await device(f.a.broker, 'g1').then(
      () => 'connected',
      (err: { code?: number }) => err.code,
    );
    expect(refused).toBe(3);
    expect(await f.a.metrics.value('tryghed_broker_refusals_total', { reason: 'shared_state_down' })).toBe(1);

    await redis.restart();
    await eventually(() => f!.a.broker.sharedStateUp() && f!.b.broker.sharedStateUp(), {
      timeoutMs: 10_000,
      what: 'Redis seen up again',
    });
    expect(restored).toEqual(['a']);
    // routing between brokers works again, for the subscription made during the outage too
    expect(relayed).toEqual([]);
    await eventually(
      async () => {
        await sensor.publishAsync(topics.readings('h1', 's1'), reading(4), { qos: 1 });
        return relayed.length > 0;
      },
      { intervalMs: 100, what: 'relayed again after Redis came back' },
    );
  });

  it('a broker closes (a shutdown, a restart) while Redis is down', async () => {
    f = await twoBrokers(redis);
    await device(f.a.broker, 'g1', {
      clean: false,
      will: {
        topic: topics.status('h1', 'g1'),
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: true,
      },
    });
    await redis.kill();
    await eventually(() => !f!.a.broker.sharedStateUp(), { what: 'Redis seen down' });
    const closing = f.close().then(() => 'closed');
    f = undefined;
    const outcome = await Promise.race([closing, new Promise((r) => setTimeout(() => r('hangs'), 5000))]);
    expect(outcome).toBe('closed');
  });
});

describe('clustered broker: start', () => {
  it('a Redis that does not answer stops start with a message naming REDIS_URL', async () => {
    const dir = tempDir();
    const store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
    try {
      const registry = await Registry.load(store);
      const { freePort } = await import('./harness/index.ts');
      const port = await freePort();
      const failed = await startDeviceBroker({
        host: '127.0.0.1',
        port: 0,
        maxPayloadBytes: 1024,
        registry,
        events: createPlatformBus({ logger: silentLogger() }),
        serviceAccounts: [],
        logger: silentLogger(),
        metrics: new Metrics(),
        redisUrl: `redis://:hunter2@127.0.0.1:${port}`,
      }).then(
        () => new Error('started'),
        (err: Error) => err,
      );
      expect(failed.message).toMatch(/REDIS_URL/);
      // the URL's password never goes into a message or a log
      expect(failed.message).not.toContain('hunter2');
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
