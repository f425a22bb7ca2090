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

const HOMES = `${TOPIC_ROOT}/homes/`;
const DEVICES = '/devices/';

/**
 * Parses a device topic, `tryghed/v1/homes/{homeId}/devices/{deviceId}/{readings|status}`, with
 * `indexOf` and two slices (the ids): no split array, no regular-expression backtracking. It runs
 * once per message on the hot path (in the broker's publish check).
 */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (!topic.startsWith(HOMES)) return null;
  const homeEnd = topic.indexOf('/', HOMES.length);
  if (homeEnd < 0 || !topic.startsWith(DEVICES, homeEnd)) return null;
  const deviceStart = homeEnd + DEVICES.length;
  const deviceEnd = topic.indexOf('/', deviceStart);
  if (deviceEnd < 0) return null;
  // the rest is exactly the type: no further level
  const typeLength = topic.length - deviceEnd - 1;
  let type: 'readings' | 'status';
  if (typeLength === 8 && topic.endsWith('readings')) type = 'readings';
  else if (typeLength === 6 && topic.endsWith('status')) type = 'status';
  else return null;
  const homeId = topic.slice(HOMES.length, homeEnd);
  const deviceId = topic.slice(deviceStart, deviceEnd);
  if (!ID_PATTERN.test(homeId) || !ID_PATTERN.test(deviceId)) return null;
  return { type, homeId, deviceId };
}
