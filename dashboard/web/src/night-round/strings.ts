import { SENSOR_NAMES } from '../../../../services/domain/shared/information-texts.ts';
import type { SensorKind } from '../../../../services/domain/shared/sensor-kinds.ts';
import { currentLang, section } from '../messages/index.ts';

/** A string of the night round (the catalog's `night` section). */
export const nt = section('night');

/** "02:04" on the Copenhagen clock: the round speaks in the night's own times */
export function clockTime(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
}

/** "sengesensoren"-like: the sensor's name in running text */
export function sensorName(kind: string): string {
  const name = SENSOR_NAMES[kind as SensorKind];
  return name ? name[currentLang()].toLowerCase() : kind;
}

/** 16.4 → "16,4" in Danish */
export function degrees(value: number): string {
  return new Intl.NumberFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    maximumFractionDigits: 1,
  }).format(value);
}
