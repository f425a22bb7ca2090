import { describe, expect, it } from 'vitest';
import { GatewayConfigError, HomeGateway, loadGatewayConfig, Zigbee2mqttSource } from '../gateway/index.ts';
import { type DeviceMemory, mapDeviceState } from '../gateway/zigbee2mqtt/mapping.ts';
import { parseAvailability, parseLocalTopic } from '../gateway/zigbee2mqtt/messages.ts';
import type { SensorKind } from '../services/domain/index.ts';
import { Metrics, silentLogger, systemClock } from '../services/runtime/index.ts';
import { AVAILABILITY, STATE } from './fixtures/zigbee2mqtt.ts';

/** Plays messages through the mapping as the gateway does, keeping the device's memory between them. */
function play(
  kinds: SensorKind[],
  messages: Array<Record<string, unknown>>,
  custom: Parameters<typeof mapDeviceState>[1] = [],
) {
  let memory: DeviceMemory = { values: {} };
  let now = 1_000_000;
  return messages.map((m) => {
    now += 1000;
    const out = mapDeviceState(kinds, custom, m, memory, now);
    memory = out.memory;
    return { readings: out.readings, notes: out.notes.map((n) => `${n.note}:${n.key}`) };
  });
}
const values = (steps: ReturnType<typeof play>, kind: SensorKind) =>
  steps.map((s) => s.readings.filter((r) => r.kind === kind).map((r) => r.value));

describe('zigbee2mqtt state → readings', () => {
  it('alarm button: every press is one alarm; the empty action after it, null and a release are not', () => {
    const steps = play(
      ['alarm_button'],
      [STATE.buttonPress, STATE.buttonCleared, { action: null }, STATE.buttonPress, { action: 'release' }],
    );
    expect(values(steps, 'alarm_button')).toEqual([[1], [], [], [1], []]);
  });

  it('alarm button: vendor values (Heiman off = restore, Tuya emergency, Aqara hold) and an unknown one', () => {
    const steps = play(
      ['alarm_button'],
      [
        { action: 'off' },
        { action: 'emergency' },
        { action: 'hold' },
        { action: 'arm_all_zones' },
        { sos: true },
      ],
    );
    expect(values(steps, 'alarm_button')).toEqual([[], [1], [1], [], [1]]);
    expect(steps[3]!.notes).toEqual(['unmappable:action']);
  });

  it('fall: only "fall" (Tuya radar) or "falling" (OWON FDS315) is a fall, once per event', () => {
    const steps = play(
      ['fall'],
      [STATE.fallNone, STATE.fallMaybe, STATE.fall, STATE.fall, STATE.fallNone, STATE.fall],
    );
    expect(values(steps, 'fall')).toEqual([[], [], [1], [], [], [1]]);
    const owon = play(['fall'], [{ status: 'sitting' }, { status: 'falling' }, { status: 'falling' }]);
    expect(values(owon, 'fall')).toEqual([[], [1], []]);
  });

  it('smoke: null before the first event is nothing, the test button is not a fire, a repeated state is not a new alarm', () => {
    const steps = play(
      ['smoke', 'battery', 'temperature'],
      [STATE.smokeFirst, STATE.smokeClear, STATE.smokeTestButton, STATE.smokeClear, STATE.smoke, STATE.smoke],
    );
    expect(values(steps, 'smoke')).toEqual([[], [0], [], [], [1], []]);
    expect(steps[0]!.readings).toEqual([]);
    expect(steps[2]!.notes).toEqual(['self_test:smoke']);
    // the whole state is repeated: battery and temperature only when they change
    expect(values(steps, 'battery')).toEqual([[], [100], [], [], [], []]);
    expect(values(steps, 'temperature')).toEqual([[], [21], [], [], [], []]);
  });

  it('CO: a detector that says alarm/clear (boolean or "ON"/"OFF") gives the alarm level; a measured level is passed on', () => {
    expect(values(play(['co'], [STATE.coClear, STATE.co, STATE.co, STATE.coClear]), 'co')).toEqual([
      [0],
      [50],
      [],
      [0],
    ]);
    expect(values(play(['co'], [{ carbon_monoxide: 'OFF' }, { carbon_monoxide: 'ON' }]), 'co')).toEqual([
      [0],
      [50],
    ]);
    // Tuya DCR-CO sends both; the level wins
    expect(values(play(['co'], [{ carbon_monoxide: 'ON', co: 85 }]), 'co')).toEqual([[85]]);
  });

  it('water leak, door (contact false = open), motion (starts, then at most once a minute)', () => {
    expect(values(play(['water_leak'], [STATE.leakDry, STATE.leak, STATE.leak]), 'water_leak')).toEqual([
      [0],
      [1],
      [],
    ]);
    expect(
      values(play(['door'], [STATE.doorClosed, STATE.doorOpen, STATE.doorOpen, STATE.doorClosed]), 'door'),
    ).toEqual([[0], [1], [], [0]]);
    expect(
      values(
        play(['motion'], [STATE.still, STATE.motion, STATE.motion, STATE.still, STATE.motion]),
        'motion',
      ),
    ).toEqual([[], [1], [], [], [1]]);
  });

  it('bed: occupancy or presence, vibration only as "in bed", or the technician’s own key (a pad on a contact input)', () => {
    expect(values(play(['bed'], [{ occupancy: true }, { occupancy: false }]), 'bed')).toEqual([[1], [0]]);
    expect(values(play(['bed'], [{ vibration: true }, { vibration: false }]), 'bed')).toEqual([[1], []]);
    const pad = play(
      ['bed'],
      [STATE.inBed, STATE.outOfBed, STATE.outOfBed],
      [{ kind: 'bed', key: 'contact', on: [false], off: [true] }],
    );
    expect(values(pad, 'bed')).toEqual([[1], [0], []]);
  });

  it('battery: the percentage on change; battery_low only for devices without one', () => {
    expect(
      values(play(['battery'], [{ battery: 80 }, { battery: 80, battery_low: true }]), 'battery'),
    ).toEqual([[80], []]);
    expect(values(play(['battery'], [{ battery_low: false }, { battery_low: true }]), 'battery')).toEqual([
      [100],
      [10],
    ]);
  });

  it('a value of the wrong type is noted, never guessed', () => {
    const steps = play(['door', 'temperature'], [{ contact: 'maybe', temperature: '21' }]);
    expect(steps[0]!.readings).toEqual([]);
    expect(steps[0]!.notes).toEqual(['unmappable:contact', 'unmappable:temperature']);
  });
});

