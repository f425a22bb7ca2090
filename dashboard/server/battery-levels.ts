import type { Reading } from '../../services/domain/index.ts';

/**
 * The latest battery level each device reported since the platform started, in memory, so the
 * technicians' overview can list low batteries across every home without asking InfluxDB about
 * each device. Like "last seen", it starts empty: a device shows its level with its next report.
 * A technician's test reading is not the device's battery and is left out.
 */
export class BatteryLevels {
  private readonly latest = new Map<string, { value: number; ts: number }>();

  record(reading: Reading): void {
    if (reading.kind !== 'battery' || reading.test) return;
    const known = this.latest.get(reading.deviceId);
    if (known && known.ts > reading.ts) return; // a resend from before a newer report
    this.latest.set(reading.deviceId, { value: reading.value, ts: reading.ts });
  }

  /** an erasure request: the levels last reported by these devices are forgotten */
  forget(deviceIds: readonly string[]): void {
    for (const id of deviceIds) this.latest.delete(id);
  }

  of(deviceId: string): { value: number; ts: number } | undefined {
    return this.latest.get(deviceId);
  }
}
