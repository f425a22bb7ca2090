import type { SensorKind } from '../../services/domain/index.ts';

/**
 * zigbee2mqtt device state → our readings, per sensor kind. Every key, type and value below comes
 * from zigbee-herdsman-converters (the converters zigbee2mqtt runs) or zigbee2mqtt itself; the table
 * with the models and source files is in docs/zigbee2mqtt.md. What real devices do, and how it is met:
 * - zigbee2mqtt repeats the whole cached state in every message (`advanced.cache_state`, default on):
 *   state kinds are forwarded on change only, against the last value kept per device (on disk);
 * - `action` is not cached (zigbee2mqtt lib/state.ts CACHE_IGNORE_PROPERTIES), so each message with
 *   a press value is one press; the empty `action` sent after it (Home Assistant's
 *   `legacy_action_sensor`, lib/extension/homeassistant.ts) and `null` are not presses;
 * - keys are `null` until the device first reports them: ignored, never taken as "clear";
 * - a smoke or CO alarm's test button sets `test: true` with the alarm bit
 *   (develco.ts ias_smoke_alarm_1_develco: bit 0 smoke, bit 8 test): not forwarded as an alarm.
 */

export type Scalar = string | number | boolean | null;

/** A technician's own reading of a key, for devices whose keys differ (a pressure mat on a contact input). */
export interface CustomKey {
  kind: SensorKind;
  key: string;
  /** values that mean 1 (pressed, detected, in bed, open) */
  on: Scalar[];
  /** values that mean 0; absent: nothing is sent for them */
  off?: Scalar[];
}

/** What the gateway remembers per device between messages (and restarts). */
export interface DeviceMemory {
  /** last value seen per key we read */
  values: Record<string, Scalar>;
  /** when motion was last forwarded (ms) */
  motionAt?: number;
  /** when anything was last forwarded (ms), for heartbeats */
  sentAt?: number;
  /** the device reports a battery percentage; battery_low is then not needed */
  batteryPercent?: boolean;
}

export type Note =
  /** a key we read carried a value we do not understand: counted, logged, never guessed */
  | 'unmappable'
  /** a smoke/CO detector's self test */
  | 'self_test';

export interface Mapped {
  readings: Array<{ kind: SensorKind; value: number }>;
  notes: Array<{ note: Note; key: string }>;
  memory: DeviceMemory;
}

/**
 * Action values that are a press of an alarm button. Frient SBTZB-110 and Sonoff SNZB-01:
 * single/double/long (fromZigbee.ts ewelink_action); Heiman HS1EB: single/double/hold, and `off`
 * when the zone is restored (fromZigbee.ts command_status_change_notification_action); Aqara
 * WXKG11LM: single…quadruple, hold, and `release` after a hold; Tuya TS0215A_sos and Frient
 * KEPZB-110: emergency (fromZigbee.ts command_emergency); a multi-endpoint device adds `_<endpoint>`.
 */
const PRESS = new Set([
  'single',
  'double',
  'triple',
  'quadruple',
  'many',
  'hold',
  'long',
  'press',
  'emergency',
  'sos',
  'panic',
]);
const NOT_A_PRESS = new Set(['', 'release', 'off']);

/** A CO detector that only says "alarm": EN 50291 detectors alarm at 50 ppm at the lowest; our default threshold. */
export const CO_ALARM_PPM = 50;
/** A device that only says "battery low" (no percentage): forwarded as this, under every sensible threshold. */
export const BATTERY_LOW_PERCENT = 10;
/** …and when it says the battery is fine again (replaced): at or above the re-arm level. */
export const BATTERY_OK_PERCENT = 100;
/** motion held `true` is forwarded again at most this often */
const MOTION_REPEAT_MS = 60_000;

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** zigbee2mqtt booleans, plus the "ON"/"OFF" some Tuya converters send (tuya.ts DCR-CO) */
function toBool(v: unknown): boolean | null | undefined {
  if (isBool(v)) return v;
  if (v === 'ON' || v === 'on') return true;
  if (v === 'OFF' || v === 'off') return false;
  return undefined;
}

