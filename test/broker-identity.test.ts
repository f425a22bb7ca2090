import { createConnection } from 'node:net';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startDeviceBroker } from '../broker/index.ts';
import { topics } from '../services/domain/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { Registry } from '../services/registry/index.ts';
import {
  DeviceSecretHasher,
  hashSecret,
  ManualClock,
  Metrics,
  silentLogger,
} from '../services/runtime/index.ts';
import { openStore } from '../services/store/index.ts';
import { brokerFixture } from './harness/broker.ts';
import { eventually, tempDir } from './harness/index.ts';

type Fixture = Awaited<ReturnType<typeof brokerFixture>>;

/** An MQTT 3.1.1 CONNECT written byte by byte; resolves with the CONNACK code and whether the broker closed. */
function rawConnect(
  port: number,
  o: { clientId: string; clean: boolean; username: string; password: string },
): Promise<{ returnCode: number | null; closed: boolean }> {
  const str = (v: string) => {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x80 | 0x40 | (o.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    str(o.clientId),
    str(o.username),
    str(o.password),
  ]);
  if (body.length > 127) throw new Error('a one-byte remaining length only');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    });
    let returnCode: number | null = null;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ returnCode, closed: false });
    }, 2000);
    socket.on('data', (b: Buffer) => {
      if (b[0] === 0x20 && b.length >= 4) returnCode = b[3] ?? null;
      if (returnCode === 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ returnCode, closed: false });
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ returnCode, closed: true });
    });
    socket.on('error', reject);
  });
}
const reading = (seq: number) => JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq });

