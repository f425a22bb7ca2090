import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { categoryOf, type SensorKind, topics, WireReading } from '../services/domain/index.ts';
import { type Clock, type Logger, Metrics, systemClock, type Timer } from '../services/runtime/index.ts';
import { ConsentFilter } from './consent-filter.ts';
import { type Dropped, Outbox, type OutboxRow } from './outbox.ts';

export interface HomeGatewayOptions {
  /** the platform's broker: mqtt://, mqtts:// (TLS), ws:// or wss:// */
  brokerUrl: string;
  homeId: string;
  /** the gateway's device id: also its MQTT client id and user name */
  gatewayId: string;
  secret: string;
  /** PEM of the CA that signed the platform's certificate; the server is always verified */
  ca?: string;
  logger: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** the outbox file (SQLite); default in memory, for simulators and tests that need no durability */
  outboxPath?: string;
  /** rows held while the link is down; default 100,000 */
  outboxLimit?: number;
  /** payload bytes held; default 50 MB */
  outboxMaxBytes?: number;
  /**
   * start() resolves at once and the gateway keeps trying to reach the platform (a real home hub:
   * it must start during an outage). Without it, start() waits for the first connection and fails
   * on refused credentials (the simulator).
   */
  connectInBackground?: boolean;
  /**
   * while connected, the gateway's own status is sent again this often (ms), so the platform hears
   * it even when the home is quiet; default 300 s
   */
  heartbeatMs?: number;
}

/** readings per MQTT message when a backlog is sent (the platform takes up to 500) */
const BATCH = 50;
/** kinds whose reading of 1 is an alarm: first out, last dropped */
const ALARM_KINDS: ReadonlySet<SensorKind> = new Set(['alarm_button', 'fall', 'smoke', 'water_leak']);
/** a CO level is an alarm from the platform's default alarm level (EN 50291's lowest) */
const CO_ALARM_LEVEL_PPM = 50;
const AVAILABILITY_KEY = 'availability:';
/** how long after connecting the gateway waits for the home's config before using the last good scope */
const SCOPE_WAIT_MS = 3000;

export function isAlarm(kind: SensorKind, value: number | boolean): boolean {
  if (kind === 'co') return Number(value) >= CO_ALARM_LEVEL_PPM;
  return ALARM_KINDS.has(kind) && Number(value) >= 1;
}

/**
 * The home hub's link to the platform: readings go into a durable outbox (SQLite), are checked
 * against the home's consent scope, and are sent with QoS 1, alarms first, each removed only after
 * the platform's PUBACK. It learns the scope from its home's retained config topic, reports its
 * own status (retained, with a last will) and the availability of its devices.
 */
export class HomeGateway {
  private client: MqttClient | null = null;
  readonly outbox: Outbox;
  readonly consent: ConsentFilter;
  private pumping = false;
  private stopped = false;
  private readonly clock: Clock;
  private readonly refused;
  private readonly dropped;
  private readonly forwarded;
  private readonly outboxRows;
  private readonly linkUp;
  private lastAuthLog = 0;
  private readonly lastTs = new Map<string, number>();
  /** a valid config arrived on this connection (or we stopped waiting for one) */
  private scopeFresh = false;
  private scopeWait: Timer | null = null;
  private heartbeat: Timer | null = null;

  constructor(private readonly o: HomeGatewayOptions) {
    this.clock = o.clock ?? systemClock;
    this.outbox = Outbox.open(o.outboxPath ?? ':memory:', {
      maxRows: o.outboxLimit ?? 100_000,
      maxBytes: o.outboxMaxBytes ?? 50 * 1024 * 1024,
    });
    const metrics = o.metrics ?? new Metrics();
    this.consent = new ConsentFilter(this.outbox, o.logger, metrics, this.clock);
    this.refused = metrics.counter('tryghed_gateway_refused_total', 'Local readings not forwarded', [
      'reason',
    ]);
    this.dropped = metrics.counter(
      'tryghed_gateway_outbox_dropped_total',
      'Readings dropped from a full outbox (oldest routine first, alarms last)',
      ['class'],
    );
    this.forwarded = metrics.counter(
      'tryghed_gateway_forwarded_total',
      'Readings acknowledged by the platform',
    );
    this.outboxRows = metrics.gauge('tryghed_gateway_outbox_rows', 'Readings waiting in the outbox');
    this.linkUp = metrics.gauge('tryghed_gateway_platform_connected', '1 while connected to the platform');
    this.outboxRows.set(this.outbox.size);
  }

