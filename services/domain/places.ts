import type { DeviceId, HomeId } from './ids.ts';
import type { SensorKind } from './sensors.ts';

/** A citizen's home (or a test home): owned by the registry (`services/registry`). */
export interface Home {
  id: HomeId;
  /** how staff recognise the home; personal data, so it stays in the relational store only */
  label: string;
  teamId: string;
  timezone: string;
  /** per-home rule settings, validated by the rules service */
  settings: Record<string, unknown>;
  /** a test home from birth (the simulator's, a demo's): never a citizen's, its alerts page no one */
  test: boolean;
  /**
   * a citizen's home in test mode until then (epoch ms): a technician is testing it. Care staff see
   * it; it ends by itself; critical alarms still reach staff. Null when not in test mode.
   */
  testUntil: number | null;
  createdAt: number;
}

export type DeviceRole = 'sensor' | 'gateway';

/** A sensor or a home's gateway: owned by the registry (`services/registry`). */
export interface Device {
  id: DeviceId;
  homeId: HomeId;
  /** a sensor publishes its own readings; a gateway publishes for every device in its home */
  role: DeviceRole;
  /** the sensor kinds this device may report */
  kinds: SensorKind[];
  secretHash: string;
  /** a test device from birth; only in a test home (a citizen's device is tested in test mode) */
  test: boolean;
  /** in test mode until then (epoch ms), as a home can be; null when not */
  testUntil: number | null;
  /** how often the device reports, in seconds; offline means nothing received for 2.5 x this */
  reportIntervalS: number;
  createdAt: number;
}