class Reader {
  readonly out: Mapped;
  constructor(
    private readonly payload: Record<string, unknown>,
    private readonly before: DeviceMemory,
  ) {
    this.out = { readings: [], notes: [], memory: { ...before, values: { ...before.values } } };
  }

  has(key: string): boolean {
    return key in this.payload && this.payload[key] !== null && this.payload[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.payload[key];
  }

  previous(key: string): Scalar | undefined {
    return this.before.values[key];
  }

  remember(key: string, value: Scalar): void {
    this.out.memory.values[key] = value;
  }

  emit(kind: SensorKind, value: number): void {
    this.out.readings.push({ kind, value });
  }

  note(note: Note, key: string): void {
    this.out.notes.push({ note, key });
  }

  /** a boolean key, forwarded as 1/0 when it changed (first report included) */
  edge(key: string, kind: SensorKind, map: (v: boolean) => number | null = (v) => (v ? 1 : 0)): void {
    if (!this.has(key)) return;
    const v = toBool(this.raw(key));
    if (v === undefined || v === null) {
      this.note('unmappable', key);
      return;
    }
    if (this.previous(key) !== v) {
      const value = map(v);
      if (value !== null) this.emit(kind, value);
    }
    this.remember(key, v);
  }

  get selfTest(): boolean {
    return this.raw('test') === true;
  }
}

type KindReader = (r: Reader, now: number) => void;

const READERS: Record<Exclude<SensorKind, 'heartbeat'>, KindReader> = {
  alarm_button(r) {
    if (r.has('action')) {
      const action = r.raw('action');
      if (typeof action !== 'string') r.note('unmappable', 'action');
      else if (isPress(action)) r.emit('alarm_button', 1);
      else if (!NOT_A_PRESS.has(action) && !action.endsWith('_release')) r.note('unmappable', 'action');
    }
    // Feibit SEB01ZB and other IAS "sos" zones: e.sos(), true while pressed
    r.edge('sos', 'alarm_button', (v) => (v ? 1 : null));
  },

  fall(r) {
    // Tuya MIR-HE200-TY: fall_down_status none | maybe_fall | fall (tuya.ts); only "fall" is a fall
    if (r.has('fall_down_status')) {
      const v = r.raw('fall_down_status');
      if (v !== 'none' && v !== 'maybe_fall' && v !== 'fall') r.note('unmappable', 'fall_down_status');
      else {
        if (v === 'fall' && r.previous('fall_down_status') !== 'fall') r.emit('fall', 1);
        r.remember('fall_down_status', v);
      }
    }
    // OWON FDS315: status unoccupied | occupied | sitting | on_the_bed | low_posture | falling (owon.ts)
    if (r.has('status')) {
      const v = r.raw('status');
      if (typeof v !== 'string') r.note('unmappable', 'status');
      else {
        if (v === 'falling' && r.previous('status') !== 'falling') r.emit('fall', 1);
        r.remember('status', v);
      }
    }
  },

  smoke(r) {
    if (!r.has('smoke')) return;
    if (r.selfTest) {
      // the test button is not a fire; the state is not remembered, so a real alarm after it counts
      r.note('self_test', 'smoke');
      return;
    }
    r.edge('smoke', 'smoke');
  },

  co(r) {
    if (r.selfTest && (r.has('carbon_monoxide') || r.has('co'))) {
      r.note('self_test', 'co');
      return;
    }
    // a measured level (e.co(), ppm) is forwarded as it is, on change
    const ppm = num(r.raw('co'));
    if (r.has('co') && ppm === null) r.note('unmappable', 'co');
    if (ppm !== null) {
      if (r.previous('co') !== ppm) r.emit('co', ppm);
      r.remember('co', ppm);
      return;
    }
    // otherwise the detector's own verdict: e.carbon_monoxide() true/false, or "ON"/"OFF" (Tuya DCR-CO)
    r.edge('carbon_monoxide', 'co', (v) => (v ? CO_ALARM_PPM : 0));
  },

  water_leak(r) {
    r.edge('water_leak', 'water_leak');
  },

  temperature(r) {
    if (!r.has('temperature')) return;
    const t = num(r.raw('temperature'));
    if (t === null || t < -60 || t > 120) {
      r.note('unmappable', 'temperature');
      return;
    }
    if (r.previous('temperature') !== t) r.emit('temperature', t);
    r.remember('temperature', t);
  },

  motion(r, now) {
    if (!r.has('occupancy')) return;
    const v = toBool(r.raw('occupancy'));
    if (v === undefined || v === null) {
      r.note('unmappable', 'occupancy');
      return;
    }
    // Motion is an event: forwarded when it starts, and again while it lasts at most once a minute
    // (a cached `occupancy: true` repeated with a battery report is not new movement).
    const last = r.out.memory.motionAt ?? 0;
    if (v && (r.previous('occupancy') !== true || now - last >= MOTION_REPEAT_MS)) {
      r.emit('motion', 1);
      r.out.memory.motionAt = now;
    }
    r.remember('occupancy', v);
  },

  door(r) {
    // e.contact(): true = closed, false = open (exposes.ts); our door: 1 = open
    r.edge('contact', 'door', (closed) => (closed ? 0 : 1));
  },

  bed(r) {
    // occupancy or presence sensors under the mattress: true = in bed
    r.edge('occupancy', 'bed');
    r.edge('presence', 'bed');
    // a vibration sensor on the bed frame (Aqara DJT11LM e.vibration()): movement says someone is in
    // bed; its end says nothing
    r.edge('vibration', 'bed', (v) => (v ? 1 : null));
  },

  battery(r) {
    if (r.has('battery')) {
      const pct = num(r.raw('battery'));
      if (pct === null || pct < 0 || pct > 100) r.note('unmappable', 'battery');
      else {
        r.out.memory.batteryPercent = true;
        if (r.previous('battery') !== pct) r.emit('battery', pct);
        r.remember('battery', pct);
      }
    }
    // only for devices that never give a percentage (IAS zone battery_low bit)
    if (!r.out.memory.batteryPercent) {
      r.edge('battery_low', 'battery', (low) => (low ? BATTERY_LOW_PERCENT : BATTERY_OK_PERCENT));
    }
  },
};

function isPress(action: string): boolean {
  if (NOT_A_PRESS.has(action) || action.endsWith('_release')) return false;
  return PRESS.has(action) || PRESS.has(action.split('_')[0] ?? '');
}

/**
 * Readings for one zigbee2mqtt state message of a device that reports `kinds`. `custom` keys replace
 * the built-in reading of their kind. Pure: the caller keeps `memory` for the next message.
 */
export function mapDeviceState(
  kinds: readonly SensorKind[],
  custom: readonly CustomKey[],
  payload: Record<string, unknown>,
  memory: DeviceMemory,
  now: number,
): Mapped {
  const r = new Reader(payload, memory);
  for (const kind of kinds) {
    const own = custom.filter((c) => c.kind === kind);
    if (own.length > 0) {
      for (const c of own) readCustom(r, c);
      continue;
    }
    if (kind !== 'heartbeat') READERS[kind](r, now);
  }
  return r.out;
}

function readCustom(r: Reader, c: CustomKey): void {
  if (!r.has(c.key)) return;
  const v = r.raw(c.key) as Scalar;
  const on = c.on.includes(v);
  const off = c.off?.includes(v) ?? false;
  if (!on && !off) {
    // a value in neither list is noted only if the technician gave both lists
    if (c.off) r.note('unmappable', c.key);
    r.remember(c.key, v);
    return;
  }
  // a button press is an event (action is not cached): every press counts; the rest on change
  if (c.kind === 'alarm_button' ? on : r.previous(c.key) !== v) r.emit(c.kind, on ? 1 : 0);
  r.remember(c.key, v);
}
