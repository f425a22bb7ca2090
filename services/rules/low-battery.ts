import type { Reading } from '../domain/index.ts';
import type { Firing } from './firing.ts';
import { BATTERY_REARM_MARGIN, type HomeRuleSettings } from './settings.ts';

/**
 * low_battery: a battery reading below `percent` raises a technical alert once; it re-arms only
 * when the battery reports at least `percent + 10` again (a new battery), so a charge wobbling
 * around the threshold gives one alert. State: the devices currently low.
 */
export class LowBatteryWatch {
  private readonly low = new Set<string>();

  reading(reading: Reading, at: number, settings: HomeRuleSettings['lowBattery']): Firing | null {
    const v = reading.value;
    const rearmAt = settings.percent + BATTERY_REARM_MARGIN;
    if (this.low.has(reading.deviceId)) {
      if (v >= rearmAt) this.low.delete(reading.deviceId);
      return null;
    }
    if (v >= settings.percent) return null;
    this.low.add(reading.deviceId);
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
