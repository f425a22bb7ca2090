import { createHash } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Clock, Logger, Metrics } from '../../services/runtime/index.ts';
import type { DeviceMap, DeviceMapEntry } from '../config.ts';
import type { HomeGateway } from '../home-gateway.ts';
import { type DeviceMemory, mapDeviceState } from './mapping.ts';
import { BridgeDevices, parseAvailability, parseLocalTopic } from './messages.ts';

export interface Zigbee2mqttSourceOptions {
  /** the home's own broker */
  url: string;
  username?: string;
  password?: string;
  baseTopic: string;
  /** stable, so the local broker keeps our session (and queues QoS 1 messages) while we are down */
  clientId: string;
  devices: DeviceMap;
  gateway: HomeGateway;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** a device heard without news is reported alive at most this often */
  heartbeatMs: number;
}

type Outcome =
  | 'forwarded'
  | 'unchanged'
  | 'unmappable'
  | 'self_test'
  | 'unknown_device'
  | 'invalid_json'
  | 'duplicate'
  | 'availability'
  | 'bridge'
  | 'ignored';

const MEMORY_KEY = 'state:';
/**
 * The names from the last bridge/devices, kept on disk: after a restart the local broker delivers
 * the messages it queued for us before the retained device list, and they must still resolve.
 */
const NAMES_KEY = 'bridge:names';
const INBOUND_KEY = 'inbound:';
/** at most this many unknown names are remembered for "logged once" */
const UNKNOWN_LOGGED_MAX = 1000;

/**
 * The local side: zigbee2mqtt's messages on the home's broker, turned into readings. The local
 * broker's PUBACK is sent only after the readings are committed to the outbox: mqtt.js sends the
 * PUBACK of a QoS 1 message when `handleMessage` calls back (MQTT.js README, "handleMessage"; one
 * message at a time), so we override it and commit synchronously inside it. A kill -9 before the
 * commit means no PUBACK, and the broker sends the message again to our persistent session; a kill
 * after the commit but before the PUBACK brings it again with DUP set, which is recognised by topic,
 * message id and payload and not queued twice.
 */
export class Zigbee2mqttSource {
  private client: MqttClient | null = null;
  /** zigbee2mqtt friendly name → IEEE address, from bridge/devices */
  private readonly ieeeOf = new Map<string, string>();
  private readonly memory = new Map<string, DeviceMemory>();
  private readonly unknownLogged = new Set<string>();
  private readonly messages;
  private readonly notes;
  private readonly localDevices;
  private readonly bridgeUp;
  private bridgeState: 'online' | 'offline' | 'unknown' = 'unknown';
  private states = 0;
  private subscribed!: Promise<void>;

  constructor(private readonly o: Zigbee2mqttSourceOptions) {
    this.messages = o.metrics.counter(
      'tryghed_gateway_local_messages_total',
      'zigbee2mqtt messages by what became of them',
      ['outcome'],
    );
    this.notes = o.metrics.counter(
      'tryghed_gateway_local_unmappable_total',
      'Values in zigbee2mqtt messages that were not forwarded, by sensor key and reason',
      ['key', 'note'],
    );
    this.localDevices = o.metrics.gauge(
      'tryghed_gateway_local_devices',
      'Devices in zigbee2mqtt, mapped to a platform device or not',
      ['mapped'],
    );
    this.bridgeUp = o.metrics.gauge(
      'tryghed_gateway_zigbee2mqtt_online',
      '1 while zigbee2mqtt says it is online',
    );
  }

