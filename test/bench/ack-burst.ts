/**
 * Micro: how long one group commit holds the event loop when it makes many devices' readings
 * durable at once. A real broker (aedes, our hooks) with `DEVICES` real mqtt.js devices in this
 * process, each with `PER_DEVICE` QoS 1 readings waiting on one promise (as the spool's group commit
 * gives); the promise resolves and the longest turn of the event loop until every PUBACK has
 * arrived is measured (the time between two turns of a `setImmediate` probe). The platform releases
 * PUBACKs `DEFAULT_ACK_SLICE` (128) per turn (`broker/ack-pacer.ts`); the peer is the same broker releasing them all in one
 * turn, as before. No storage: what is measured is the broker's burst, not the spool.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { DEFAULT_ACK_SLICE } from '../../broker/ack-pacer.ts';
import { type DeviceBroker, startDeviceBroker } from '../../broker/index.ts';
import { topics } from '../../services/domain/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore } from '../../services/store/index.ts';
import type { Row } from './stats.ts';

const DEVICES = 400;
const PER_DEVICE = 3;

interface Side {
  broker: DeviceBroker;
  clients: MqttClient[];
  arm(): (ok: boolean) => void;
}

async function side(registry: Registry, secrets: string[], ackSlice: number): Promise<Side> {
  const metrics = new Metrics();
  const broker = await startDeviceBroker({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 1024,
    registry,
    events: createPlatformBus({ logger: silentLogger(), metrics }),
    serviceAccounts: [],
    logger: silentLogger(),
    metrics,
    ackSlice,
  });
  let group: Promise<boolean> = Promise.resolve(true);
  broker.onDeviceMessage(() => group);
  const clients: MqttClient[] = [];
  for (const [i, secret] of secrets.entries())
    clients.push(
      await mqtt.connectAsync(broker.url, {
        clientId: `burst-${i}`,
        username: `burst-${i}`,
        password: secret,
        reconnectPeriod: 0,
      }),
    );
  return {
    broker,
    clients,
    arm() {
      let commit!: (ok: boolean) => void;
      group = new Promise<boolean>((r) => {
        commit = r;
      });
      return commit;
    },
  };
}

/** one round: every device's readings held, released by one commit; the longest turn until all are acknowledged */
async function round(s: Side, seq: number): Promise<number> {
  const commit = s.arm();
  let acked = 0;
  const total = DEVICES * PER_DEVICE;
  const payload = JSON.stringify({ kind: 'motion', value: 1, ts: Date.now(), seq });
  for (const [i, c] of s.clients.entries())
    for (let k = 0; k < PER_DEVICE; k++)
      c.publish(topics.readings('burst-h', `burst-${i}`), payload, { qos: 1 }, () => {
        acked++;
      });
  // every reading handed to the broker and held
  await new Promise((r) => setTimeout(r, 300));
  return new Promise<number>((resolve) => {
    let last = performance.now();
    let longest = 0;
    const turn = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (acked >= total) resolve(longest);
      else setImmediate(turn);
    };
    commit(true);
    setImmediate(turn);
  });
}

export async function ackBurst(rows: Row[], rounds: number): Promise<void> {
  const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/tryghed-burst-`);
  const store = await openStore({ sqlitePath: `${dir}/s.sqlite` });
  await store.teams.create({ id: 't', name: 'T' });
  const registry = await Registry.load(store, {});
  await registry.createHome({ id: 'burst-h', label: 'H', teamId: 't' });
  const secrets = (
    await registry.provisionDevices(
      Array.from({ length: DEVICES }, (_, i) => ({
        id: `burst-${i}`,
        homeId: 'burst-h',
        kinds: ['motion' as const],
      })),
    )
  ).map((p) => p.secret);
  const paced = await side(registry, secrets, DEFAULT_ACK_SLICE);
  const whole = await side(registry, secrets, Number.MAX_SAFE_INTEGER);
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let r = 0; r < Math.max(rounds, 3); r++) {
      ours.push(await round(paced, r + 1));
      theirs.push(await round(whole, r + 1));
    }
  } finally {
    for (const s of [paced, whole]) {
      await Promise.all(s.clients.map((c) => c.endAsync(true)));
      await s.broker.close();
    }
    await store.close();
    (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  }
  rows.push({
    section: 'micro',
    what: `one group commit acknowledging ${DEVICES} devices × ${PER_DEVICE} readings, longest turn of the event loop`,
    unit: 'ms',
    higherIsBetter: false,
    platform: ours,
    peer: theirs,
    peerName: 'all PUBACKs released in one turn (before)',
  });
}
