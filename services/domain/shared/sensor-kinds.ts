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

/** What consent to a category is for: staff get alerts; readings are kept and shown as history. */
export const PURPOSES = ['alerts', 'history'] as const;
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
