import mqtt, { type MqttClient } from 'mqtt';
import { HomeGateway } from '../gateway/index.ts';
import { CONSENT_CATEGORIES, type SensorKind, topics, type WireReading } from '../services/domain/index.ts';
import type { Logger } from '../services/runtime/index.ts';
import { deviceId, HOME_KIT } from './home-kit.ts';
import type { Provisioner } from './provisioner.ts';
import { PlatformUnreachable } from './unreachable.ts';
import { Zigbee2mqttHome } from './zigbee2mqtt-home.ts';

/**
 * How a simulated device or gateway trusts the broker over mqtts:// or wss://: the CA it was given
 * (the pairing bundle's, or `--ca`), else the system's CAs. The server is always verified.
 */
export interface BrokerTrust {
  /** PEM of the CA (or self-signed certificate) that signed the broker's certificate */
  ca?: string;
}
const trustOptions = (tls: BrokerTrust) => ({
  ...(tls.ca ? { ca: tls.ca } : {}),
  rejectUnauthorized: true,
});

/** One simulated sensor talking straight to the broker with its own credentials. */
export class SimulatedDevice {
  private seq = 0;
  private client: MqttClient | null = null;

  constructor(
    readonly homeId: string,
    readonly id: string,
    private readonly secret: string,
  ) {}

  async connect(brokerUrl: string, tls: BrokerTrust = {}): Promise<void> {
    try {
      this.client = await mqtt.connectAsync(brokerUrl, {
        ...trustOptions(tls),
        clientId: this.id,
        username: this.id,
        password: this.secret,
        protocolVersion: 4,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
      });
    } catch (err) {
      throw new PlatformUnreachable('broker', brokerUrl, err);
    }
  }

  /** the next reading with this device's own increasing sequence number and clock */
  reading(kind: SensorKind, value: number, ts = Date.now()): WireReading {
    return { kind, value, ts, seq: ++this.seq };
  }

  async send(kind: SensorKind, value: number, ts?: number): Promise<WireReading> {
    if (!this.client) throw new Error(`device ${this.id} is not connected`);
    const reading = this.reading(kind, value, ts);
    await this.client.publishAsync(topics.readings(this.homeId, this.id), JSON.stringify(reading), {
      qos: 1,
    });
    return reading;
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
    this.client = null;
  }
}

export interface SimulatedHomeOptions {
  homeId: string;
  label: string;
  teamId: string;
  brokerUrl: string;
  /** the CA to verify the broker by, for mqtts:// and wss:// */
  ca?: string;
  provisioner: Provisioner;
  logger: Logger;
  /** send through a home gateway instead of one connection per device */
  viaGateway?: boolean;
  /**
   * send zigbee2mqtt-shaped messages to this local broker (the home's mosquitto), read by a home
   * gateway paired through the platform: the whole path of a real installation
   */
  viaZigbee2mqtt?: { localUrl: string };
  /** mark the home and devices as test (they never page staff once the rules issue lands) */
  test?: boolean;
  settings?: Record<string, unknown>;
  /** grant every category and purpose (default true); the simulator records it as a paper form */
  consent?: boolean;
}

/** A home with the full kit of sensors, provisioned and connected. */
export class SimulatedHome {
  private readonly devices = new Map<string, SimulatedDevice>();
  private gateway: HomeGateway | null = null;
  private zigbee2mqtt: Zigbee2mqttHome | null = null;
  private gatewaySeq = new Map<string, number>();

  private constructor(private readonly o: SimulatedHomeOptions) {}

  static async start(o: SimulatedHomeOptions): Promise<SimulatedHome> {
    const home = new SimulatedHome(o);
    const p = o.provisioner;
    await p.ensureHome({
      id: o.homeId,
      label: o.label,
      teamId: o.teamId,
      test: o.test ?? false,
      ...(o.settings ? { settings: o.settings } : {}),
    });
    if (o.consent !== false) await p.grantConsent(o.homeId, [...CONSENT_CATEGORIES], ['alerts', 'history']);
    for (const kit of HOME_KIT) {
      const id = deviceId(o.homeId, kit.suffix);
      const { secret } = await p.provisionDevice({
        id,
        homeId: o.homeId,
        kinds: kit.kinds,
        test: o.test ?? false,
      });
      home.devices.set(kit.suffix, new SimulatedDevice(o.homeId, id, secret));
    }
    if (o.viaZigbee2mqtt) {
      if (!p.pairGateway) throw new Error('this provisioner cannot pair a gateway');
      const bundle = await p.pairGateway(o.homeId);
      home.zigbee2mqtt = await Zigbee2mqttHome.start({
        localUrl: o.viaZigbee2mqtt.localUrl,
        platformUrl: o.brokerUrl,
        bundle,
        devices: HOME_KIT.map((k) => ({
          suffix: k.suffix,
          deviceId: deviceId(o.homeId, k.suffix),
          kinds: k.kinds,
        })),
        logger: o.logger,
      });
    } else if (o.viaGateway) {
      const id = deviceId(o.homeId, 'gw');
      const { secret } = await p.provisionDevice({
        id,
        homeId: o.homeId,
        kinds: ['heartbeat'],
        role: 'gateway',
        test: o.test ?? false,
      });
      home.gateway = new HomeGateway({
        brokerUrl: o.brokerUrl,
        homeId: o.homeId,
        gatewayId: id,
        secret,
        logger: o.logger,
        ...(o.ca ? { ca: o.ca } : {}),
      });
      await home.gateway.start();
    } else {
      await Promise.all(
        [...home.devices.values()].map((d) => d.connect(o.brokerUrl, o.ca ? { ca: o.ca } : {})),
      );
    }
    return home;
  }

  get homeId(): string {
    return this.o.homeId;
  }

  async send(suffix: string, kind: SensorKind, value: number, ts?: number): Promise<void> {
    const device = this.devices.get(suffix);
    if (!device) throw new Error(`no simulated device "${suffix}" in ${this.o.homeId}`);
    if (this.zigbee2mqtt) {
      // the gateway stamps time and sequence, as it does for real zigbee2mqtt devices
      await this.zigbee2mqtt.send(suffix, kind, value);
      return;
    }
    if (this.gateway) {
      const seq = (this.gatewaySeq.get(suffix) ?? 0) + 1;
      this.gatewaySeq.set(suffix, seq);
      this.gateway.submit(device.id, { kind, value, ts: ts ?? Date.now(), seq });
      return;
    }
    await device.send(kind, value, ts);
  }

  /** waits until the gateway's outbox is empty (direct devices send synchronously) */
  async drain(timeoutMs = 10_000): Promise<void> {
    await this.zigbee2mqtt?.drain(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    while (this.gateway && this.gateway.pending() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.zigbee2mqtt?.stop();
    await this.gateway?.stop();
    await Promise.all([...this.devices.values()].map((d) => d.close()));
  }
}
