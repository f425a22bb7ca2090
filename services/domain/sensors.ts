import { z } from 'zod';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory as ConsentCategoryType,
  SENSOR_KINDS,
  type SensorKind as SensorKindType,
} from './sensor-kinds.ts';

export {
  CONSENT_CATEGORIES,
  categoryOf,
  type ReadingCategory,
  SENSOR_KINDS,
  VALUE_RANGES,
  type ValueRange,
  valueInRange,
} from './sensor-kinds.ts';

export const SensorKind = z.enum(SENSOR_KINDS);
export type SensorKind = SensorKindType;

export const ConsentCategory = z.enum(CONSENT_CATEGORIES);
export type ConsentCategory = ConsentCategoryType;

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
