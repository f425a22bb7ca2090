import mqtt, { type MqttClient } from 'mqtt';
import {
  type ConsentScope,
  categoryOf,
  type ReadingCategory,
  topics,
  WireReading,
} from '../services/domain/index.ts';
import { type Logger, Metrics } from '../services/runtime/index.ts';
import { Outbox, type OutboxEntry } from './outbox.ts';

export interface HomeGatewayOptions {
  brokerUrl: string;
  /** PEM of the CA that signed the broker's certificate (mqtts://, wss://); the server is always verified */
  ca?: string;
  homeId: string;
  gatewayId: string;
  secret: string;
  logger: Logger;
  metrics?: Metrics;
  /** readings held while the link is down; default 10,000 */
  outboxLimit?: number;
}

const BATCH = 50;

/**
 * The home hub: takes readings from local sensors, drops those the home has not consented to,
 * and forwards the rest to the platform with QoS 1 through an outbox that holds them, in order,
 * while the link is down. It learns the consent scope from its home's retained config topic.
 * Before it has heard one, it forwards everything: the platform enforces consent anyway, and a
 * gateway that starts during an outage must not silently drop an alarm.
 */
export class HomeGateway {
  private client: MqttClient | null = null;
  private readonly outbox: Outbox;
  private scope: ConsentScope | null = null;
  private pumping = false;
  private readonly refused;
  private readonly dropped;
  private readonly forwarded;

  constructor(private readonly o: HomeGatewayOptions) {
    this.outbox = new Outbox(o.outboxLimit ?? 10_000);
    const metrics = o.metrics ?? new Metrics();
    this.refused = metrics.counter('tryghed_gateway_refused_total', 'Local readings not forwarded', [
      'reason',
    ]);
    this.dropped = metrics.counter(
      'tryghed_gateway_outbox_dropped_total',
      'Oldest readings dropped from a full outbox',
    );
    this.forwarded = metrics.counter(
      'tryghed_gateway_forwarded_total',
      'Readings acknowledged by the broker',
    );
  }

  async start(): Promise<void> {
    const status = topics.status(this.o.homeId, this.o.gatewayId);
    this.client = await mqtt.connectAsync(this.o.brokerUrl, {
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      rejectUnauthorized: true,
      clientId: this.o.gatewayId,
      username: this.o.gatewayId,
      password: this.o.secret,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const client = this.client;
    client.on('message', (topic, payload) => this.onConfig(topic, payload));
    client.on('connect', () => {
      this.o.logger.info({ homeId: this.o.homeId }, 'gateway connected');
      void this.announce();
      void this.pump();
    });
    client.on('error', (err) => this.o.logger.warn({ err: err.message }, 'gateway connection error'));
    await client.subscribeAsync(topics.config(this.o.homeId), { qos: 1 });
    await this.announce();
    void this.pump();
  }

  /** a reading from a local sensor; false when refused (invalid, or outside the home's consent) */
  submit(deviceId: string, reading: WireReading): boolean {
    const parsed = WireReading.safeParse(reading);
    if (!parsed.success) {
      this.refused.inc({ reason: 'invalid' });
      this.o.logger.warn({ deviceId }, 'invalid local reading refused');
      return false;
    }
    if (!this.consented(categoryOf(parsed.data.kind))) {
      // It never leaves the home: counted by category, nothing else kept.
      this.refused.inc({ reason: 'no_consent' });
      return false;
    }
    const dropped = this.outbox.push({ deviceId, reading: parsed.data });
    if (dropped > 0) this.dropped.inc(dropped);
    void this.pump();
    return true;
  }

  pending(): number {
    return this.outbox.size;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
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

  private consented(category: ReadingCategory): boolean {
    if (category === 'technical' || !this.scope) return true;
    const c = this.scope[category];
    return c.alerts || c.history;
  }

  private onConfig(topic: string, payload: Buffer): void {
    if (topic !== topics.config(this.o.homeId)) return;
    try {
      const config = JSON.parse(payload.toString()) as { consent?: ConsentScope };
      if (config.consent) this.scope = config.consent;
    } catch {
      this.o.logger.warn({ homeId: this.o.homeId }, 'unreadable home config ignored');
    }
  }

  private async announce(): Promise<void> {
    await this.client
      ?.publishAsync(topics.status(this.o.homeId, this.o.gatewayId), '{"online":true}', {
        qos: 1,
        retain: true,
      })
      .catch(() => undefined);
  }

  /** sends the outbox front to back, one message at a time, removing each only after its PUBACK */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const client = this.client;
        if (!client?.connected) return;
        const batch: OutboxEntry[] = this.outbox.peekBatch(BATCH);
        if (batch.length === 0) return;
        const deviceId = batch[0]!.deviceId;
        const payload = batch.length === 1 ? batch[0]!.reading : batch.map((e) => e.reading);
        try {
          await client.publishAsync(topics.readings(this.o.homeId, deviceId), JSON.stringify(payload), {
            qos: 1,
          });
        } catch (err) {
          this.o.logger.warn({ err: (err as Error).message }, 'forwarding paused; will resume on reconnect');
          return;
        }
        this.outbox.remove(batch);
        this.forwarded.inc(batch.length);
      }
    } finally {
      this.pumping = false;
    }
  }
}
