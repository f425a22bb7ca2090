import { z } from 'zod';
import type { Reading } from '../domain/index.ts';
import type { Firing } from './firing.ts';
import { noChange, type PersistedRule } from './persist.ts';
import { BATTERY_REARM_MARGIN, type HomeRuleSettings } from './settings.ts';

/**
 * low_battery: a battery reading below `percent` raises a technical alert once; it re-arms only
 * when the battery reports at least `percent + 10` again (a new battery), so a charge wobbling
 * around the threshold gives one alert. State: the devices currently low.
 */
export class LowBatteryWatch implements PersistedRule {
  readonly rule = 'low_battery';
  changed = noChange;
  /** device id → home id, for the devices reported low */
  private readonly low = new Map<string, string>();

  snapshot(deviceId: string) {
    const homeId = this.low.get(deviceId);
    return homeId === undefined ? null : { homeId, state: { low: true } };
  }

  restore(deviceId: string, homeId: string, state: unknown): void {
    z.object({ low: z.literal(true) }).parse(state);
    this.low.set(deviceId, homeId);
  }

  forgetHome(homeId: string): void {
    for (const [deviceId, home] of this.low) if (home === homeId) this.low.delete(deviceId);
  }

  drop(deviceId: string): void {
    this.low.delete(deviceId);
  }

  reading(reading: Reading, at: number, settings: HomeRuleSettings['lowBattery']): Firing | null {
    const v = reading.value;
    const rearmAt = settings.percent + BATTERY_REARM_MARGIN;
    if (this.low.has(reading.deviceId)) {
      if (v >= rearmAt) {
        this.low.delete(reading.deviceId);
        this.changed(reading.deviceId);
      }
      return null;
    }
    if (v >= settings.percent) return null;
    this.low.set(reading.deviceId, reading.homeId);
    this.changed(reading.deviceId);
    return {
      rule: 'low_battery',
      homeId: reading.homeId,
      deviceId: reading.deviceId,
      category: 'technical',
      severity: 'low',
      audience: 'technical',
      at,
      evidence: {
        readings: [{ deviceId: reading.deviceId, kind: reading.kind, value: v, ts: reading.ts }],
        thresholds: { percent: settings.percent, rearmPercent: rearmAt },
        summary: `Battery of device ${reading.deviceId} at ${v} % (below ${settings.percent} %)`,
      },
    };
  }
}
