import { SENSOR_KINDS } from '../../../../services/domain/shared/sensor-kinds.ts';
import { currentLang, hasMessage, section } from '../messages/index.ts';

/** A string of the home view and the technician page (the catalog's `home` section). */
export const tx = section('home');

const UNITS: Record<string, string> = { temperature: '°C', co: 'ppm', battery: '%' };
const BINARY = new Set(['alarm_button', 'fall', 'smoke', 'water_leak', 'motion', 'door', 'bed']);

export const isBinaryKind = (kind: string): boolean => BINARY.has(kind);

/** A reading's value as words or with its unit: "åben", "21,5 °C". */
export function formatValue(kind: string, value: number): string {
  if (BINARY.has(kind)) {
    const specific = `${kind}_${value >= 1 ? 1 : 0}`;
    if (hasMessage('home', specific)) return tx(specific);
    return tx(value >= 1 ? 'value_on' : 'value_off');
  }
  const n = new Intl.NumberFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    maximumFractionDigits: 1,
  }).format(value);
  return UNITS[kind] ? `${n} ${UNITS[kind]}` : n;
}

export { SENSOR_KINDS };
