import type { Device } from '../../services/domain/index.ts';
import type { DashboardContext } from './context.ts';

/** How many report intervals may pass without a message before a device counts as offline. */
export const OFFLINE_AFTER_INTERVALS = 2.5;
/** How far back the latest battery reading is looked for. */
const BATTERY_LOOKBACK_MS = 30 * 86_400_000;

export type Connectivity = 'online' | 'offline' | 'never_seen';

export interface DeviceStatus {
  id: string;
  role: Device['role'];
  kinds: Device['kinds'];
  test: boolean;
  /** in test mode until then (epoch ms); null when not */
  testUntil: number | null;
  reportIntervalS: number;
  /** when the broker last received from it (since the platform started), epoch ms */
  lastSeen: number | null;
  status: Connectivity;
  /** the latest battery reading, if the device reports one */
  battery: { value: number; ts: number } | null;
}

/**
 * Online means a message was *received* from the device within 2.5 report intervals; our own
 * sends (or a technician's test reading) prove nothing about the link. A report that the device is
 * offline (its gateway relays zigbee2mqtt's availability; a last will) counts until something newer
 * is received from it.
 */
export function connectivity(
  device: Device,
  lastSeen: number | undefined,
  now: number,
  reported?: { online: boolean; receivedAt: number },
): Connectivity {
  if (reported && !reported.online && reported.receivedAt >= (lastSeen ?? 0)) return 'offline';
  if (lastSeen === undefined) return 'never_seen';
  return now - lastSeen <= device.reportIntervalS * 1000 * OFFLINE_AFTER_INTERVALS ? 'online' : 'offline';
}

/** The devices of a home with their connectivity and latest battery level. */
export async function deviceStatuses(ctx: DashboardContext, homeId: string): Promise<DeviceStatus[]> {
  const now = ctx.clock.now();
  const devices = ctx.registry.devicesOfHome(homeId).sort((a, b) => a.id.localeCompare(b.id));
  return Promise.all(
    devices.map(async (d): Promise<DeviceStatus> => {
      const lastSeen = ctx.lastSeen?.(d.id);
      return {
        id: d.id,
        role: d.role,
        kinds: d.kinds,
        test: d.test,
        testUntil: d.testUntil !== null && d.testUntil > now ? d.testUntil : null,
        reportIntervalS: d.reportIntervalS,
        lastSeen: lastSeen ?? null,
        status: connectivity(d, lastSeen, now, ctx.reportedStatus?.(d.id)),
        battery: d.kinds.includes('battery') ? await latestBattery(ctx, homeId, d.id, now) : null,
      };
    }),
  );
}

async function latestBattery(
  ctx: DashboardContext,
  homeId: string,
  deviceId: string,
  now: number,
): Promise<{ value: number; ts: number } | null> {
  if (!ctx.readings) return null;
  try {
    const [latest] = await ctx.readings.query({
      homeId,
      deviceIds: [deviceId],
      kinds: ['battery'],
      from: now - BATTERY_LOOKBACK_MS,
      to: now,
      order: 'desc',
      limit: 1,
    });
    return latest ? { value: latest.value, ts: latest.ts } : null;
  } catch (err) {
    // The device list is still worth showing while InfluxDB is away; the level shows as unknown.
    ctx.logger.warn({ err, deviceId }, 'reading the battery level failed');
    return null;
  }
}