  async start(): Promise<void> {
    const saved = this.o.gateway.outbox.getValue(NAMES_KEY);
    if (saved) {
      for (const [name, ieee] of JSON.parse(saved) as Array<[string, string]>) this.ieeeOf.set(name, ieee);
    }
    const client = mqtt.connect(this.o.url, {
      clientId: this.o.clientId,
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
      protocolVersion: 4,
      // a persistent session: QoS 1 messages wait for us at the local broker while we restart
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 60,
    });
    this.client = client;
    client.handleMessage = (packet, callback) => {
      try {
        this.onPacket(packet);
      } catch (err) {
        // The outbox could not be written (disk full?). No PUBACK: the broker keeps the message and
        // sends it again; closing the connection makes that happen now rather than never.
        this.o.logger.error({ err: (err as Error).message }, 'a local message could not be stored');
        client.stream.destroy();
        return;
      }
      callback();
    };
    let markSubscribed: () => void = () => undefined;
    this.subscribed = new Promise((resolve) => {
      markSubscribed = resolve;
    });
    client.on('connect', (connack) => {
      this.o.logger.info({ sessionPresent: connack.sessionPresent }, 'connected to the local broker');
      // Subscribed on every connect: a broker that lost our session must hear it again.
      client.subscribe(`${this.o.baseTopic}/#`, { qos: 1 }, (err) => {
        if (err) this.o.logger.error({ err: err.message }, 'subscribing to zigbee2mqtt failed');
        else markSubscribed();
      });
    });
    client.on('error', (err) => this.o.logger.warn({ err: err.message }, 'local broker error'));
    client.on('offline', () => this.o.logger.warn('local broker unreachable; retrying'));
  }

  /** resolves once the first subscription to zigbee2mqtt's topics is in place */
  ready(): Promise<void> {
    return this.subscribed;
  }

  /** state messages of mapped devices taken so far (stored, or found to need nothing) */
  handledStates(): number {
    return this.states;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.endAsync(true);
  }

  /**
   * One message from the local broker, taken synchronously (stored when this returns). Called by
   * mqtt.js before it acknowledges; public so a test can hand it a redelivered (DUP) packet.
   */
  onPacket(packet: IPublishPacket): void {
    const topic = parseLocalTopic(this.o.baseTopic, packet.topic);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    switch (topic.type) {
      case 'devices':
        this.onBridgeDevices(payload);
        return;
      case 'bridge_state':
        this.onBridgeState(payload);
        return;
      case 'availability':
        this.onAvailability(topic.name, payload);
        return;
      case 'state':
        this.onState(topic.name, packet, payload);
        return;
      default:
        this.count('ignored');
    }
  }

  private onBridgeDevices(payload: Buffer): void {
    this.count('bridge');
    let list: BridgeDevices;
    try {
      list = BridgeDevices.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.o.logger.warn('zigbee2mqtt bridge/devices is unreadable; device names stay as they were');
      return;
    }
    this.ieeeOf.clear();
    let mapped = 0;
    let unmapped = 0;
    const notMapped: string[] = [];
    for (const d of list) {
      if (d.type === 'Coordinator') continue;
      this.ieeeOf.set(d.friendly_name, d.ieee_address);
      if (this.entryOf(d.friendly_name)) mapped++;
      else {
        unmapped++;
        notMapped.push(d.ieee_address);
      }
    }
    this.o.gateway.outbox.setValue(NAMES_KEY, JSON.stringify([...this.ieeeOf]));
    this.localDevices.set({ mapped: 'yes' }, mapped);
    this.localDevices.set({ mapped: 'no' }, unmapped);
    this.o.logger.info(
      { mapped, unmapped, notMapped: notMapped.slice(0, 20) },
      'zigbee2mqtt device list read',
    );
  }

  private onBridgeState(payload: Buffer): void {
    this.count('bridge');
    const state = parseAvailability(payload);
    if (state !== 'online' && state !== 'offline') return;
    this.bridgeUp.set(state === 'online' ? 1 : 0);
    if (state !== this.bridgeState) {
      this.bridgeState = state;
      const log = state === 'online' ? this.o.logger.info : this.o.logger.warn;
      log.call(this.o.logger, { zigbee2mqtt: state }, 'zigbee2mqtt bridge state');
    }
  }

  private onAvailability(name: string, payload: Buffer): void {
    const found = this.entryOf(name);
    if (!found) {
      this.unknown(name);
      return;
    }
    const state = parseAvailability(payload);
    if (state === 'empty') {
      this.count('ignored');
      return;
    }
    if (state === 'unreadable') {
      this.notes.inc({ key: 'availability', note: 'unmappable' });
      this.o.logger.warn({ deviceId: found.deviceId }, 'unreadable availability message');
      this.count('unmappable');
      return;
    }
    this.count('availability');
    this.o.gateway.setAvailability(found.deviceId, state === 'online', this.o.clock.now());
  }

