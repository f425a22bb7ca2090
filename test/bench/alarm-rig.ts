/**
 * The alarm rig: the bench's alarm buttons and staff screens in a child process of their own, as a
 * real button and a real staff browser are never on the server's event loop. In the server's process
 * a press would be sent, and the screen's message read, only when the server's loop got round to it,
 * so every press was charged up to one of the server's loop turns on each end that no real button or
 * screen waits for. Each press also waits a random pause first, so presses arrive at random moments
 * of the server's loop instead of always just after it sent the last message. Driven over IPC by
 * `alarm-rig-client.ts`; times are epoch ms (fractional), comparable across processes.
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import type { RigCommand, ScreenSpec, Side } from './alarm-rig-client.ts';
import { serveCommands } from './child.ts';

const now = () => performance.timeOrigin + performance.now();

/** counts of alert events per `event:homeId`, one per screen */
interface Screen {
  ws: WebSocket;
  counts: Map<string, number>;
}

/** resolves when every screen's count for `key` reached `target` */
interface Waiter {
  target: number;
  left: number;
  resolve: (at: number) => void;
}

const buttons = new Map<Side, Map<string, MqttClient>>();
const screens = new Map<Side, Screen[]>();
const waiters = new Map<string, Waiter[]>();
const seqs = new Map<string, number>();

function heard(screen: Screen, key: string): void {
  const count = (screen.counts.get(key) ?? 0) + 1;
  screen.counts.set(key, count);
  const list = waiters.get(key);
  if (!list) return;
  // a copy: a waiter that is done leaves the list
  for (const w of [...list]) {
    if (w.target !== count) continue;
    if (--w.left === 0) {
      list.splice(list.indexOf(w), 1);
      w.resolve(now());
    }
  }
}

async function openScreens(side: Side, specs: ScreenSpec[]): Promise<number> {
  closeScreens(side);
  const out: Screen[] = [];
  for (let i = 0; i < specs.length; i += 100) {
    const batch = specs.slice(i, i + 100).map((s) => {
      const screen: Screen = { ws: new WebSocket(s.url, { headers: s.headers ?? {} }), counts: new Map() };
      screen.ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; event?: string; alert?: { homeId: string } };
        if (m.type === 'alert' && m.alert) heard(screen, `${m.event}:${m.alert.homeId}`);
      });
      return screen;
    });
    await Promise.all(
      batch.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            s.ws.once('open', () => resolve());
            s.ws.once('error', reject);
          }),
      ),
    );
    out.push(...batch);
  }
  screens.set(side, out);
  return out.length;
}

function closeScreens(side: Side): void {
  for (const s of screens.get(side) ?? []) s.ws.terminate();
  screens.delete(side);
}

/** when every screen of the side has heard `event` for the home `target` times in all */
function reachedAll(side: Side, key: string, target: number, timeoutMs = 30_000): Promise<number> {
  const all = screens.get(side) ?? [];
  const left = all.filter((s) => (s.counts.get(key) ?? 0) < target).length;
  if (left === 0) return Promise.resolve(now());
  return new Promise((resolve, reject) => {
    const list = waiters.get(key) ?? [];
    waiters.set(key, list);
    const timer = setTimeout(() => {
      list.splice(list.indexOf(w), 1);
      reject(new Error(`not every screen heard ${key} ${target} times within ${timeoutMs} ms`));
    }, timeoutMs);
    const w: Waiter = {
      target,
      left,
      resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      },
    };
    list.push(w);
  });
}

const countOf = (side: Side, key: string) => screens.get(side)?.[0]?.counts.get(key) ?? 0;

async function press(c: Extract<RigCommand, { cmd: 'press' }>): Promise<{ t0: number; t1: number }> {
  // at a random moment of the server's loop, not right after its last message
  if (c.pauseMs > 0) await new Promise((r) => setTimeout(r, Math.random() * c.pauseMs));
  const client = buttons.get(c.side)?.get(c.homeId);
  if (!client) throw new Error(`no button for ${c.homeId} on ${c.side}`);
  const key = `opened:${c.homeId}`;
  const reached = reachedAll(c.side, key, countOf(c.side, key) + 1);
  const seq = (seqs.get(c.deviceId) ?? 0) + 1;
  seqs.set(c.deviceId, seq);
  const t0 = now();
  client.publish(
    `tryghed/v1/homes/${c.homeId}/devices/${c.deviceId}/readings`,
    JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq }),
    { qos: 1 },
  );
  return { t0, t1: await reached };
}

/** every button at once, in one turn; t1 is when the last home's alert was heard on every screen */
async function storm(c: Extract<RigCommand, { cmd: 'storm' }>): Promise<{ t0: number; t1: number }> {
  const clients = buttons.get(c.side);
  const reached: Array<Promise<number>> = [];
  const sends: Array<() => void> = [];
  for (const d of c.devices) {
    const client = clients?.get(d.homeId);
    if (!client) throw new Error(`no button for ${d.homeId} on ${c.side}`);
    const key = `opened:${d.homeId}`;
    reached.push(reachedAll(c.side, key, countOf(c.side, key) + 1, 60_000));
    const seq = (seqs.get(d.id) ?? 0) + 1;
    seqs.set(d.id, seq);
    sends.push(() =>
      client.publish(
        `tryghed/v1/homes/${d.homeId}/devices/${d.id}/readings`,
        JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq }),
        { qos: 1 },
      ),
    );
  }
  const t0 = now();
  for (const send of sends) send();
  const heardAt = await Promise.all(reached);
  return { t0, t1: Math.max(...heardAt) };
}

async function connectButtons(c: Extract<RigCommand, { cmd: 'buttons' }>): Promise<number> {
  // added to the side's buttons (the storm's come after the latency rows')
  const clients = buttons.get(c.side) ?? new Map<string, MqttClient>();
  for (const d of c.devices)
    clients.set(
      d.homeId,
      await mqtt.connectAsync(c.url, {
        clientId: d.id,
        reconnectPeriod: 0,
        ...(d.secret ? { username: d.id, password: d.secret } : {}),
      }),
    );
  buttons.set(c.side, clients);
  return clients.size;
}

async function closeAll(): Promise<void> {
  for (const side of [...screens.keys()]) closeScreens(side);
  for (const clients of buttons.values())
    await Promise.all([...clients.values()].map((c) => c.endAsync(true).catch(() => undefined)));
  buttons.clear();
}

serveCommands<RigCommand>(
  {
    buttons: connectButtons,
    screens: (c) => openScreens(c.side, c.specs),
    closeScreens: (c) => closeScreens(c.side),
    press,
    storm,
    // every screen has heard as many resolutions of the home's alerts as openings
    settled: (c) => reachedAll(c.side, `resolved:${c.homeId}`, countOf(c.side, `opened:${c.homeId}`)),
  },
  closeAll,
);
