import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDeviceBroker } from '../broker/index.ts';
import { topics } from '../services/domain/index.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';
import { brokerFixture } from './harness/broker.ts';
import { eventually } from './harness/index.ts';

type Fixture = Awaited<ReturnType<typeof brokerFixture>>;
const reading = JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq: 1 });

describe('device broker: authentication, ACL and limits on a real aedes', () => {
  let f: Fixture;
  const clients: MqttClient[] = [];
  const connect = async (options: IClientOptions) => {
    const client = await mqtt.connectAsync(f.broker.url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const device = (id: string, extra: IClientOptions = {}) =>
    connect({ clientId: id, username: id, password: f.secrets[id], ...extra });
  /** true when the broker closed the connection */
  const closedAfter = (client: MqttClient, action: () => void) =>
    new Promise<boolean>((resolve) => {
      client.once('close', () => resolve(true));
      action();
      setTimeout(() => resolve(false), 1500);
    });

  beforeEach(async () => {
    f = await brokerFixture();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await f.close();
  });

  it('a device with its secret publishes its readings; the platform hears it, with home and device', async () => {
    const s1 = await device('s1');
    await s1.publishAsync(topics.readings('h1', 's1'), reading, { qos: 1 });
    await eventually(() => f.received.length === 1);
    expect(f.received[0]).toMatchObject({ type: 'readings', homeId: 'h1', deviceId: 's1', clientId: 's1' });
    expect(f.received[0]?.payload.toString()).toBe(reading);
    expect(f.broker.lastSeen('s1')).toBeGreaterThan(0);
    expect(f.broker.lastSeen('s2')).toBeUndefined();
  });

  it('refuses a wrong secret, an unknown device and no password, and counts them', async () => {
    await expect(connect({ clientId: 's1', username: 's1', password: 'wrong' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect({ clientId: 'nobody', username: 'nobody', password: 'x' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect({ clientId: 's1', username: 's1' })).rejects.toThrow(/Bad username or password/i);
    await expect(connect({ clientId: 'd' })).rejects.toThrow(/Bad username or password/i);
    expect(await f.refusals('bad_credentials')).toBe(4);
  });

  it('refuses client ids with MQTT wildcards', async () => {
    await expect(device('s1', { clientId: 'abc/#' })).rejects.toThrow(/Identifier rejected/i);
    await expect(device('s1', { clientId: 'a+b' })).rejects.toThrow(/Identifier rejected/i);
    expect(await f.refusals('bad_client_id')).toBe(2);
  });

  it('a sensor may not publish as another device, into another home, or retained readings', async () => {
    for (const topic of [
      topics.readings('h1', 's2'),
      topics.readings('h2', 'x1'),
      'tryghed/v1/other',
      'random',
    ]) {
      const s1 = await device('s1');
      expect(await closedAfter(s1, () => s1.publish(topic, reading, { qos: 1 })), topic).toBe(true);
    }
    const s1 = await device('s1');
    expect(
      await closedAfter(s1, () => s1.publish(topics.readings('h1', 's1'), reading, { qos: 1, retain: true })),
    ).toBe(true);
    expect(await f.refusals('publish_denied')).toBe(4);
    expect(await f.refusals('retained_reading')).toBe(1);
    expect(f.received).toEqual([]);
  });

  it('a gateway publishes for devices of its own home only', async () => {
    const g1 = await device('g1');
    await g1.publishAsync(topics.readings('h1', 's2'), reading, { qos: 1 });
    await eventually(() => f.received.length === 1);
    expect(f.received[0]).toMatchObject({ homeId: 'h1', deviceId: 's2' });
    expect(await closedAfter(g1, () => g1.publish(topics.readings('h2', 'x1'), reading, { qos: 1 }))).toBe(
      true,
    );
    const again = await device('g1');
    expect(
      await closedAfter(again, () => again.publish(topics.readings('h1', 'ghost'), reading, { qos: 1 })),
    ).toBe(true);
    expect(await f.refusals('publish_denied')).toBe(2);
  });

  it("devices subscribe only to their own home's config, and receive it retained", async () => {
    await f.broker.publish(topics.config('h1'), '{"consent":1}', { retain: true });
    await f.broker.publish(topics.config('h2'), '{"consent":2}', { retain: true });
    const s1 = await device('s1');
    const got: string[] = [];
    s1.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    const granted = await s1.subscribeAsync(topics.config('h1'), { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    for (const filter of [topics.config('h2'), 'tryghed/v1/#', '#', topics.readings('h1', 's2')]) {
      // SUBACK 0x80 (failure); mqtt.js turns it into a rejection, and the connection stays up
      await expect(s1.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    await eventually(() => got.length === 1);
    expect(got).toEqual([`${topics.config('h1')} {"consent":1}`]);
    expect(await f.refusals('subscribe_denied')).toBe(4);
  });

  it('refuses payloads over the limit', async () => {
    const s1 = await device('s1');
    expect(
      await closedAfter(s1, () => s1.publish(topics.readings('h1', 's1'), 'x'.repeat(2000), { qos: 1 })),
    ).toBe(true);
    expect(await f.refusals('payload_too_large')).toBe(1);
    expect(f.received).toEqual([]);
  });

  it('accepts and completes a QoS 2 publish (PUBREC, PUBREL, PUBCOMP), delivered once', async () => {
    const s1 = await device('s1');
    const closed = new Promise<'closed'>((r) => s1.once('close', () => r('closed')));
    const done = await Promise.race([
      s1.publishAsync(topics.readings('h1', 's1'), reading, { qos: 2 }).then(() => 'completed'),
      closed,
    ]);
    expect(done).toBe('completed');
    await eventually(() => f.received.length === 1);
    expect(f.received[0]).toMatchObject({ type: 'readings', deviceId: 's1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(f.received).toHaveLength(1);
    expect(s1.connected).toBe(true);
  });

  /** a service account watching every topic, and s1's will ("offline" on its status topic) */
  const watchWills = async () => {
    const watcher = await connect({
      clientId: 'svc-ingest',
      username: 'svc-ingest',
      password: 'service-secret',
    });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('tryghed/v1/#', { qos: 1 });
    const will = {
      topic: topics.status('h1', 's1'),
      payload: Buffer.from('{"online":false}'),
      qos: 1 as const,
      retain: false,
    };
    return { seen, will };
  };

  it("an unauthenticated client's will is never published; an authenticated device's will is", async () => {
    const { seen, will } = await watchWills();
    await expect(connect({ clientId: 's1', username: 's1', password: 'wrong', will })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([]);
    // the same will from the real device, dying without DISCONNECT, is delivered
    const s1 = await device('s1', { will, keepalive: 60 });
    (s1 as unknown as { stream: { destroy(): void } }).stream.destroy();
    await eventually(() => seen.includes(topics.status('h1', 's1')), { what: 'the will' });
    expect(f.received.some((m) => m.type === 'status' && m.deviceId === 's1')).toBe(true);
  });

  it("a connected device's will stays unpublished while it is connected: the broker's own heartbeat still counts", async () => {
    // aedes publishes the wills of brokers it has not heard beat for three beats, every four beats;
    // its own beat is a `$SYS` message through the publish pipeline that the broker trims for
    // readings: trimming `$SYS` there too would report every connected device's will as if it died
    await f.close();
    f = await brokerFixture({ heartbeatIntervalMs: 50 });
    const { seen, will } = await watchWills();
    const s1 = await device('s1', { will, keepalive: 60 });
    // five rounds of aedes' will check (every 200 ms here)
    await new Promise((r) => setTimeout(r, 1000));
    expect(seen).toEqual([]);
    expect(f.received.filter((m) => m.type === 'status')).toEqual([]);
    // and the will still goes out when the device really dies
    (s1 as unknown as { stream: { destroy(): void } }).stream.destroy();
    await eventually(() => seen.includes(topics.status('h1', 's1')), { what: 'the will' });
  });

  it('a bad client closes only its own socket; others carry on', async () => {
    const s2 = await device('s2');
    const raw = await new Promise<Socket>((resolve) => {
      const socket = new Socket();
      socket.connect(f.broker.port, '127.0.0.1', () => resolve(socket));
    });
    raw.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00])); // a malformed CONNECT
    await new Promise((r) => raw.once('close', r));
    await s2.publishAsync(topics.readings('h1', 's2'), reading, { qos: 1 });
    await eventually(() => f.received.length === 1);
    expect(await f.metrics.value('tryghed_broker_client_errors_total')).toBeGreaterThan(0);
  });

  it('listens with a backlog for a reconnect storm (4096, or what the kernel allows), not 511', async () => {
    const out = execFileSync('ss', ['-Hltn', `sport = :${f.broker.port}`], { encoding: 'utf8' });
    const backlog = Number(out.trim().split(/\s+/)[2]);
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(backlog).toBe(Math.min(4096, somaxconn));
    if (somaxconn > 511) expect(backlog).toBeGreaterThan(511); // Node's default
  });

  it('says which setting to change when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(
        startDeviceBroker({
          host: '127.0.0.1',
          port,
          maxPayloadBytes: 10,
          registry: f.registry,
          events: f.events,
          serviceAccounts: [],
          logger: silentLogger(),
          metrics: new Metrics(),
        }),
      ).rejects.toThrow(/MQTT_PORT/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
