/**
 * The failover section of `npm run bench` (BENCH_ONLY=failover): kill -9 of the process that OWNS
 * a home (holds its shard's lease, `services/ownership`), beside one process killed -9 and
 * restarted at once by a supervisor.
 *
 * Cluster side, per pair: both processes hold their 32 shards (read from the store's lease
 * table); a home whose shard the first process holds gets its alarm button connected to that
 * process; the process is killed -9; the device connects to the survivor at once (as a load
 * balancer would send it) and presses. Timed from the kill: the device connected, its alarm
 * PUBACKed by the survivor (stored), the survivor holding the shard's lease (the store polled
 * every 50 ms), and the `opened` alert on a staff /live socket on the survivor, raised by the
 * survivor after it took the lease over (it kept the reading and replays it on takeover). After
 * the alert the lease row must name the survivor at a higher epoch, or the run fails. The killed
 * process is started again and the shares settle before the next pair.
 *
 * An alert that does not arrive within BENCH_FAILOVER_TIMEOUT_MS fails the run with the lease
 * table in the message: a missing alarm is never a row of zeros.
 */
import type { MqttClient } from 'mqtt';
import { SHARDS, shardOf } from '../../services/ownership/index.ts';
import { openStore, type Store } from '../../services/store/index.ts';
import { connectDevice, Live, type PlatformProcess } from './cluster-parts.ts';
import type { Row } from './stats.ts';
import { envInt, interleaved, sleep } from './stats.ts';

export const FAILOVER_TIMEOUT_MS = envInt('BENCH_FAILOVER_TIMEOUT_MS', 30_000);

interface Button {
  id: string;
  homeId: string;
  secret: string;
}

/** `count` alarm-button homes of distinct shards (one per shard when `count` is 64). */
export function homesAcrossShards(prefix: string, count: number): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < Math.min(count, SHARDS); i++) {
    const id = `${prefix}${i}`;
    const shard = shardOf(id);
    if (!byShard.has(shard)) byShard.set(shard, id);
  }
  return [...byShard.values()];
}

