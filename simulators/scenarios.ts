import type { RuleKind, SensorKind } from '../services/domain/index.ts';
import { seededRandom } from './random.ts';

/** One reading to send, `at` ms (virtual time) after the scenario starts. */
export interface ScenarioStep {
  at: number;
  device: string;
  kind: SensorKind;
  value: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** home settings the scenario needs to show its effect */
  settings?: Record<string, unknown>;
  /** the rules a technician should see fire (each once) when the home has full consent */
  expects: RuleKind[];
  steps: ScenarioStep[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** a night window covering (almost) the whole day, so a night scenario works whenever it is run */
const ALL_NIGHT = { start: '00:00', end: '23:59' };
const KIT = ['button', 'fall', 'smoke', 'motion', 'door', 'bed', 'leak'];

/** every device but the leak sensor sends a heartbeat every 5 minutes for 15 minutes */
function deviceOffline(): ScenarioStep[] {
  const steps: ScenarioStep[] = [{ at: 0, device: 'leak', kind: 'heartbeat', value: 1 }];
  for (let t = 0; t <= 15 * MIN; t += 5 * MIN) {
    for (const device of KIT)
      if (device !== 'leak') steps.push({ at: t, device, kind: 'heartbeat', value: 1 });
  }
  return steps.sort((a, b) => a.at - b.at);
}

/** The scenarios, each a plain list of steps; `routine` is generated from the seed. */
export function scenario(name: ScenarioName, seed = 1): Scenario {
  switch (name) {
    case 'alarm':
      return {
        name,
        description: 'The citizen presses the alarm button',
        expects: ['alarm_button'],
        steps: [{ at: 0, device: 'button', kind: 'alarm_button', value: 1 }],
      };
    case 'fall':
      return {
        name,
        description: 'A fall is detected',
        expects: ['fall'],
        steps: [{ at: 0, device: 'fall', kind: 'fall', value: 1 }],
      };
    case 'smoke':
      return {
        name,
        description: 'Smoke in the kitchen, clear after a minute',
        expects: ['smoke'],
        steps: [
          { at: 0, device: 'smoke', kind: 'smoke', value: 1 },
          { at: MIN, device: 'smoke', kind: 'smoke', value: 0 },
        ],
      };
    case 'inactivity':
      return {
        name,
        description: 'Motion once, then silence: the inactivity rule fires after 5 minutes (all-day window)',
        settings: { inactivity: { minutes: 5, windows: [{ start: '00:00', end: '23:59' }] } },
        expects: ['inactivity'],
        steps: [{ at: 0, device: 'motion', kind: 'motion', value: 1 }],
      };
    case 'all':
      return {
        name,
        description: 'Alarm button, fall and smoke, a few seconds apart',
        expects: ['alarm_button', 'fall', 'smoke'],
        steps: [
          { at: 0, device: 'button', kind: 'alarm_button', value: 1 },
          { at: 3000, device: 'fall', kind: 'fall', value: 1 },
          { at: 6000, device: 'smoke', kind: 'smoke', value: 1 },
          { at: 66_000, device: 'smoke', kind: 'smoke', value: 0 },
        ],
      };
    case 'routine':
      return {
        name,
        description: 'A plausible day at home from 07:00, from the seed; it should raise no alert at all',
        expects: [],
        steps: routineDay(seed),
      };
    case 'co':
      return {
        name,
        description: 'The CO level in the kitchen rises from 20 to 80 ppm (critical at 50 ppm)',
        expects: ['co'],
        steps: [
          { at: 0, device: 'smoke', kind: 'co', value: 20 },
          { at: 10_000, device: 'smoke', kind: 'co', value: 80 },
          { at: 20_000, device: 'smoke', kind: 'co', value: 85 },
        ],
      };
    case 'water_leak':
      return {
        name,
        description: 'Water on the bathroom floor, dry again after a minute',
        expects: ['water_leak'],
        steps: [
          { at: 0, device: 'leak', kind: 'water_leak', value: 1 },
          { at: MIN, device: 'leak', kind: 'water_leak', value: 0 },
        ],
      };
    case 'temperature_low':
      return {
        name,
        description:
          'The living room cools below 16 °C and stays there: alert after 1 minute (set for the test)',
        settings: { temperature: { minutes: 1 } },
        expects: ['temperature_low'],
        steps: [
          { at: 0, device: 'smoke', kind: 'temperature', value: 19.5 },
          { at: 5000, device: 'smoke', kind: 'temperature', value: 15.4 },
          { at: 35_000, device: 'smoke', kind: 'temperature', value: 15.1 },
          { at: 65_000, device: 'smoke', kind: 'temperature', value: 14.9 },
        ],
      };
    case 'temperature_high':
      return {
        name,
        description:
          'The living room heats above 28 °C and stays there: alert after 1 minute (set for the test)',
        settings: { temperature: { minutes: 1 } },
        expects: ['temperature_high'],
        steps: [
          { at: 0, device: 'smoke', kind: 'temperature', value: 26 },
          { at: 5000, device: 'smoke', kind: 'temperature', value: 28.6 },
          { at: 35_000, device: 'smoke', kind: 'temperature', value: 29.2 },
          { at: 65_000, device: 'smoke', kind: 'temperature', value: 29.8 },
        ],
      };
    case 'door_night':
      return {
        name,
        description:
          'At night the entrance door opens and closes behind the citizen, and no motion follows inside: ' +
          'alert after 1 minute (night set to 00:00-23:59 for the test)',
        settings: { night: ALL_NIGHT, doorNight: { minutes: 1 } },
        expects: ['door_night'],
        steps: [
          { at: 0, device: 'door', kind: 'door', value: 1 },
          { at: 20_000, device: 'door', kind: 'door', value: 0 },
        ],
      };
    case 'out_of_bed':
      return {
        name,
        description:
          'At night the citizen gets out of bed and is not back: alert after 1 minute ' +
          '(night set to 00:00-23:59 for the test)',
        settings: { night: ALL_NIGHT, outOfBed: { minutes: 1 } },
        expects: ['out_of_bed'],
        steps: [
          { at: 0, device: 'bed', kind: 'bed', value: 1 },
          { at: 5000, device: 'bed', kind: 'bed', value: 0 },
        ],
      };
    case 'device_offline':
      return {
        name,
        description:
          'The water-leak sensor reports once and falls silent while the others keep reporting: ' +
          'a technical alert after 2.5 report intervals (12.5 minutes at the default 300 s)',
        expects: ['device_offline'],
        steps: deviceOffline(),
      };
    case 'low_battery':
      return {
        name,
        description: 'The door sensor’s battery drops from 25 % to 18 %: a technical alert (below 20 %)',
        expects: ['low_battery'],
        steps: [
          { at: 0, device: 'door', kind: 'battery', value: 25 },
          { at: 10_000, device: 'door', kind: 'battery', value: 18 },
        ],
      };
  }
}

export const SCENARIO_NAMES = [
  'alarm',
  'fall',
  'smoke',
  'inactivity',
  'routine',
  'all',
  'co',
  'water_leak',
  'temperature_low',
  'temperature_high',
  'door_night',
  'out_of_bed',
  'device_offline',
  'low_battery',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * A day from 07:00: up from bed, moving about the home with quiet spells, the door now and then,
 * temperature every 15 minutes, heartbeats and battery reports, back to bed at night.
 */
export function routineDay(seed: number): ScenarioStep[] {
  const rnd = seededRandom(seed);
  const steps: ScenarioStep[] = [];
  const wake = 7 * HOUR + Math.floor(rnd() * HOUR);
  const sleep = 22 * HOUR + Math.floor(rnd() * HOUR);
  steps.push({ at: 0, device: 'bed', kind: 'bed', value: 1 });
  steps.push({ at: wake - 7 * HOUR, device: 'bed', kind: 'bed', value: 0 });
  for (let t = wake; t < sleep; t += 2 * MIN + Math.floor(rnd() * 20 * MIN)) {
    steps.push({ at: t - 7 * HOUR, device: 'motion', kind: 'motion', value: 1 });
    if (rnd() < 0.05) {
      steps.push({ at: t - 7 * HOUR + 1000, device: 'door', kind: 'door', value: 1 });
      steps.push({ at: t - 7 * HOUR + 30_000, device: 'door', kind: 'door', value: 0 });
    }
  }
  for (let t = 0; t < 24 * HOUR; t += 15 * MIN) {
    const hour = 7 + t / HOUR;
    const temp = 20.5 + Math.sin(((hour - 9) / 24) * 2 * Math.PI) * 1.5 + (rnd() - 0.5) * 0.4;
    steps.push({ at: t, device: 'smoke', kind: 'temperature', value: Math.round(temp * 10) / 10 });
  }
  for (let t = 0; t < 24 * HOUR; t += 10 * MIN) {
    for (const device of KIT) {
      steps.push({ at: t + Math.floor(rnd() * 1000), device, kind: 'heartbeat', value: 1 });
    }
  }
  for (const device of KIT) {
    steps.push({ at: Math.floor(rnd() * HOUR), device, kind: 'battery', value: 60 + Math.floor(rnd() * 40) });
  }
  steps.push({ at: sleep - 7 * HOUR, device: 'bed', kind: 'bed', value: 1 });
  return steps.sort((a, b) => a.at - b.at);
}