describe('zigbee2mqtt topics and availability', () => {
  it('availability of 1.x (plain) and 2.x (JSON); an empty retained message is a clear', () => {
    expect(parseAvailability(Buffer.from(AVAILABILITY.v1Offline))).toBe('offline');
    expect(parseAvailability(Buffer.from(AVAILABILITY.v2Online))).toBe('online');
    expect(parseAvailability(Buffer.from(''))).toBe('empty');
    expect(parseAvailability(Buffer.from('{"state":"away"}'))).toBe('unreadable');
  });

  it('friendly names with slashes; commands and bridge topics are not device state', () => {
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/hall/front_door')).toEqual({
      type: 'state',
      name: 'hall/front_door',
    });
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/hall/front_door/availability')).toEqual({
      type: 'availability',
      name: 'hall/front_door',
    });
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/hall/lamp/set')).toEqual({ type: 'other' });
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/hall/lamp/set/state')).toEqual({ type: 'other' });
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/bridge/devices')).toEqual({ type: 'devices' });
    expect(parseLocalTopic('zigbee2mqtt', 'zigbee2mqtt/bridge/logging')).toEqual({ type: 'other' });
  });
});

describe('gateway config', () => {
  it('names every problem at once, by file key and variable, without echoing the secret', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        GATEWAY_PLATFORM_URL: 'http://example.org',
        GATEWAY_HOME_ID: 'h 1',
        GATEWAY_SECRET: 'short-secret',
        GATEWAY_OUTBOX_MAX_ROWS: 'lots',
        GATEWAY_DEVICES: '{"0x01":{"deviceId":"d1","kinds":["laser"]}}',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    const message = (error as Error).message;
    for (const named of [
      'platform.url (GATEWAY_PLATFORM_URL)',
      'platform.homeId (GATEWAY_HOME_ID)',
      'platform.gatewayId (GATEWAY_ID)',
      'platform.secret (GATEWAY_SECRET)',
      'outbox.maxRows (GATEWAY_OUTBOX_MAX_ROWS)',
      'devices.0x01.kinds.0 (GATEWAY_DEVICES)',
    ]) {
      expect(message).toContain(named);
    }
    expect(message).not.toContain('short-secret');
  });

  it('warns when the platform is reached without TLS over the network', () => {
    const config = loadGatewayConfig({
      GATEWAY_PLATFORM_URL: 'mqtt://tryghed.example.org:1883',
      GATEWAY_HOME_ID: 'h1',
      GATEWAY_ID: 'h1-gw',
      GATEWAY_SECRET: 'a-secret-of-some-length',
    });
    expect(config.warnings.join()).toMatch(/unencrypted/);
    expect(config.local.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.local.baseTopic).toBe('zigbee2mqtt');
  });
});

describe('zigbee2mqtt source: a redelivery after a cut PUBACK', () => {
  it('a DUP packet it already stored (same topic, message id and payload) is acknowledged, not queued twice', async () => {
    const gateway = new HomeGateway({
      brokerUrl: 'mqtt://127.0.0.1:1',
      homeId: 'h1',
      gatewayId: 'h1-gw',
      secret: 'never-used-here-0123',
      logger: silentLogger(),
    });
    const metrics = new Metrics();
    const source = new Zigbee2mqttSource({
      url: 'mqtt://127.0.0.1:1',
      baseTopic: 'zigbee2mqtt',
      clientId: 'h1-gw-zigbee2mqtt',
      devices: { 'hall/alarm_button': { deviceId: 'h1-button', kinds: ['alarm_button'], keys: [] } },
      gateway,
      logger: silentLogger(),
      metrics,
      clock: systemClock,
      heartbeatMs: 300_000,
    });
    const packet = (payload: unknown, messageId: number, dup: boolean) =>
      ({
        cmd: 'publish',
        topic: 'zigbee2mqtt/hall/alarm_button',
        payload: Buffer.from(JSON.stringify(payload)),
        qos: 1,
        messageId,
        dup,
        retain: false,
      }) as const;
    // a press is an event: without the check, the redelivery would be a second press
    source.onPacket(packet(STATE.buttonPress, 7, false));
    expect(gateway.pending()).toBe(1);
    source.onPacket(packet(STATE.buttonPress, 7, true));
    expect(gateway.pending()).toBe(1);
    expect(await metrics.value('tryghed_gateway_local_messages_total', { outcome: 'duplicate' })).toBe(1);
    // a DUP with another message id is another press
    source.onPacket(packet(STATE.buttonPress, 8, true));
    expect(gateway.pending()).toBe(2);
    gateway.outbox.close();
  });
});
