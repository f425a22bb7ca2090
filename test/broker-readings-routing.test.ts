import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { topics } from '../services/domain/index.ts';
import { bareBroker, registryFixture } from './harness/broker.ts';
import { cleanupAfterEach, eventually } from './harness/index.ts';

/**
 * A reading reaches ingest before its PUBACK; aedes' publish pipeline after it only routes it to
 * MQTT subscribers, which only service accounts can be. Without service accounts it is skipped.
 */
describe("device readings and aedes' routing", () => {
  const cleanup = cleanupAfterEach();

  async function broker(serviceAccounts: boolean) {
    const f = await registryFixture(cleanup);
    const { registry, metrics } = f;
    const { secret } = await registry.provisionDevice({ id: 's1', homeId: 'h1', kinds: ['motion'] });
    const b = await bareBroker(f, cleanup, {
      serviceAccounts: serviceAccounts
        ? [{ username: 'svc', secretHash: registry.hashServiceSecret('service-secret') }]
        : [],
    });
    const heard: string[] = [];
    // durable at once, as ingest says for a reading it need not keep
    b.onDeviceMessage((m) => {
      heard.push(m.payload.toString());
      return Promise.resolve(true);
    });
    const connect = async (username: string, password: string) => {
      const c: MqttClient = await mqtt.connectAsync(b.url, {
        clientId: username,
        username,
        password,
        reconnectPeriod: 0,
      });
      cleanup.push(() => c.endAsync(true));
      return c;
    };
    return {
      b,
      metrics,
      heard,
      device: () => connect('s1', secret),
      service: () => connect('svc', 'service-secret'),
    };
  }

  const reading = (seq: number) => JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq });

  it('without service accounts, readings are handed on and acknowledged in order but never routed', async () => {
    const f = await broker(false);
    const s1 = await f.device();
    const n = 50;
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s1
          .publishAsync(topics.readings('h1', 's1'), reading(i + 1), { qos: 1 })
          .then(() => acked.push(i + 1)),
      ),
    );
    expect(acked).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(f.heard).toEqual(acked.map(reading));
    // status messages still go through the broker as before (handed on from `published`)
    await s1.publishAsync(topics.status('h1', 's1'), '{"online":true}', { qos: 1 });
    await eventually(() => f.heard.length === n + 1, { what: 'the status message' });
    expect(await f.metrics.value('tryghed_broker_messages_total', { type: 'readings' })).toBe(n);
    expect(await f.metrics.value('tryghed_broker_readings_routed_total')).toBe(0);
  });

  it('with a service account, readings are routed to its subscription as before', async () => {
    const f = await broker(true);
    const svc = await f.service();
    const seen: string[] = [];
    svc.on('message', (_topic, payload) => seen.push(payload.toString()));
    await svc.subscribeAsync('tryghed/v1/#', { qos: 1 });
    const s1 = await f.device();
    for (let i = 1; i <= 5; i++) await s1.publishAsync(topics.readings('h1', 's1'), reading(i), { qos: 1 });
    await eventually(() => seen.length === 5, { what: 'the readings at the service account' });
    expect(seen).toEqual([1, 2, 3, 4, 5].map(reading));
    expect(await f.metrics.value('tryghed_broker_readings_routed_total')).toBe(5);
  });
});
