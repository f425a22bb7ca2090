/**
 * A broker in a process of its own, for what a connection costs in memory: the platform's device
 * broker (its registry, secret checks, read gate and connection tracking, as `startPlatform` runs
 * it) or bare aedes. In the bench's own process both sides would share one heap, and a side's
 * figure would include what the other side's last round left for the collector (bare aedes came
 * out near zero, or below it). Driven over IPC (`BenchChild`); the devices are the fleet's.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { type DeviceBroker, startDeviceBroker } from '../../broker/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore, type Store } from '../../services/store/index.ts';
import { tempDir } from '../harness/index.ts';
import { BenchChild, serveCommands } from './child.ts';
import type { FleetDevice } from './fleet-client.ts';

export type BrokerHostCommand =
  | { id: number; cmd: 'start'; side: 'platform' | 'bare'; devices: number }
  | { id: number; cmd: 'memory' }
  | { id: number; cmd: 'exit' };

export interface HostStarted {
  url: string;
  /** the platform's provisioned devices, with their secrets (none for bare aedes) */
  devices: FleetDevice[];
}

/** live memory after two full GCs, and the resident set, in bytes */
export interface HostMemory {
  heapAndBuffers: number;
  rss: number;
  /** the V8 heap's committed size (live or not) */
  heapTotal: number;
}

export type BrokerHost = BenchChild<BrokerHostCommand>;

export const startBrokerHost = (): Promise<BrokerHost> =>
  BenchChild.start<BrokerHostCommand>(new URL('./broker-host.ts', import.meta.url), 'broker host', [
    '--expose-gc',
  ]);

/** what `start` opened, closed in reverse order (the last opened first) */
const closers: Array<() => Promise<unknown> | unknown> = [];

async function start(c: Extract<BrokerHostCommand, { cmd: 'start' }>): Promise<HostStarted> {
  if (c.side === 'bare') {
    const aedes = await Aedes.createBroker();
    const server: Server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () => new Promise<void>((r) => aedes.close(() => r())),
      () => new Promise((r) => server.close(r)),
    );
    const { port } = server.address() as { port: number };
    const devices = Array.from({ length: c.devices }, (_, i) => ({ id: `mem-d${i}`, homeId: 'mem-h' }));
    return { url: `mqtt://127.0.0.1:${port}`, devices };
  }
  const dir = tempDir('tryghed-bench-host-');
  closers.push(() => dir.remove());
  const store: Store = await openStore({ sqlitePath: `${dir.path}/host.sqlite` });
  closers.push(() => store.close());
  await store.teams.create({ id: 't', name: 'T' });
  const metrics = new Metrics();
  const events = createPlatformBus({ logger: silentLogger(), metrics });
  const registry = await Registry.load(store, { events });
  await registry.createHome({ id: 'mem-h', label: 'Bench', teamId: 't' });
  const provisioned = await registry.provisionDevices(
    Array.from({ length: c.devices }, (_, i) => ({
      id: `mem-d${i}`,
      homeId: 'mem-h',
      role: 'sensor' as const,
      kinds: ['motion' as const],
    })),
  );
  const broker: DeviceBroker = await startDeviceBroker({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 65_536,
    registry,
    events,
    serviceAccounts: [],
    logger: silentLogger(),
    metrics,
  });
  closers.push(() => broker.close());
  return {
    url: broker.url,
    devices: provisioned.map(({ device, secret }) => ({ id: device.id, homeId: device.homeId, secret })),
  };
}

function memory(): HostMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the broker host needs --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapAndBuffers: m.heapUsed + m.arrayBuffers, rss: m.rss, heapTotal: m.heapTotal };
}

if (process.send)
  serveCommands<BrokerHostCommand>({ start, memory }, async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
