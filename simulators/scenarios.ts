import type { SensorKind } from '../services/domain/index.ts';
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
  steps: ScenarioStep[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The scenarios, each a plain list of steps; `routine` is generated from the seed. */
export function scenario(name: ScenarioName, seed = 1): Scenario {
  switch (name) {
    case 'alarm':
      return {
        name,
        description: 'The citizen presses the alarm button',
        steps: [{ at: 0, device: 'button', kind: 'alarm_button', value: 1 }],
      };
    case 'fall':
      return {
        name,
        description: 'A fall is detected',
        steps: [{ at: 0, device: 'fall', kind: 'fall', value: 1 }],
      };
    case 'smoke':
      return {
        name,
        description: 'Smoke in the kitchen, clear after a minute',
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
        steps: [{ at: 0, device: 'motion', kind: 'motion', value: 1 }],
      };
    case 'all':
      return {
        name,
        description: 'Alarm button, fall and smoke, a few seconds apart',
        steps: [
          { at: 0, device: 'button', kind: 'alarm_button', value: 1 },
          { at: 3000, device: 'fall', kind: 'fall', value: 1 },
          { at: 6000, device: 'smoke', kind: 'smoke', value: 1 },
          { at: 66_000, device: 'smoke', kind: 'smoke', value: 0 },
        ],
      };
    case 'routine':
      return { name, description: 'A plausible day at home, from the seed', steps: routineDay(seed) };
  }
}

export const SCENARIO_NAMES = ['alarm', 'fall', 'smoke', 'inactivity', 'routine', 'all'] as const;
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
    for (const device of ['button', 'fall', 'smoke', 'motion', 'door', 'bed', 'leak']) {
      steps.push({ at: t + Math.floor(rnd() * 1000), device, kind: 'heartbeat', value: 1 });
    }
  }
  for (const device of ['button', 'fall', 'smoke', 'motion', 'door', 'bed', 'leak']) {
    steps.push({ at: Math.floor(rnd() * HOUR), device, kind: 'battery', value: 60 + Math.floor(rnd() * 40) });
  }
  steps.push({ at: sleep - 7 * HOUR, device: 'bed', kind: 'bed', value: 1 });
  return steps.sort((a, b) => a.at - b.at);
}