  async start(): Promise<void> {
    const status = topics.status(this.o.homeId, this.o.gatewayId);
    const options: IClientOptions = {
      // The platform's broker requires the client id to be the device id.
      clientId: this.o.gatewayId,
      username: this.o.gatewayId,
      password: this.o.secret,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 60,
      will: { topic: status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      // never accept an unverified server, whatever the environment says
      rejectUnauthorized: true,
    };
    const client = this.o.connectInBackground
      ? mqtt.connect(this.o.brokerUrl, options)
      : await mqtt.connectAsync(this.o.brokerUrl, options);
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic !== topics.config(this.o.homeId)) return;
      if (this.consent.onConfig(payload) !== 'invalid') {
        this.scopeFresh = true;
        void this.pump();
      }
    });
    client.on('connect', () => void this.onConnect());
    client.on('close', () => {
      this.linkUp.set(0);
      this.scopeFresh = false;
    });
    client.on('error', (err) => {
      const now = this.clock.now();
      // a wrong secret repeats every second; say it once a minute
      if (now - this.lastAuthLog < 60_000) return;
      this.lastAuthLog = now;
      this.o.logger.warn({ err: err.message }, 'platform connection error');
    });
    if (client.connected) await this.onConnect();
    this.heartbeat = this.clock.setInterval(() => {
      if (this.client?.connected) void this.announce();
    }, this.o.heartbeatMs ?? 300_000);
  }

  /** a reading from a local sensor, with its own seq (the simulator); false when refused */
  submit(deviceId: string, reading: WireReading): boolean {
    const parsed = WireReading.safeParse(reading);
    if (!parsed.success) {
      this.refused.inc({ reason: 'invalid' });
      this.o.logger.warn({ deviceId }, 'invalid local reading refused');
      return false;
    }
    const queued = this.outbox.transaction(() => this.queueParsed(deviceId, parsed.data));
    void this.pump();
    return queued;
  }

  /**
   * Queues a reading made here (the gateway assigns seq and time). Call inside `outbox.transaction`
   * when several must be committed together; false when the home has not consented to its category.
   */
  queue(deviceId: string, kind: SensorKind, value: number, at: number): boolean {
    // strictly increasing per device: two readings in one millisecond stay two points downstream
    const ts = Math.max(at, (this.lastTs.get(deviceId) ?? 0) + 1);
    this.lastTs.set(deviceId, ts);
    const reading: WireReading = { kind, value, ts, seq: 0 };
    if (this.consent.allows(categoryOf(kind)) === false) {
      this.refused.inc({ reason: 'no_consent' });
      this.consent.dropped(categoryOf(kind));
      return false;
    }
    reading.seq = this.outbox.nextSeq(deviceId);
    return this.queueParsed(deviceId, reading);
  }

  /** after a commit: send what was queued */
  flush(): void {
    void this.pump();
  }

  /**
   * A device's availability as the home sees it, kept (latest only) and sent retained on its status
   * topic now and again on every (re)connect, so the platform always ends up with the latest.
   */
  setAvailability(deviceId: string, online: boolean, at: number): void {
    const key = `${AVAILABILITY_KEY}${deviceId}`;
    const previous = this.outbox.getValue(key);
    if (previous && (JSON.parse(previous) as { online: boolean }).online === online) return;
    this.outbox.setValue(key, JSON.stringify({ online, at }));
    void this.publishAvailability(deviceId, online, at);
  }

  pending(): number {
    return this.outbox.size;
  }

  connected(): boolean {
    return this.client?.connected ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.consent.stop();
    this.scopeWait?.cancel();
    this.heartbeat?.cancel();
    const client = this.client;
    this.client = null;
    if (client) {
      if (client.connected) {
        await client
          .publishAsync(topics.status(this.o.homeId, this.o.gatewayId), '{"online":false}', {
            qos: 1,
            retain: true,
          })
          .catch(() => undefined);
      }
      await client.endAsync(true);
    }
    this.outbox.close();
  }

  private queueParsed(deviceId: string, reading: WireReading): boolean {
    const category = categoryOf(reading.kind);
    if (this.consent.allows(category) === false) {
      // It never leaves the home: counted by category, nothing else kept.
      this.refused.inc({ reason: 'no_consent' });
      this.consent.dropped(category);
      return false;
    }
    const dropped: Dropped = this.outbox.addReading(
      {
        topic: topics.readings(this.o.homeId, deviceId),
        deviceId,
        category,
        reading,
        alarm: isAlarm(reading.kind, reading.value),
      },
      this.clock.now(),
    );
    if (dropped.routine > 0) this.dropped.inc({ class: 'routine' }, dropped.routine);
    if (dropped.alarm > 0) this.dropped.inc({ class: 'alarm' }, dropped.alarm);
    if (dropped.routine + dropped.alarm > 0) {
      this.o.logger.warn(
        { routine: dropped.routine, alarm: dropped.alarm, held: this.outbox.size },
        'outbox full: oldest readings dropped',
      );
    }
    this.outboxRows.set(this.outbox.size);
    return true;
  }

  private async onConnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.linkUp.set(1);
    this.o.logger.info({ homeId: this.o.homeId }, 'connected to the platform');
    // The platform sends the retained scope right after the subscription: wait for it (briefly) so
    // a withdrawal made during an outage is known before anything queued goes out.
    // real time, not the gateway's clock: this waits for a message over the network
    this.scopeWait?.cancel();
    this.scopeWait = systemClock.setTimeout(() => {
      this.scopeWait = null;
      if (!this.scopeFresh) {
        this.o.logger.warn('no home config from the platform; the last good consent scope applies');
        this.scopeFresh = true;
        void this.pump();
      }
    }, SCOPE_WAIT_MS);
    try {
      // resubscribed by mqtt.js on reconnects; the retained config arrives right after
      await client.subscribeAsync(topics.config(this.o.homeId), { qos: 1 });
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'subscribing to the home config failed');
    }
    await this.announce();
    for (const { key, value } of this.outbox.values(AVAILABILITY_KEY)) {
      const { online, at } = JSON.parse(value) as { online: boolean; at: number };
      void this.publishAvailability(key.slice(AVAILABILITY_KEY.length), online, at);
    }
    void this.pump();
  }

  /** the gateway's own status, retained: online, and when */
  private async announce(): Promise<void> {
    await this.client
      ?.publishAsync(
        topics.status(this.o.homeId, this.o.gatewayId),
        JSON.stringify({ online: true, at: this.clock.now() }),
        { qos: 1, retain: true },
      )
      .catch(() => undefined);
  }

  private async publishAvailability(deviceId: string, online: boolean, at: number): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    await client
      .publishAsync(
        topics.status(this.o.homeId, deviceId),
        JSON.stringify({ online, at, source: 'zigbee2mqtt' }),
        { qos: 1, retain: true },
      )
      .catch((err: unknown) =>
        this.o.logger.warn(
          { err: (err as Error).message, deviceId },
          'device status not sent; sent again on reconnect',
        ),
      );
  }

  /** sends the outbox, alarms first, one message at a time, removing rows only after the PUBACK */
  private async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      for (;;) {
        const client = this.client;
        if (!client?.connected) return;
        // until this connection brought the scope (or we gave up waiting), only technical data goes
        const judged = this.scopeFresh && this.consent.hasScope;
        const batch: OutboxRow[] = this.outbox.next(BATCH, !judged);
        if (batch.length === 0) return;
        const first = batch[0]!;
        const allowed = first.category ? this.consent.allows(first.category) : true;
        if (allowed === null) return;
        if (!allowed) {
          // consent was withdrawn while these waited: they never leave the home
          this.outbox.remove(batch.map((r) => r.id));
          for (const row of batch) this.consent.dropped(row.category!);
          this.refused.inc({ reason: 'no_consent' }, batch.length);
          this.outboxRows.set(this.outbox.size);
          continue;
        }
        const payload = batch.length === 1 ? first.payload : `[${batch.map((r) => r.payload).join(',')}]`;
        try {
          await client.publishAsync(first.topic, payload, { qos: 1 });
        } catch (err) {
          this.o.logger.warn({ err: (err as Error).message }, 'forwarding paused; resumes on reconnect');
          return;
        }
        // stop() closed the outbox meanwhile; the rows stay and go again after a restart
        if (this.stopped) return;
        this.outbox.remove(batch.map((r) => r.id));
        this.forwarded.inc(batch.length);
        this.outboxRows.set(this.outbox.size);
      }
    } finally {
      this.pumping = false;
    }
  }
}