/** the pid in a lease owner's name (`<host>-<pid>-<random>`, `#<n>` after it joined again) */
const pidOf = (owner: string): number => Number(/-(\d+)-[0-9a-z]+(?:#\d+)?$/.exec(owner)?.[1] ?? Number.NaN);

interface Holder {
  owner: string;
  pid: number;
  epoch: number;
}

/** The store's lease table, read as a process of the cluster reads it (`ruleLeases.view()`). */
class LeaseTable {
  private constructor(private readonly store: Store) {}

  static async open(databaseUrl: string): Promise<LeaseTable> {
    return new LeaseTable(await openStore({ databaseUrl }));
  }

  /** shard → its holder now (released and never-claimed shards are absent) */
  async holders(): Promise<Map<number, Holder>> {
    return LeaseTable.byShard((await this.store.ruleLeases.view()).shards);
  }

  private static byShard(shards: ReadonlyArray<{ shard: number; owner: string; epoch: number }>) {
    const out = new Map<number, Holder>();
    for (const s of shards)
      if (s.owner !== '') out.set(s.shard, { owner: s.owner, pid: pidOf(s.owner), epoch: s.epoch });
    return out;
  }

  /** a short account of who holds what, for a failure message */
  async describe(): Promise<string> {
    const view = await this.store.ruleLeases.view();
    const count = new Map<string, number>();
    for (const { owner } of view.shards) {
      const name = owner || '(released)';
      count.set(name, (count.get(name) ?? 0) + 1);
    }
    const members = view.members.map((m) => `${m.owner} beat ${m.beat}`).join(', ') || '(none)';
    const held = [...count].map(([owner, n]) => `${owner}: ${n}`).join(', ');
    return `members ${members}; shards ${held}`;
  }

  /**
   * Waits until the two processes are the only members and each holds its fair half of the shards
   * (after a restart the survivor hands half back within a few lease cycles).
   */
  async settled(pids: [number, number], timeoutMs = 60_000): Promise<Map<number, Holder>> {
    const deadline = Date.now() + timeoutMs;
    const half = Math.ceil(SHARDS / 2);
    for (;;) {
      const { members, shards } = await this.store.ruleLeases.view();
      const holders = LeaseTable.byShard(shards);
      const memberPids = members.map((m) => pidOf(m.owner));
      const held = (pid: number) => [...holders.values()].filter((h) => h.pid === pid).length;
      if (
        memberPids.length === 2 &&
        memberPids.every((p) => pids.includes(p)) &&
        pids.every((p) => held(p) === half)
      )
        return holders;
      if (Date.now() > deadline)
        throw new Error(
          `failover: the leases did not settle within ${timeoutMs} ms: ${await this.describe()}`,
        );
      await sleep(200);
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export async function failover(
  ctx: { rows: Row[]; pairs: number },
  o: {
    a: PlatformProcess;
    b: PlatformProcess;
    s: PlatformProcess;
    /** the cluster's alarm buttons, one home per shard */
    cluster: Button[];
    single: Button[];
    databaseUrl: string;
    storeName: string;
  },
): Promise<void> {
  const row = (what: string, peer = true): Row => {
    const r: Row = {
      section: 'failover',
      what,
      unit: 'ms',
      higherIsBetter: false,
      platform: [],
      peer: [],
      peerName: peer ? 'one process, restarted at once' : '',
    };
    ctx.rows.push(r);
    return r;
  };
  const where = `two processes sharing Redis and ${o.storeName}`;
  const connected = row(
    `kill -9 of the home's owner → the device connected again (${where}: to the survivor)`,
  );
  const acked = row('kill -9 → its alarm reading PUBACKed (by the survivor: stored)');
  const leased = row("kill -9 → the survivor holds the home's shard lease (store polled every 50 ms)", false);
  const alarm = row(
    'kill -9 → the alarm on a staff /live socket (raised by the survivor after the takeover)',
  );
  const press = async (device: MqttClient, b: Button) => {
    await device.publishAsync(
      `tryghed/v1/homes/${b.homeId}/devices/${b.id}/readings`,
      JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq: 1 }),
      { qos: 1 },
    );
  };
  const leases = await LeaseTable.open(o.databaseUrl);
  const live = await Live.open(o.b.dashboardUrl);
  const used = new Set<string>();
  try {
    await interleaved(
      'failover',
      ctx.pairs,
      async () => {
        const before = await leases.settled([o.a.proc.pid, o.b.proc.pid]);
        const button = o.cluster.find(
          (x) => !used.has(x.homeId) && before.get(shardOf(x.homeId))?.pid === o.a.proc.pid,
        );
        if (!button) throw new Error(`failover: no unused home left in the shards of the process to kill`);
        used.add(button.homeId);
        const shard = shardOf(button.homeId);
        const was = before.get(shard)!;
        const device = await connectDevice(o.a.mqttUrl, button);
        const closed = new Promise<void>((r) => device.once('close', () => r()));
        const reached = live.opened(button.homeId, FAILOVER_TIMEOUT_MS);
        reached.catch(() => undefined);
        // the survivor taking the shard over, as the store shows it
        let watching = true;
        const takenOver = (async () => {
          while (watching) {
            const h = (await leases.holders()).get(shard);
            if (h && h.pid === o.b.proc.pid && h.epoch > was.epoch) return performance.now();
            await sleep(50);
          }
          return Number.NaN;
        })();
        const t0 = performance.now();
        const killed = o.a.proc.kill();
        try {
          await closed;
          const moved = await connectDevice(o.b.mqttUrl, button);
          const tConnected = performance.now();
          await press(moved, button);
          const tAcked = performance.now();
          const tAlarm = await reached.catch(async (err: Error) => {
            throw new Error(
              `failover: ${err.message} of the kill -9 of its owner (pid ${was.pid}); the survivor PUBACKed the press ${(tAcked - t0).toFixed(0)} ms after the kill; leases now: ${await leases.describe()}`,
            );
          });
          // the alert must come from the survivor under its own lease, never from two owners
          const now = (await leases.holders()).get(shard);
          if (!now || now.pid !== o.b.proc.pid || now.epoch <= was.epoch)
            throw new Error(
              `failover: the alert arrived but shard ${shard} is held by ${now?.owner ?? 'nobody'} at epoch ${now?.epoch}, not by the survivor (pid ${o.b.proc.pid}) above epoch ${was.epoch}`,
            );
          const tLeased = await Promise.race([takenOver, sleep(1000).then(() => Number.NaN)]);
          connected.platform.push(tConnected - t0);
          acked.platform.push(tAcked - t0);
          if (Number.isFinite(tLeased)) leased.platform.push(tLeased - t0);
          alarm.platform.push(tAlarm - t0);
          await moved.endAsync(true);
        } finally {
          watching = false;
          await takenOver;
          device.end(true);
          await killed;
        }
        await o.a.up(); // back in the cluster before the next round; the shares settle then
      },
      async (i) => {
        const button = o.single[i]!;
        const staff = await Live.open(o.s.dashboardUrl);
        const device = await connectDevice(o.s.mqttUrl, button);
        const closed = new Promise<void>((r) => device.once('close', () => r()));
        const t0 = performance.now();
        const killed = o.s.proc.kill();
        // the board's socket notices and tries again every 100 ms, as the page does
        const staffBack = staff.closed().then(() => staff.reconnect());
        await killed;
        // the supervisor (systemd, Docker) starts it again at once; device and board retry meanwhile
        const restarted = o.s.up();
        restarted.catch(() => undefined);
        await closed;
        const again = await connectDevice(o.s.mqttUrl, button);
        const tConnected = performance.now();
        await press(again, button);
        const tAcked = performance.now();
        await staffBack;
        const tAlarm = await staff.opened(button.homeId, FAILOVER_TIMEOUT_MS);
        connected.peer.push(tConnected - t0);
        acked.peer.push(tAcked - t0);
        alarm.peer.push(tAlarm - t0);
        await restarted;
        await again.endAsync(true);
        device.end(true);
        staff.close();
      },
    );
  } finally {
    live.close();
    await leases.close();
  }
}
