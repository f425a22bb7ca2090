import { type DeviceId, type HomeId, ID_PATTERN } from './ids.ts';

/** One versioned root for every topic, so a v2 can live beside v1 during a migration. */
export const TOPIC_ROOT = 'tryghed/v1';

export const topics = {
  readings: (homeId: HomeId, deviceId: DeviceId) =>
    `${TOPIC_ROOT}/homes/${homeId}/devices/${deviceId}/readings`,
  status: (homeId: HomeId, deviceId: DeviceId) => `${TOPIC_ROOT}/homes/${homeId}/devices/${deviceId}/status`,
  /** platform → home, retained: consent scope and settings */
  config: (homeId: HomeId) => `${TOPIC_ROOT}/homes/${homeId}/config`,
  /** every device topic, for service accounts */
  allReadings: `${TOPIC_ROOT}/homes/+/devices/+/readings`,
  allStatus: `${TOPIC_ROOT}/homes/+/devices/+/status`,
} as const;

export type DeviceTopic =
  | { type: 'readings'; homeId: HomeId; deviceId: DeviceId }
  | { type: 'status'; homeId: HomeId; deviceId: DeviceId };

/**
 * Parses a device topic without regular-expression backtracking or allocation beyond one split:
 * this runs once per message on the hot path.
 */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (!topic.startsWith(`${TOPIC_ROOT}/homes/`)) return null;
  const parts = topic.slice(TOPIC_ROOT.length + 1).split('/');
  // homes/{homeId}/devices/{deviceId}/{type}
  if (parts.length !== 5 || parts[2] !== 'devices') return null;
  const homeId = parts[1]!;
  const deviceId = parts[3]!;
  const type = parts[4];
  if (!ID_PATTERN.test(homeId) || !ID_PATTERN.test(deviceId)) return null;
  if (type !== 'readings' && type !== 'status') return null;
  return { type, homeId, deviceId };
}
