/**
 * The two sides every case is measured on, in one process and one run: the whole platform
 * (`startPlatform`, real influxd, SQLite in a temp folder) and bare aedes (no auth, no storage)
 * with a minimal ws relay standing in for the dashboard.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { WebSocket, WebSocketServer } from 'ws';
import { loadConfig } from '../../platform/config.ts';
import { type Platform, startPlatform } from '../../platform/start.ts';
import type { ConsentCategory, Purpose } from '../../services/domain/index.ts';
import { informationText } from '../../services/domain/index.ts';
import { silentLogger } from '../../services/runtime/index.ts';
import { ApiClient } from '../harness/api.ts';
import type { ScreenSpec } from './alarm-rig-client.ts';

export const ADMIN = { username: 'admin', password: 'bench-admin-password' };
export const STAFF_PASSWORD = 'bench-staff-password';

export class PlatformSide {
  platform!: Platform;
  admin!: ApiClient;
  staff: ApiClient[] = [];
  private staffNames: string[] = [];
  private constructor(private readonly config: ReturnType<typeof loadConfig>) {}

  static async start(o: {
    dataDir: string;
    influxUrl: string;
    mqttPort: number;
    /** more settings (the cluster section: a shared store, the device key, another database) */
    env?: Record<string, string>;
  }): Promise<PlatformSide> {
    const config = loadConfig({
      DATA_DIR: o.dataDir,
      INFLUX_URL: o.influxUrl,
      INFLUX_DATABASE: 'bench',
      INFLUX_AUTOSTART: 'false',
      HTTP_PORT: '0',
      MQTT_PORT: String(o.mqttPort),
      // the bench compares plain MQTT with bare aedes; no TLS door on a fixed port
      MQTT_TLS_PORT: 'off',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ...benchSettings(process.env),
      ...o.env,
    });
    const side = new PlatformSide(config);
    await side.boot();
    await side.platform.store.teams.create({ id: 't', name: 'Bench team' });
    return side;
  }

  get mqttUrl(): string {
    return this.platform.mqttUrl;
  }

  private async boot(): Promise<void> {
    this.platform = await startPlatform(this.config, { logger: silentLogger() });
    await this.login();
  }

  private async login(): Promise<void> {
    this.admin = await ApiClient.login(this.platform.dashboardUrl, ADMIN.username, ADMIN.password);
    this.staff = [];
    for (const name of this.staffNames)
      this.staff.push(await ApiClient.login(this.platform.dashboardUrl, name, STAFF_PASSWORD));
  }

  /** Stops the whole platform and starts it again on the same data. */
  async restart(): Promise<void> {
    const t0 = Date.now();
    await this.platform.close();
    const t1 = Date.now();
    this.platform = await startPlatform(this.config, { logger: silentLogger() });
    const t2 = Date.now();
    await this.login();
    // where a restart's time goes (the reconnect storm's row counts all of it)
    console.log(
      `  platform restart: stopped in ${t1 - t0} ms, started in ${t2 - t1} ms, ${this.staffNames.length} staff logged in again in ${Date.now() - t2} ms`,
    );
  }

  close(): Promise<void> {
    return this.platform.close();
  }

  async homes(ids: string[], consent: Array<[ConsentCategory, Purpose]>): Promise<void> {
    for (const id of ids) {
      await this.platform.registry.createHome({ id, label: id, teamId: 't' });
      for (const [category, purpose] of consent) {
        await this.platform.consent.change(
          id,
          {
            category,
            purpose,
            action: 'grant',
            channel: 'system',
            textVersion: informationText(category, purpose).version,
          },
          { id: 'bench', role: 'system' },
        );
      }
    }
  }

  /** Provisions devices through the bulk API, 10,000 a request; returns them with their secrets. */
  async provision(
    devices: Array<{ id: string; homeId: string; kinds: string[] }>,
  ): Promise<Array<{ id: string; homeId: string; secret: string }>> {
    const out: Array<{ id: string; homeId: string; secret: string }> = [];
    for (let i = 0; i < devices.length; i += 10_000) {
      const body = await this.admin.ok<{
        devices: Array<{ device: { id: string; homeId: string }; secret: string }>;
      }>('POST', '/api/provisioning/devices', { devices: devices.slice(i, i + 10_000) });
      for (const d of body.devices) out.push({ id: d.device.id, homeId: d.device.homeId, secret: d.secret });
    }
    return out;
  }

  async addStaff(n: number): Promise<void> {
    for (let i = this.staffNames.length; i < n; i++) {
      const username = `staff-${i}`;
      await this.admin.ok('POST', '/api/users', {
        username,
        password: STAFF_PASSWORD,
        displayName: username,
        role: 'staff',
        teamIds: ['t'],
      });
      this.staffNames.push(username);
      this.staff.push(await ApiClient.login(this.platform.dashboardUrl, username, STAFF_PASSWORD));
    }
  }

  /** `n` ws /live sockets, spread over the staff sessions (a team screen per session). */
  async sockets(n: number): Promise<StaffSockets> {
    const specs = this.screens(n);
    return StaffSockets.open(n, (i) => new WebSocket(specs[i]!.url, { headers: specs[i]!.headers }));
  }

  /** how `n` staff screens open their ws /live socket, spread over the staff sessions */
  screens(n: number): ScreenSpec[] {
    const url = `${this.platform.dashboardUrl.replace(/^http/, 'ws')}/live`;
    const origin = this.platform.dashboardUrl;
    return Array.from({ length: n }, (_, i) => ({
      url,
      headers: { cookie: this.staff[i % this.staff.length]!.sessionCookie, origin },
    }));
  }
}

