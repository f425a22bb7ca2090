/**
 * The device fleet: a child process of the bench holding real mqtt.js clients, so the broker under
 * test (in the parent) keeps its own process, CPU accounting and open-file budget (10,000 devices
 * are 10,000 sockets on each side). Driven over IPC by `fleet-client.ts`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { serveCommands } from './child.ts';
import type { FleetCommand, FleetDevice, LoadResult } from './fleet-client.ts';

const storm = new Map<string, { client: MqttClient; up: boolean; lastUpAt: number }>();
const seqs = new Map<string, { seq: number; ts: number }>();
let stopLoad = false;

function options(device: FleetDevice, auth: boolean, reconnectPeriod: number): mqtt.IClientOptions {
  return {
    clientId: device.id,
    ...(auth ? { username: device.id, password: device.secret ?? '' } : {}),
    reconnectPeriod,
    connectTimeout: 60_000,
    keepalive: 0,
  };
}

/** the device's next reading: its own increasing seq and a strictly increasing clock */
function reading(deviceId: string, kind: string, value: number): string {
  const s = seqs.get(deviceId) ?? { seq: 0, ts: 0 };
  s.seq++;
  s.ts = Math.max(Date.now(), s.ts + 1);
  seqs.set(deviceId, s);
  return JSON.stringify({ kind, value, ts: s.ts, seq: s.seq });
}

async function connect(c: Extract<FleetCommand, { cmd: 'connect' }>) {
  const started = Date.now();
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < c.devices.length) {
      const device = c.devices[next++]!;
      const client = mqtt.connect(c.url, options(device, c.auth, 1000));
      const entry = { client, up: false, lastUpAt: 0 };
      storm.set(device.id, entry);
      client.on('connect', () => {
        entry.up = true;
        entry.lastUpAt = Date.now();
      });
      client.on('close', () => {
        entry.up = false;
      });
      client.on('error', () => {});
      const ok = await new Promise<boolean>((resolve) => {
        client.once('connect', () => resolve(true));
        client.once('error', () => resolve(false));
      });
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, worker));
  return { ms: Date.now() - started, failed };
}

/** waits for every storm client to lose its connection, then to have it back */
async function awaitReconnect(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const all = [...storm.values()];
  while (all.some((e) => e.up) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const downAt = Date.now();
  while (all.some((e) => !e.up) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const missing = all.filter((e) => !e.up).length;
  return { downAt, lastUpAt: Math.max(...all.map((e) => e.lastUpAt)), missing };
}

async function disconnect() {
  await Promise.all([...storm.values()].map((e) => e.client.endAsync(true).catch(() => undefined)));
  storm.clear();
}

async function load(c: Extract<FleetCommand, { cmd: 'load' }>): Promise<LoadResult> {
  stopLoad = false;
  const urls = c.urls?.length ? c.urls : [c.url];
  const clients = await Promise.all(
    c.devices.map(async (device, i) => ({
      device,
      client: await mqtt.connectAsync(urls[i % urls.length]!, options(device, c.auth, 0)),
      inflight: 0,
    })),
  );
  const started = Date.now();
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let lastAckAt = started;
  const budget = () => (c.total > 0 ? c.total - sent : Number.POSITIVE_INFINITY);
  const publish = (p: (typeof clients)[number]) => {
    sent++;
    p.inflight++;
    p.client.publish(
      `tryghed/v1/homes/${p.device.homeId}/devices/${p.device.id}/readings`,
      reading(p.device.id, c.kind, c.value),
      { qos: 1 },
      (err) => {
        p.inflight--;
        if (err) failed++;
        else acked++;
        lastAckAt = Date.now();
        if (c.rate === 0 && budget() > 0 && !stopLoad && Date.now() - started < c.maxMs) publish(p);
      },
    );
  };
  if (c.rate === 0) {
    // as fast as the broker acknowledges: each device keeps `inflight` messages outstanding
    for (const p of clients) for (let i = 0; i < c.inflight && budget() > 0; i++) publish(p);
  } else {
    // a steady rate, spread over the devices
    let turn = 0;
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * c.rate) - sent;
      for (let i = 0; i < due && budget() > 0; i++) {
        const p = clients[turn++ % clients.length]!;
        if (p.inflight < c.inflight) publish(p);
        else sent++; // counted as offered but dropped by the sender: the broker is behind
      }
    }, 5);
    while (!stopLoad && budget() > 0 && Date.now() - started < c.maxMs)
      await new Promise((r) => setTimeout(r, 10));
    clearInterval(timer);
  }
  const deadline = started + c.maxMs + 30_000;
  while (acked + failed < sent && Date.now() < deadline) {
    if (c.rate !== 0 && clients.every((p) => p.inflight === 0)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(clients.map((p) => p.client.endAsync(true).catch(() => undefined)));
  return { sent, acked, failed, ms: lastAckAt - started, startedAt: started };
}

serveCommands<FleetCommand>(
  {
    connect,
    awaitReconnect: (c) => awaitReconnect(c.timeoutMs),
    disconnect,
    load,
    stopLoad: () => {
      stopLoad = true;
    },
  },
  disconnect,
);
