import { z } from 'zod';
import type { DeviceId, HomeId } from './ids.ts';
import { categoryOf, type ReadingCategory, SensorKind } from './sensors.ts';

/**
 * One reading as a device sends it (the wire format, JSON on `.../readings`).
 * `ts` is the device's own clock (epoch milliseconds or an ISO-8601 string);
 * `seq` is a per-device sequence number so a resend after an outage is recognised.
 * `value` may be a number or a boolean (true = 1, false = 0).
 */
export const WireReading = z
  .object({
    kind: SensorKind,
    value: z.union([z.number().finite(), z.boolean()]),
    ts: z.union([z.number().int().nonnegative(), z.string().datetime({ offset: true })]),
    seq: z.number().int().nonnegative(),
  })
  .strict();
export type WireReading = z.infer<typeof WireReading>;

/** A payload is one reading, an array of readings, or `{ readings: [...] }`; at most 500 per message. */
export const MAX_READINGS_PER_MESSAGE = 500;
export const WirePayload = z.union([
  WireReading,
  z.array(WireReading).min(1).max(MAX_READINGS_PER_MESSAGE),
  z.object({ readings: z.array(WireReading).min(1).max(MAX_READINGS_PER_MESSAGE) }).strict(),
]);
export type WirePayload = z.infer<typeof WirePayload>;

/** A reading after validation at the edge: normalised, attributed to its home and device. */
export interface Reading {
  homeId: HomeId;
  deviceId: DeviceId;
  kind: SensorKind;
  category: ReadingCategory;
  /** booleans become 1/0 */
  value: number;
  /** device time, epoch ms (UTC) */
  ts: number;
  seq: number;
  /** platform time when received, epoch ms */
  receivedAt: number;
  /**
   * The device's own time, kept only when ingest did not believe it (too far ahead of the receive
   * time, or older than the retention period): `ts` is then the receive time. See docs/architecture.md.
   */
  deviceTs?: number;
  /**
   * Injected by a technician to test a home (never sent by a device): stored and evaluated like any
   * reading, but an alert it raises is a test alert that pages no one. Absent on device readings.
   */
  test?: true;
}

export function toReading(
  wire: WireReading,
  homeId: HomeId,
  deviceId: DeviceId,
  receivedAt: number,
): Reading {
  return {
    homeId,
    deviceId,
    kind: wire.kind,
    category: categoryOf(wire.kind),
    value: typeof wire.value === 'boolean' ? (wire.value ? 1 : 0) : wire.value,
    ts: typeof wire.ts === 'number' ? wire.ts : Date.parse(wire.ts),
    seq: wire.seq,
    receivedAt,
  };
}