/** Bare aedes without auth, plus a ws server relaying alarm readings: the floor. */
export class BareSide {
  private aedes!: Aedes;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  private http!: HttpServer;
  private wss!: WebSocketServer;
  port = 0;
  wsUrl = '';

  static async start(mqttPort: number): Promise<BareSide> {
    const side = new BareSide();
    side.port = mqttPort;
    await side.startBroker();
    side.http = createHttpServer();
    side.wss = new WebSocketServer({ server: side.http });
    await new Promise<void>((r) => side.http.listen(0, '127.0.0.1', r));
    side.wsUrl = `ws://127.0.0.1:${(side.http.address() as { port: number }).port}`;
    return side;
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  private async startBroker(): Promise<void> {
    this.aedes = await Aedes.createBroker();
    // the relay: an alarm reading goes to every ws socket, as the dashboard would send its alert
    this.aedes.on('publish', (packet, client) => {
      if (!client || !packet.topic.endsWith('/readings')) return;
      const reading = JSON.parse(packet.payload.toString()) as { kind: string; value: number };
      if (reading.kind !== 'alarm_button' || reading.value !== 1) return;
      const homeId = packet.topic.split('/')[3];
      const message = JSON.stringify({ type: 'alert', event: 'opened', alert: { homeId } });
      for (const ws of this.wss.clients) ws.send(message);
    });
    this.server = createServer(this.aedes.handle);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', r));
  }

  private async stopBroker(): Promise<void> {
    await new Promise<void>((r) => this.aedes.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  async restart(): Promise<void> {
    await this.stopBroker();
    await this.startBroker();
  }

  /** An MQTT client in this process that receives everything the devices publish (the relay). */
  async subscriber(): Promise<{ received: () => number; close: () => Promise<void> }> {
    const client = await mqtt.connectAsync(this.mqttUrl, { clientId: 'bench-relay', reconnectPeriod: 0 });
    let received = 0;
    client.on('message', () => {
      received++;
    });
    await client.subscribeAsync('tryghed/v1/#', { qos: 1 });
    return { received: () => received, close: () => client.endAsync(true) };
  }

  /** how `n` screens open a socket on the relay */
  screens(n: number): ScreenSpec[] {
    return Array.from({ length: n }, () => ({ url: this.wsUrl }));
  }

  async close(): Promise<void> {
    await this.stopBroker();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise((r) => this.http.close(r));
  }
}

/** Staff sockets that report when an `opened` alert for a home has reached all of them. */
/** `BENCH_SET_<SETTING>=value` in the bench's environment: that platform setting, for A/B runs */
function benchSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (k.startsWith('BENCH_SET_') && v !== undefined) out[k.slice('BENCH_SET_'.length)] = v;
  return out;
}

export class StaffSockets {
  private readonly waiters = new Map<string, { left: number; resolve: (at: number) => void }>();
  /** alert messages received, by event type */
  readonly events = new Map<string, number>();
  private constructor(readonly sockets: WebSocket[]) {
    for (const ws of sockets) {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; event?: string; alert?: { homeId: string } };
        if (m.type !== 'alert') return;
        this.events.set(m.event ?? '', (this.events.get(m.event ?? '') ?? 0) + 1);
        if (!m.alert) return;
        const key = `${m.event}:${m.alert.homeId}`;
        const w = this.waiters.get(key);
        if (w && --w.left === 0) {
          this.waiters.delete(key);
          w.resolve(performance.now());
        }
      });
    }
  }

  static async open(n: number, make: (i: number) => WebSocket): Promise<StaffSockets> {
    const sockets: WebSocket[] = [];
    for (let i = 0; i < n; i += 100) {
      const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => make(i + j));
      await Promise.all(
        batch.map(
          (ws) =>
            new Promise<void>((resolve, reject) => {
              ws.once('open', () => resolve());
              ws.once('error', reject);
            }),
        ),
      );
      sockets.push(...batch);
    }
    return new StaffSockets(sockets);
  }

  /**
   * resolves with the time (performance.now) an alert event of the home (`opened` by default)
   * reached every socket
   */
  allReached(homeId: string, event = 'opened', timeoutMs = 30_000): Promise<number> {
    const key = `${event}:${homeId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no ${event} alert for ${homeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        left: this.sockets.length,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
