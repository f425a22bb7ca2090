/**
 * What the cluster and failover sections drive: a `tryghed start` process that can be killed -9 and
 * started again, a staff /live socket that reconnects as the board does, and a device that retries.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { ApiClient } from '../harness/api.ts';
import { type ServerProcess, startPlatformProcess } from './processes.ts';
import { STAFF_PASSWORD } from './sides.ts';
import { sleep } from './stats.ts';

/** One `tryghed start` process that can be killed -9 and started again on the same settings. */
export class PlatformProcess {
  proc!: ServerProcess;
  private constructor(private readonly env: Record<string, string>) {}
  static async start(env: Record<string, string>): Promise<PlatformProcess> {
    const p = new PlatformProcess(env);
    await p.up();
    return p;
  }
  async up(): Promise<void> {
    this.proc = await startPlatformProcess(this.env);
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.env.MQTT_PORT}`;
  }
  get dashboardUrl(): string {
    return `http://127.0.0.1:${this.env.HTTP_PORT}`;
  }
}

/** A staff /live socket that reconnects with `?since=` (as the board does) and reports alarms. */
export class Live {
  /** the last alert event seen; null before the first hello */
  private lastSeq: number | null = null;
  private ws: WebSocket | null = null;
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();
  private constructor(
    private readonly dashboardUrl: string,
    private readonly cookie: string,
  ) {}

  static async open(dashboardUrl: string): Promise<Live> {
    const staff = await ApiClient.login(dashboardUrl, 'staff-0', STAFF_PASSWORD);
    const live = new Live(dashboardUrl, staff.sessionCookie);
    await live.connect();
    return live;
  }

  private connect(): Promise<void> {
    const since = this.lastSeq === null ? '' : `?since=${this.lastSeq}`;
    const ws = new WebSocket(`${this.dashboardUrl.replace(/^http/, 'ws')}/live${since}`, {
      headers: { cookie: this.cookie, origin: this.dashboardUrl },
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        type: string;
        lastSeq?: number;
        seq?: number;
        event?: string;
        alert?: { homeId: string };
      };
      if (m.type === 'hello' && m.lastSeq !== undefined)
        this.lastSeq = Math.max(this.lastSeq ?? 0, m.lastSeq);
      if (m.type !== 'alert') return;
      if (m.seq !== undefined) this.lastSeq = Math.max(this.lastSeq ?? 0, m.seq);
      if (m.event !== 'opened' || !m.alert || this.seen.has(m.alert.homeId)) return;
      const at = performance.now();
      this.seen.set(m.alert.homeId, at);
      this.waiting.get(m.alert.homeId)?.(at);
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.ws = ws;
        resolve();
      });
      ws.once('error', reject);
    });
  }

  /** after its server died: tries again every 100 ms until it is back */
  async reconnect(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.connect();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  /** resolves with when (performance.now) the `opened` alert of the home arrived */
  opened(homeId: string, timeoutMs = 60_000): Promise<number> {
    const at = this.seen.get(homeId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no alarm for ${homeId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(homeId, (t) => {
        clearTimeout(timer);
        this.waiting.delete(homeId);
        resolve(t);
      });
    });
  }

  closed(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => ws.once('close', () => r()));
  }

  close(): void {
    this.ws?.terminate();
  }
}

/** connects a device, trying again every 100 ms (a device retrying, or a load balancer's next try) */
export async function connectDevice(
  url: string,
  d: { id: string; secret: string },
  timeoutMs = 120_000,
): Promise<MqttClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await mqtt.connectAsync(url, {
        clientId: d.id,
        username: d.id,
        password: d.secret,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
