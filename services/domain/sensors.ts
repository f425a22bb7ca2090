import { z } from 'zod';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory as ConsentCategoryType,
  SENSOR_KINDS,
  type SensorKind as SensorKindType,
} from './shared/sensor-kinds.ts';

export {
  CONSENT_CATEGORIES,
  categoryOf,
  type ReadingCategory,
  SENSOR_KINDS,
  VALUE_RANGES,
  type ValueRange,
  valueInRange,
} from './shared/sensor-kinds.ts';

export const SensorKind = z.enum(SENSOR_KINDS);
export type SensorKind = SensorKindType;

export const ConsentCategory = z.enum(CONSENT_CATEGORIES);
export type ConsentCategory = ConsentCategoryType;

/**
 * Kinds whose reading can raise an alarm at once (the rules' immediate ones and CO): their
 * devices' messages are judged the moment they are read, never queued behind routine readings
 * (`services/ingest/routine-queue.ts`).
 */
export const ALARM_KINDS: ReadonlySet<SensorKind> = new Set<SensorKind>([
  'alarm_button',
  'fall',
  'smoke',
  'co',
  'water_leak',
]);
