import { z } from 'zod';

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
export const SensorKind = z.enum(SENSOR_KINDS);
export type SensorKind = z.infer<typeof SensorKind>;

/** Kinds of monitoring a citizen consents to, one by one. */
export const CONSENT_CATEGORIES = ['emergency', 'environment', 'activity', 'door', 'sleep'] as const;
export const ConsentCategory = z.enum(CONSENT_CATEGORIES);
export type ConsentCategory = z.infer<typeof ConsentCategory>;

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

/** What a reading's value means, per kind; used by the simulator, the UI and the docs. */
export const SENSOR_VALUE_MEANING: Record<SensorKind, string> = {
  alarm_button: '1 = pressed',
  fall: '1 = fall detected',
  smoke: '1 = smoke detected, 0 = clear',
  co: 'CO in ppm',
  water_leak: '1 = water detected, 0 = dry',
  temperature: 'degrees Celsius',
  motion: '1 = motion seen',
  door: '1 = open, 0 = closed',
  bed: '1 = in bed, 0 = out of bed',
  heartbeat: 'any value; the device is alive',
  battery: 'charge in percent (0-100)',
};
