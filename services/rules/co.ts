import { z } from 'zod';
import type { Reading } from '../domain/index.ts';
import type { Firing } from './firing.ts';
import { iso } from './firing.ts';
import { noChange, type PersistedRule } from './persist.ts';
import type { HomeRuleSettings } from './settings.ts';

const MIN = 60_000;

/**
 * co: a reading at or above `ppm` raises a critical alert at once. The level counts as cleared only
 * below `ppm - hysteresisPpm`; while it stays high, a further reading raises again at most every
 * `refireMinutes` (a repeat on the open alert, or a new alert if staff resolved it while the gas
 * is still there). A sensor flapping around the threshold therefore gives one alert. State exists
 * only while a device's level is high.
 */
export class CoWatch implements PersistedRule {
  readonly rule = 'co';
  changed = noChange;
  private readonly lastRaised = new Map<string, number>();
  private readonly homes = new Map<string, string>();

  snapshot(deviceId: string) {
    const lastRaised = this.lastRaised.get(deviceId);
    const homeId = this.homes.get(deviceId);
    return lastRaised === undefined || homeId === undefined ? null : { homeId, state: { lastRaised } };
  }

  restore(deviceId: string, homeId: string, state: unknown): void {
    const { lastRaised } = z.object({ lastRaised: z.number() }).parse(state);
    this.lastRaised.set(deviceId, lastRaised);
    this.homes.set(deviceId, homeId);
  }

  forgetHome(homeId: string): void {
    for (const [deviceId, home] of this.homes) {
      if (home !== homeId) continue;
      this.homes.delete(deviceId);
      this.lastRaised.delete(deviceId);
    }
  }

  drop(deviceId: string): void {
    this.lastRaised.delete(deviceId);
    this.homes.delete(deviceId);
  }

  reading(reading: Reading, at: number, settings: HomeRuleSettings['co']): Firing | null {
    const v = reading.value;
    const last = this.lastRaised.get(reading.deviceId);
    if (last !== undefined && v < settings.ppm - settings.hysteresisPpm) {
      this.lastRaised.delete(reading.deviceId);
      this.homes.delete(reading.deviceId);
      this.changed(reading.deviceId);
      return null;
    }
    if (v < settings.ppm) return null;
    if (last !== undefined && at - last < settings.refireMinutes * MIN) return null;
    this.lastRaised.set(reading.deviceId, at);
    this.homes.set(reading.deviceId, reading.homeId);
    this.changed(reading.deviceId);
    return {
      rule: 'co',
      homeId: reading.homeId,
      deviceId: reading.deviceId,
      category: reading.category,
      severity: 'critical',
      audience: 'care',
      at,
      evidence: {
        readings: [{ deviceId: reading.deviceId, kind: reading.kind, value: v, ts: reading.ts }],
        thresholds: {
          ppm: settings.ppm,
          hysteresisPpm: settings.hysteresisPpm,
          refireMinutes: settings.refireMinutes,
        },
        summary: `Carbon monoxide at ${v} ppm (threshold ${settings.ppm} ppm) at ${iso(reading.ts)}`,
      },
    };
  }
}
