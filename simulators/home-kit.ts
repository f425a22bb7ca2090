import type { SensorKind } from '../services/domain/index.ts';

/** The devices of a simulated home, by role in the home; ids become `{homeId}-{suffix}`. */
export const HOME_KIT: Array<{ suffix: string; kinds: SensorKind[] }> = [
  { suffix: 'button', kinds: ['alarm_button', 'battery', 'heartbeat'] },
  { suffix: 'fall', kinds: ['fall', 'battery', 'heartbeat'] },
  { suffix: 'smoke', kinds: ['smoke', 'co', 'temperature', 'battery', 'heartbeat'] },
  { suffix: 'motion', kinds: ['motion', 'battery', 'heartbeat'] },
  { suffix: 'door', kinds: ['door', 'battery', 'heartbeat'] },
  { suffix: 'bed', kinds: ['bed', 'battery', 'heartbeat'] },
  { suffix: 'leak', kinds: ['water_leak', 'battery', 'heartbeat'] },
];

export const deviceId = (homeId: string, suffix: string) => `${homeId}-${suffix}`;
