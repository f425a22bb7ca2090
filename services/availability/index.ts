import { z } from 'zod';

/**
 * What a device's retained status topic says (a gateway relays zigbee2mqtt's availability there;
 * a device's or gateway's last will says `{"online":false}`).
 */
export const DeviceStatusMessage = z.looseObject({
  online: z.boolean(),
  /** when the home saw the change (epoch ms, the gateway's clock); informational only */
  at: z.number().int().nonnegative().optional(),
  source: z.string().max(40).optional(),
});

export interface ReportedStatus {
  online: boolean;
  /** platform time the report was received, epoch ms */
  receivedAt: number;
}

/**
 * The latest status each device (or its gateway) reported, received on `.../status`. It tells the
 * device list that a device is offline the moment its home says so, without waiting for silence;
 * a reading received after it counts more. Held in memory: every status is retained and sent again
 * by gateways on each connect. Only well-formed reports count; the rest are refused and counted by
 * the caller.
 */
export class ReportedAvailability {
  private readonly latest = new Map<string, ReportedStatus>();

  record(deviceId: string, payload: Buffer, receivedAt: number): boolean {
    let parsed: z.infer<typeof DeviceStatusMessage>;
    try {
      parsed = DeviceStatusMessage.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      return false;
    }
    this.latest.set(deviceId, { online: parsed.online, receivedAt });
    return true;
  }

  /**
   * A status another broker process received (over the cluster link): kept unless this process
   * holds a newer one.
   */
  note(deviceId: string, status: ReportedStatus): void {
    const held = this.latest.get(deviceId);
    if (held && held.receivedAt > status.receivedAt) return;
    this.latest.set(deviceId, { online: status.online, receivedAt: status.receivedAt });
  }

  of(deviceId: string): ReportedStatus | undefined {
    return this.latest.get(deviceId);
  }

  forget(deviceId: string): void {
    this.latest.delete(deviceId);
  }
}