describe('device broker: a device owns its connection, and its credentials end when they should', () => {
  let f: Fixture | undefined;
  const clients: MqttClient[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    for (const c of cleanups.splice(0).reverse()) await c();
    await f?.close();
    f = undefined;
  });

  /**
   * A real mqtt.js client from a chosen local address (127.0.0.x are all this machine), built on
   * MqttClient directly so nothing is checked on the client side (an empty id with a session).
   */
  const connectFrom = (
    localAddress: string,
    options: IClientOptions,
  ): Promise<{ client: MqttClient; sessionPresent: boolean }> =>
    new Promise((resolve, reject) => {
      const port = f!.broker.port;
      const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...options,
      });
      client.once('connect', (connack) => {
        clients.push(client);
        resolve({ client, sessionPresent: connack.sessionPresent });
      });
      client.once('error', (err) => {
        client.end(true);
        reject(err);
      });
    });
  const connect = (options: IClientOptions) => connectFrom('127.0.0.1', options).then((c) => c.client);
  const device = (id: string, extra: IClientOptions = {}) =>
    connect({ clientId: id, username: id, password: f!.secrets[id], ...extra });
  /** the CONNACK return code of a refused connection */
  const refusedWith = (promise: Promise<unknown>) =>
    promise.then(
      () => 'connected',
      (err: { code?: number }) => err.code,
    );
  const closes = (client: MqttClient) => {
    const state = { count: 0, at: 0 };
    client.on('close', () => {
      state.count++;
      state.at ||= Date.now();
    });
    return state;
  };

  it("another home's device cannot take a victim's client id: refused, the victim stays connected and keeps its session", async () => {
    f = await brokerFixture();
    const victim = await device('s1', { clean: false });
    await victim.subscribeAsync(topics.config('h1'), { qos: 1 });
    const victimCloses = closes(victim);
    // the attacker: a valid device of home h2, trying the victim's client id again and again
    const attempts: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      attempts.push(
        await refusedWith(
          connectFrom('127.0.0.1', { clientId: 's1', username: 'x1', password: f.secrets.x1, clean: false }),
        ),
      );
    }
    expect(attempts).toEqual(Array(10).fill(2)); // 0x02 identifier rejected
    expect(victimCloses.count).toBe(0);
    await victim.publishAsync(topics.readings('h1', 's1'), reading(1), { qos: 1 });
    await eventually(() => f!.received.length === 1);
    expect(await f.refusals('client_id_not_own')).toBe(10);
    // the attacker with its own client id is fine, and gets no session of the victim's
    const own = await connectFrom('127.0.0.1', {
      clientId: 'x1',
      username: 'x1',
      password: f.secrets.x1,
      clean: false,
    });
    expect(own.sessionPresent).toBe(false);
    expect(victimCloses.count).toBe(0);
  });

  it('a second connection of the same device replaces the first, also when it gave an empty client id', async () => {
    f = await brokerFixture();
    const first = await device('s1');
    const firstCloses = closes(first);
    const second = await device('s1');
    await eventually(() => firstCloses.count > 0, { what: 'the first connection to close' });
    const secondCloses = closes(second);
    // an empty client id with a clean session is allowed (MQTT 3.1.1), and still the device's one connection
    const third = await connect({ clientId: '', username: 's1', password: f.secrets.s1, clean: true });
    await eventually(() => secondCloses.count > 0, { what: 'the second connection to close' });
    await third.publishAsync(topics.readings('h1', 's1'), reading(1), { qos: 1 });
    await eventually(() => f!.received.length === 1);
    expect(f.received[0]).toMatchObject({ deviceId: 's1', homeId: 'h1' });
    expect(f.broker.connectedClients()).toBe(1);
  });

  it('an empty client id with clean session 0 gets CONNACK 0x02', async () => {
    f = await brokerFixture();
    // mqtt.js (and mqtt-packet) will not even send this CONNECT, so it is written by hand
    expect(
      await rawConnect(f.broker.port, {
        clientId: '',
        clean: false,
        username: 's1',
        password: f.secrets.s1!,
      }),
    ).toEqual({
      returnCode: 2,
      closed: true,
    });
    expect(await f.refusals('bad_client_id')).toBe(1);
    // the same with a clean session is accepted
    expect(
      await rawConnect(f.broker.port, { clientId: '', clean: true, username: 's1', password: f.secrets.s1! }),
    ).toMatchObject({
      returnCode: 0,
    });
  });

  it("rotating a device's secret closes its open connection at once; the old secret is refused, the new one works", async () => {
    f = await brokerFixture();
    const s1 = await device('s1');
    const s1Closes = closes(s1);
    const other = await device('s2');
    const otherCloses = closes(other);
    const old = f.secrets.s1!;
    const before = Date.now();
    const secret = await f.registry.rotateSecret('s1');
    await eventually(() => s1Closes.count > 0, { what: 's1 to be closed', timeoutMs: 1000 });
    expect(s1Closes.at - before).toBeLessThan(1000);
    expect(await refusedWith(connect({ clientId: 's1', username: 's1', password: old }))).toBe(4);
    const again = await connect({ clientId: 's1', username: 's1', password: secret });
    expect(again.connected).toBe(true);
    expect(otherCloses.count).toBe(0);
    expect(
      await f.metrics.value('tryghed_broker_closed_credentials_ended_total', { reason: 'secret_rotated' }),
    ).toBe(1);
  });

  it('removing a device closes its connection at once, and it cannot come back', async () => {
    f = await brokerFixture();
    const s2 = await device('s2');
    const s2Closes = closes(s2);
    // its will would say "offline" for a device that no longer exists: it is not published
    await f.registry.removeDevice('s2');
    await eventually(() => s2Closes.count > 0, { what: 's2 to be closed', timeoutMs: 1000 });
    expect(await refusedWith(device('s2'))).toBe(4);
    // a gateway of the home can no longer publish for it either
    const g1 = await device('g1');
    const g1Closes = closes(g1);
    g1.publish(topics.readings('h1', 's2'), reading(1), { qos: 1 });
    await eventually(() => g1Closes.count > 0, { what: 'the gateway to be refused' });
    expect(f.received).toEqual([]);
  });

  it('moving a device to another home closes its connection; it reconnects and speaks for the new home only', async () => {
    f = await brokerFixture();
    const x1 = await device('x1', {
      will: {
        topic: topics.status('h2', 'x1'),
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: false,
      },
    });
    const x1Closes = closes(x1);
    await f.registry.moveDevice('x1', 'h1');
    await eventually(() => x1Closes.count > 0, { what: 'x1 to be closed', timeoutMs: 1000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(f.received.filter((m) => m.homeId === 'h2')).toEqual([]); // no will for the old home
    const moved = await device('x1');
    await moved.publishAsync(topics.readings('h1', 'x1'), reading(1), { qos: 1 });
    await eventually(() => f!.received.length === 1);
    expect(f.received[0]).toMatchObject({ homeId: 'h1', deviceId: 'x1' });
    const movedCloses = closes(moved);
    moved.publish(topics.readings('h2', 'x1'), reading(2), { qos: 1 });
    await eventually(() => movedCloses.count > 0, { what: 'the old home refused' });
    expect(f.received).toHaveLength(1);
  });

  it('wrong secrets are answered later and later, then refused for a while per (id, address); another address still gets in', async () => {
    const clock = new ManualClock();
    f = await brokerFixture({
      clock,
      authThrottle: { pairLimit: 3, idLimit: 100, lockMs: 60_000, firstDelayMs: 100, maxDelayMs: 400 },
    });
    const wrong = { clientId: 's1', username: 's1', password: 'wrong' };
    const elapsed: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      expect(await refusedWith(connectFrom('127.0.0.1', wrong))).toBe(4);
      elapsed.push(performance.now() - t);
    }
    // held back 100, 200, 400 ms: a lower bound, which a busy machine cannot break
    expect(elapsed[0]).toBeGreaterThanOrEqual(95);
    expect(elapsed[2]).toBeGreaterThanOrEqual(395);
    const right = { clientId: 's1', username: 's1', password: f.secrets.s1 };
    // now refused from that address, even with the right secret, and answered at once
    expect(await refusedWith(connectFrom('127.0.0.1', right))).toBe(5);
    expect(await f.refusals('locked_out')).toBe(1);
    // the real device elsewhere is not locked out by someone guessing from 127.0.0.1
    const elsewhere = await connectFrom('127.0.0.2', right);
    expect(elsewhere.client.connected).toBe(true);
    // for a while: after lockMs the address may try again
    clock.advance(60_001);
    const back = await connectFrom('127.0.0.1', right);
    expect(back.client.connected).toBe(true);
  });

  it('a device locked out for a lost secret gets in at once with the new secret a technician gives it', async () => {
    f = await brokerFixture({ authThrottle: { pairLimit: 3, firstDelayMs: 1, maxDelayMs: 1 } });
    for (let i = 0; i < 3; i++)
      expect(await refusedWith(connect({ clientId: 's1', username: 's1', password: 'lost' }))).toBe(4);
    expect(await refusedWith(device('s1'))).toBe(5);
    // another device's lock is not lifted by it
    for (let i = 0; i < 3; i++)
      expect(await refusedWith(connect({ clientId: 's2', username: 's2', password: 'lost' }))).toBe(4);
    const secret = await f.registry.rotateSecret('s1');
    const back = await connect({ clientId: 's1', username: 's1', password: secret });
    expect(back.connected).toBe(true);
    expect(await refusedWith(device('s2'))).toBe(5);
  });

  it('many wrong secrets for one id lock it for the addresses that failed, not for a fresh one; an unknown id is answered alike', async () => {
    const clock = new ManualClock();
    f = await brokerFixture({
      clock,
      authThrottle: { pairLimit: 3, idLimit: 5, lockMs: 60_000, firstDelayMs: 1, maxDelayMs: 1 },
    });
    const answers = async (id: string, password: string) => {
      const out: unknown[] = [];
      for (const n of [3, 4, 5, 6, 7])
        out.push(
          await refusedWith(connectFrom(`127.0.0.${n}`, { clientId: id, username: id, password: 'x' })),
        );
      // 127.0.0.3 failed once (below the pair limit), but the id is now under attack
      out.push(await refusedWith(connectFrom('127.0.0.3', { clientId: id, username: id, password })));
      return out;
    };
    const known = await answers('s2', f.secrets.s2!);
    const unknown = await answers('ghost', 'whatever');
    expect(known).toEqual([4, 4, 4, 4, 4, 5]);
    expect(unknown).toEqual(known);
    const fresh = await connectFrom('127.0.0.8', { clientId: 's2', username: 's2', password: f.secrets.s2 });
    expect(fresh.client.connected).toBe(true);
  });

  it('refusals write one log line each, not two', async () => {
    const lines: Array<{ msg: string; reason?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    f = await brokerFixture({ logger });
    const count = () =>
      lines.filter((l) => /refused|closed on error/.test(l.msg) && !/listening/.test(l.msg)).length;
    await refusedWith(connect({ clientId: 's1', username: 's1', password: 'wrong' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(count()).toBe(1);
    const s1 = await device('s1');
    const s1Closes = closes(s1);
    s1.publish(topics.readings('h2', 'x1'), reading(1), { qos: 1 });
    await eventually(() => s1Closes.count > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(count()).toBe(2);
    expect(lines.filter((l) => l.msg === 'broker refused').map((l) => l.reason)).toEqual([
      'bad_credentials',
      'publish_denied',
    ]);
  });

  /**
   * A broker over a store of its own, with device `id` whose secret is stored the old way (scrypt),
   * as an earlier version stored it.
   */
  const withOldStyleSecret = async (id: string, secret: string) => {
    const dir = tempDir();
    const store = await openStore({ sqlitePath: `${dir.path}/${id}.sqlite` });
    cleanups.push(async () => {
      await store.close();
      dir.remove();
    });
    const deviceSecrets = DeviceSecretHasher.ephemeral();
    await store.teams.create({ id: 't', name: 'T' });
    const setup = await Registry.load(store, { deviceSecrets });
    await setup.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    await setup.provisionDevice({ id, homeId: 'h1', kinds: ['motion'] });
    const storeOldStyle = async () => store.devices.setSecretHash(id, await hashSecret(secret, 'device'));
    await storeOldStyle();
    const events = createPlatformBus({ logger: silentLogger() });
    const registry = await Registry.load(store, { deviceSecrets, events });
    const metrics = new Metrics();
    const broker = await startDeviceBroker({
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 1024,
      registry,
      events,
      serviceAccounts: [],
      logger: silentLogger(),
      metrics,
    });
    cleanups.push(() => broker.close());
    return { store, registry, broker, metrics, storeOldStyle };
  };

  it('a device secret stored the old way (scrypt) still works, and is stored as a keyed hash after its next connect', async () => {
    const { store, broker, metrics } = await withOldStyleSecret('old', 'the-old-secret');
    const login = (password: string) =>
      mqtt.connectAsync(broker.url, { clientId: 'old', username: 'old', password, reconnectPeriod: 0 });
    const first = await login('the-old-secret');
    await first.endAsync();
    expect((await store.devices.get('old'))?.secretHash).toMatch(/^hmac-sha256\$/);
    expect(await metrics.value('tryghed_broker_secret_hash_upgrades_total')).toBe(1);
    const second = await login('the-old-secret');
    await second.endAsync();
    await expect(login('not-it')).rejects.toThrow(/Bad username or password/i);
    expect(await metrics.value('tryghed_broker_secret_hash_upgrades_total')).toBe(1);
  });

  it("a connection that hangs up while its secret is checked does not replace the device's live one", async () => {
    const secret = 'the-secret-of-d1';
    const { store, registry, broker, storeOldStyle } = await withOldStyleSecret('d1', secret);
    // an empty client id: the device's one connection is kept by the platform, not by aedes
    const live = await mqtt.connectAsync(broker.url, {
      clientId: '',
      clean: true,
      username: 'd1',
      password: secret,
      reconnectPeriod: 0,
    });
    cleanups.push(() => live.endAsync(true));
    let liveClosed = false;
    live.on('close', () => {
      liveClosed = true;
    });
    // stored the old way again (the live connection upgraded it): checking it takes scrypt's while
    await storeOldStyle();
    await registry.reloadDevice('d1');
    // a second connection's CONNECT, and the socket gone before its secret is checked
    const str = (v: string) => {
      const b = Buffer.from(v, 'utf8');
      return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    };
    const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(''), str('d1'), str(secret)]);
    await new Promise<void>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: broker.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]), () => {
          socket.destroy();
          resolve();
        });
      });
    });
    // the check ends with the secret right: the hash is a keyed one again, so the check ran
    await eventually(
      async () => (await store.devices.get('d1'))?.secretHash.startsWith('hmac-sha256$') === true,
      { what: "the abandoned connection's secret checked" },
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(liveClosed).toBe(false);
    expect(broker.connectedClients()).toBe(1);
  });
});
