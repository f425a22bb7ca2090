/**
 * Sensor kinds and consent categories as plain constants, without zod, so the browser app can
 * use the very same lists (services/domain/sensors.ts builds the schemas from them).
 * `services/domain/shared/` is the one folder outside dashboard/web the browser bundle may import:
 * no zod, no package, nothing of ours outside this folder (test/arrows.test.ts checks it).
 */

/** Every kind of sensor the platform understands (DOMAIN.md, "Typical monitoring and alert kinds"). */
export const SENSOR_KINDS = [
  'alarm_button',
  'fall',
  'smoke',
  'co',
  'water_leak',
  'temperature',
  'motion',
  'door',
  'bed',
  'heartbeat',
  'battery',
] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

/**
 * What consent to a category is for: staff get alerts; readings are kept and shown as history;
 * `care_record` ("deling med journal"): a handled alert is sent to the municipality's care record.
 * `night_round`: night staff see a plain summary of the category at the home's night-round times (issue 13 point 4).
 */
export const PURPOSES = ['alerts', 'history', 'care_record', 'night_round'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Kinds of monitoring a citizen consents to, one by one. */
export const CONSENT_CATEGORIES = ['emergency', 'environment', 'activity', 'door', 'sleep'] as const;
export type ConsentCategory = (typeof CONSENT_CATEGORIES)[number];

/**
 * Technical data (heartbeat, battery) is operational: it needs no consent, is stated openly
 * to the citizen, and only ever reaches technicians.
 */
export type ReadingCategory = ConsentCategory | 'technical';

const CATEGORY_OF: Record<SensorKind, ReadingCategory> = {
  alarm_button: 'emergency',
  fall: 'emergency',
  smoke: 'environment',
  co: 'environment',
  water_leak: 'environment',
  temperature: 'environment',
  motion: 'activity',
  door: 'door',
  bed: 'sleep',
  heartbeat: 'technical',
  battery: 'technical',
};

export function categoryOf(kind: SensorKind): ReadingCategory {
  return CATEGORY_OF[kind];
}

/**
 * The values a reading of each kind may carry (inclusive). A value outside is refused at ingest and
 * at the technician's test-reading route (`out_of_range`): a battery at 250 % or a door "2" is a
 * broken device, and believing it would raise or hide alerts. `integer` kinds are states (0/1).
 * Temperature follows the range common indoor sensors measure; CO the range of home CO alarms.
 */
export interface ValueRange {
  min: number;
  max: number;
  integer: boolean;
  unit: string;
}
const STATE: ValueRange = { min: 0, max: 1, integer: true, unit: '0/1' };
export const VALUE_RANGES: Record<SensorKind, ValueRange | null> = {
  alarm_button: STATE,
  fall: STATE,
  smoke: STATE,
  co: { min: 0, max: 10_000, integer: false, unit: 'ppm' },
  water_leak: STATE,
  temperature: { min: -40, max: 85, integer: false, unit: '°C' },
  motion: STATE,
  door: STATE,
  bed: STATE,
  /** any finite value: only its arrival matters */
  heartbeat: null,
  battery: { min: 0, max: 100, integer: false, unit: '%' },
};

/** Whether `value` (booleans as 1/0) is one a device of this kind can truly report. */
export function valueInRange(kind: SensorKind, value: number | boolean): boolean {
  const range = VALUE_RANGES[kind];
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (!Number.isFinite(v)) return false;
  if (!range) return true;
  if (range.integer && !Number.isInteger(v)) return false;
  return v >= range.min && v <= range.max;
}
