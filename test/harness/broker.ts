import mqtt, { type MqttClient } from 'mqtt';
import {
  type AuthThrottleOptions,
  type DeviceBroker,
  type DeviceMessage,
  startDeviceBroker,
} from '../../broker/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { type Clock, type Logger, Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore, type Store } from '../../services/store/index.ts';
import { tempDir } from './index.ts';

/**
 * A real device broker on a free port over a temp SQLite store with two homes. Wrong secrets are
 * answered after 10 ms (doubling to at most 40 ms) unless `authThrottle` says otherwise.
 */
export async function brokerFixture(
  options: {
    maxPayloadBytes?: number;
    authThrottle?: Partial<AuthThrottleOptions>;
    clock?: Clock;
    logger?: Logger;
    heartbeatIntervalMs?: number;
  } = {},
) {
  const dir = tempDir();
  const store: Store = await openStore({ sqlitePath: `${dir.path}/b.sqlite` });
  await store.teams.create({ id: 't', name: 'T' });
  const metrics = new Metrics();
  // the registry says on the bus when a device's credentials end; the broker closes its connection
  const events = createPlatformBus({ logger: silentLogger(), metrics });
  const registry = await Registry.load(store, { events });
  await registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
  await registry.createHome({ id: 'h2', label: 'H2', teamId: 't' });
  const secrets: Record<string, string> = {};
  for (const [id, homeId, role] of [
    ['s1', 'h1', 'sensor'],
    ['s2', 'h1', 'sensor'],
    ['g1', 'h1', 'gateway'],
    ['x1', 'h2', 'sensor'],
  ] as const) {
    secrets[id] = (await registry.provisionDevice({ id, homeId, role, kinds: ['motion'] })).secret;
  }
  const broker: DeviceBroker = await startDeviceBroker({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: options.maxPayloadBytes ?? 1024,
    registry,
    events,
    serviceAccounts: [{ username: 'svc-ingest', secretHash: registry.hashServiceSecret('service-secret') }],
    logger: options.logger ?? silentLogger(),
    metrics,
    authThrottle: { firstDelayMs: 10, maxDelayMs: 40, ...options.authThrottle },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
  });
  const received: DeviceMessage[] = [];
  broker.onDeviceMessage((m) => received.push(m));
  return {
    broker,
    registry,
    events,
    store,
    metrics,
    secrets,
    received,
    refusals: (reason: string) => metrics.value('tryghed_broker_refusals_total', { reason }),
    async close() {
      await broker.close();
      await store.close();
      dir.remove();
    },
  };
}

/**
 * A temp SQLite store with team `t`, a registry and its bus, and the homes named (`h1` by default),
 * for tests that start their own broker (`bareBroker`); `cleanup` gets what closes them.
 */
export async function registryFixture(cleanup: Array<() => unknown>, homes: string[] = ['h1']) {
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
  cleanup.push(() => store.close());
  await store.teams.create({ id: 't', name: 'T' });
  const metrics = new Metrics();
  const events = createPlatformBus({ logger: silentLogger(), metrics });
  const registry = await Registry.load(store, { events });
  for (const id of homes) await registry.createHome({ id, label: id.toUpperCase(), teamId: 't' });
  return { store, metrics, events, registry };
}

/** A real device broker on a free port for `registryFixture`'s registry, without service accounts. */
export async function bareBroker(
  f: Awaited<ReturnType<typeof registryFixture>>,
  cleanup: Array<() => unknown>,
  options: Partial<Parameters<typeof startDeviceBroker>[0]> = {},
): Promise<DeviceBroker> {
  const broker = await startDeviceBroker({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 1024,
    registry: f.registry,
    events: f.events,
    serviceAccounts: [],
    logger: silentLogger(),
    metrics: f.metrics,
    ...options,
  });
  cleanup.push(() => broker.close());
  return broker;
}

/**
 * Connects every provisioned device to the broker with its own secret, one after another, as real
 * mqtt.js clients; by device id, in provisioning order. `cleanup` gets what ends them.
 */
export async function connectDevices(
  url: string,
  provisioned: ReadonlyArray<{ device: { id: string }; secret: string }>,
  cleanup: Array<() => unknown>,
): Promise<Map<string, MqttClient>> {
  const clients = new Map<string, MqttClient>();
  cleanup.push(() => Promise.all([...clients.values()].map((c) => c.endAsync(true))));
  for (const { device, secret } of provisioned)
    clients.set(
      device.id,
      await mqtt.connectAsync(url, {
        clientId: device.id,
        username: device.id,
        password: secret,
        reconnectPeriod: 0,
      }),
    );
  return clients;
}
