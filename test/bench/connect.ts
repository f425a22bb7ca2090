/**
 * `npx tsx test/bench/connect.ts`: MQTT connects per second on the device broker (secret check,
 * client-id rule, throttle, one connection per device) beside a bare aedes that lets everyone in,
 * alternating rounds in one process because these machines are noisy. The ratio is what to watch
 * (goal: at least 0.8). Each connect is a real mqtt.js client over TCP, with its own device id.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { startDeviceBroker } from '../../broker/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore } from '../../services/store/index.ts';

const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 2000);
const PARALLEL = 20;
const ROUNDS = 4;

async function connectRate(url: string, secrets: readonly string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < CONNECTS) {
      const i = next++;
      const client = await mqtt.connectAsync(url, {
        clientId: `d${i}`,
        username: `d${i}`,
        password: secrets[i],
        reconnectPeriod: 0,
        protocolVersion: 4,
      });
      await client.endAsync();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return CONNECTS / ((performance.now() - started) / 1000);
}

async function main() {
  const store = await openStore({ sqlitePath: ':memory:' });
  await store.teams.create({ id: 't', name: 'T' });
  const events = createPlatformBus({ logger: silentLogger() });
  const registry = await Registry.load(store, { events });
  await registry.createHome({ id: 'h', label: 'h', teamId: 't' });
  const secrets: string[] = [];
  for (let i = 0; i < CONNECTS; i++)
    secrets.push((await registry.provisionDevice({ id: `d${i}`, homeId: 'h', kinds: ['motion'] })).secret);
  const broker = await startDeviceBroker({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 65536,
    registry,
    events,
    serviceAccounts: [],
    logger: silentLogger(),
    metrics: new Metrics(),
  });
  const bare = await Aedes.createBroker();
  const server = createServer(bare.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const bareUrl = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;

  const ours: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which goes first, so warming up favours neither
    if (round % 2 === 0) {
      baseline.push(await connectRate(bareUrl, secrets));
      ours.push(await connectRate(broker.url, secrets));
    } else {
      ours.push(await connectRate(broker.url, secrets));
      baseline.push(await connectRate(bareUrl, secrets));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const o = median(ours);
  const b = median(baseline);
  console.log(`connects/s (median of ${ROUNDS} rounds of ${CONNECTS}, ${PARALLEL} at a time)`);
  console.log(`  device broker  ${o.toFixed(0)}`);
  console.log(`  bare aedes     ${b.toFixed(0)}`);
  console.log(`  ratio          ${(o / b).toFixed(2)}  (goal >= 0.8)`);
  await broker.close();
  await new Promise<void>((r) => bare.close(() => server.close(() => r())));
  await store.close();
}

await main();
