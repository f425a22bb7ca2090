import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceMap } from '../gateway/index.ts';
import { HomeGateway, Zigbee2mqttSource } from '../gateway/index.ts';
import type { PairingBundle, SensorKind } from '../services/domain/index.ts';
import { type Logger, Metrics, systemClock } from '../services/runtime/index.ts';

const BASE = 'zigbee2mqtt';

/**
 * What a zigbee2mqtt device of each kind would publish for one of our readings, with the keys real
 * devices use (see docs/zigbee2mqtt.md): `action`, `fall_down_status`, `smoke`, `co`, `water_leak`,
 * `temperature`, `occupancy`, `contact` (false = open), `battery`.
 */
export function zigbee2mqttPayloads(kind: SensorKind, value: number): Array<Record<string, unknown>> {
  switch (kind) {
    case 'alarm_button':
      return value ? [{ action: 'single' }, { action: '' }] : [];
    case 'fall':
      return [{ fall_down_status: value ? 'fall' : 'none' }];
    case 'smoke':
      return [{ smoke: value >= 1, test: false }];
    case 'co':
      return [{ co: value }];
    case 'water_leak':
      return [{ water_leak: value >= 1 }];
    case 'temperature':
      return [{ temperature: value }];
    case 'motion':
      // a PIR sensor's occupancy goes back to false after its timeout; each true is new movement
      return value ? [{ occupancy: false }, { occupancy: true }] : [{ occupancy: false }];
    case 'door':
      return [{ contact: value < 1 }];
    case 'bed':
      return [{ occupancy: value >= 1 }];
    case 'battery':
      return [{ battery: value }];
    case 'heartbeat':
      return [{ linkquality: 100 }];
  }
}

/**
 * A home driven through zigbee2mqtt-shaped messages: the simulator publishes on the home's local
 * broker as zigbee2mqtt would (with a retained bridge/devices list), and a real home gateway, paired
 * through the platform's pairing route, reads them and forwards to the platform: the whole path a
 * technician installs, without a Zigbee radio.
 */
export class Zigbee2mqttHome {
  private local: MqttClient | null = null;
  private gateway: HomeGateway | null = null;
  private source: Zigbee2mqttSource | null = null;
  private published = 0;

  private constructor(
    private readonly names: Map<string, string>,
    private readonly logger: Logger,
  ) {}

  static async start(o: {
    localUrl: string;
    /** the platform's broker as the simulator reaches it */
    platformUrl: string;
    ca?: string;
    bundle: PairingBundle;
    /** suffix → platform device id and kinds */
    devices: Array<{ suffix: string; deviceId: string; kinds: SensorKind[] }>;
    logger: Logger;
  }): Promise<Zigbee2mqttHome> {
    const names = new Map(o.devices.map((d) => [d.suffix, `tryghed-sim/${o.bundle.homeId}/${d.suffix}`]));
    const home = new Zigbee2mqttHome(names, o.logger);
    home.local = await mqtt.connectAsync(o.localUrl, {
      clientId: `tryghed-sim-z2m-${o.bundle.homeId}`,
      protocolVersion: 4,
      reconnectPeriod: 1000,
    });
    const devices: DeviceMap = Object.fromEntries(
      o.devices.map((d) => [names.get(d.suffix)!, { deviceId: d.deviceId, kinds: d.kinds, keys: [] }]),
    );
    await home.local.publishAsync(
      `${BASE}/bridge/devices`,
      JSON.stringify(
        o.devices.map((d, i) => ({
          ieee_address: `0x7472796768656400${i.toString(16).padStart(2, '0')}`,
          friendly_name: names.get(d.suffix),
          type: 'EndDevice',
          supported: true,
          definition: { model: 'simulated', vendor: 'Tryghed simulator' },
        })),
      ),
      { qos: 1, retain: true },
    );
    const metrics = new Metrics();
    home.gateway = new HomeGateway({
      brokerUrl: o.platformUrl,
      homeId: o.bundle.homeId,
      gatewayId: o.bundle.gatewayId,
      secret: o.bundle.secret,
      ...(o.ca ? { ca: o.ca } : o.bundle.ca ? { ca: o.bundle.ca } : {}),
      logger: o.logger,
      metrics,
    });
    await home.gateway.start();
    home.source = new Zigbee2mqttSource({
      url: o.localUrl,
      baseTopic: BASE,
      clientId: `${o.bundle.gatewayId}-zigbee2mqtt`,
      devices,
      gateway: home.gateway,
      logger: o.logger,
      metrics,
      clock: systemClock,
      // every simulated heartbeat is forwarded
      heartbeatMs: 0,
    });
    await home.source.start();
    await home.source.ready();
    return home;
  }

  async send(suffix: string, kind: SensorKind, value: number): Promise<void> {
    const name = this.names.get(suffix);
    if (!name || !this.local) throw new Error(`no simulated zigbee2mqtt device "${suffix}"`);
    for (const payload of zigbee2mqttPayloads(kind, value)) {
      await this.local.publishAsync(`${BASE}/${name}`, JSON.stringify(payload), { qos: 1 });
      this.published++;
    }
  }

  /** waits until the gateway took every message published and its outbox is empty */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const handled = this.source?.handledStates() ?? 0;
      if (handled >= this.published && (this.gateway?.pending() ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    this.logger.warn({ published: this.published }, 'zigbee2mqtt simulation: not everything drained in time');
  }

  async stop(): Promise<void> {
    await this.source?.stop();
    await this.gateway?.stop();
    await this.local?.endAsync();
  }
}