  private onState(name: string, packet: IPublishPacket, payload: Buffer): void {
    const entry = this.entryOf(name);
    if (!entry) {
      this.unknown(name);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      this.o.logger.warn({ deviceId: entry.deviceId }, 'a zigbee2mqtt message that is not a JSON object');
      this.count('invalid_json');
      return;
    }
    const outbox = this.o.gateway.outbox;
    const inboundKey = `${INBOUND_KEY}${packet.topic}`;
    const marker =
      packet.qos > 0 ? `${packet.messageId}:${createHash('sha1').update(payload).digest('base64')}` : null;
    if (packet.dup && marker && outbox.getValue(inboundKey) === marker) {
      // stored before a restart cut the PUBACK: acknowledged now, not queued twice
      this.states++;
      this.count('duplicate');
      return;
    }
    const now = this.o.clock.now();
    const before = this.memoryOf(entry.deviceId);
    const mapped = mapDeviceState(entry.kinds, entry.keys, body as Record<string, unknown>, before, now);
    const memory = mapped.memory;
    const wantsHeartbeat =
      mapped.readings.length === 0 &&
      entry.kinds.includes('heartbeat') &&
      now - (memory.sentAt ?? 0) >= this.o.heartbeatMs;
    const readings = wantsHeartbeat ? [{ kind: 'heartbeat' as const, value: 1 }] : mapped.readings;
    if (readings.length > 0) memory.sentAt = now;
    outbox.transaction(() => {
      for (const r of readings) this.o.gateway.queue(entry.deviceId, r.kind, r.value, now);
      outbox.setValue(`${MEMORY_KEY}${entry.deviceId}`, JSON.stringify(memory));
      if (marker) outbox.setValue(inboundKey, marker);
    });
    this.memory.set(entry.deviceId, memory);
    for (const n of mapped.notes) {
      this.notes.inc({ key: n.key, note: n.note });
      if (n.note === 'unmappable') {
        this.o.logger.warn(
          { deviceId: entry.deviceId, key: n.key },
          'a value the gateway cannot map; not forwarded',
        );
      } else {
        this.o.logger.info(
          { deviceId: entry.deviceId, key: n.key },
          'self test of a detector; not forwarded as an alarm',
        );
      }
    }
    this.states++;
    if (mapped.readings.length > 0) this.count('forwarded');
    else if (mapped.notes.some((n) => n.note === 'unmappable')) this.count('unmappable');
    else if (mapped.notes.some((n) => n.note === 'self_test')) this.count('self_test');
    else this.count('unchanged');
    if (readings.length > 0) this.o.gateway.flush();
  }

  private entryOf(name: string): DeviceMapEntry | undefined {
    const devices = this.o.devices;
    if (Object.hasOwn(devices, name)) return devices[name];
    const ieee = this.ieeeOf.get(name);
    return ieee && Object.hasOwn(devices, ieee) ? devices[ieee] : undefined;
  }

  private memoryOf(deviceId: string): DeviceMemory {
    let m = this.memory.get(deviceId);
    if (!m) {
      const saved = this.o.gateway.outbox.getValue(`${MEMORY_KEY}${deviceId}`);
      m = saved ? (JSON.parse(saved) as DeviceMemory) : { values: {} };
      this.memory.set(deviceId, m);
    }
    return m;
  }

  private unknown(name: string): void {
    this.count('unknown_device');
    if (this.unknownLogged.has(name) || this.unknownLogged.size >= UNKNOWN_LOGGED_MAX) return;
    this.unknownLogged.add(name);
    // the IEEE address when zigbee2mqtt told us, so the technician can add it to the device map
    this.o.logger.warn(
      { device: this.ieeeOf.get(name) ?? name },
      'a zigbee2mqtt device that is not in the device map; its messages are not forwarded',
    );
  }

  private count(outcome: Outcome): void {
    this.messages.inc({ outcome });
  }
}
