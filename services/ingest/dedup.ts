/**
 * Recognises a reading a device has sent before (a resend after an outage, or a QoS 1 duplicate),
 * per device, in constant memory: a ring of the last WINDOW sequence numbers with their device
 * timestamps. A resend carries the same seq AND the same device time; a device that restarted and
 * counts from 0 again carries a new time, so it is not mistaken for a resend.
 */
const WINDOW = 64;

interface DeviceWindow {
  seqs: Float64Array;
  times: Float64Array;
}

export class ResendFilter {
  private readonly devices = new Map<string, DeviceWindow>();

  /** true if this reading was seen before; otherwise remembers it */
  seen(deviceId: string, seq: number, ts: number): boolean {
    let w = this.devices.get(deviceId);
    if (!w) {
      w = { seqs: new Float64Array(WINDOW).fill(-1), times: new Float64Array(WINDOW) };
      this.devices.set(deviceId, w);
    }
    const slot = seq % WINDOW;
    if (w.seqs[slot] === seq && w.times[slot] === ts) return true;
    w.seqs[slot] = seq;
    w.times[slot] = ts;
    return false;
  }

  /** un-remembers one reading that was not taken after all, so its resend is not called a duplicate */
  unsee(deviceId: string, seq: number, ts: number): void {
    const w = this.devices.get(deviceId);
    const slot = seq % WINDOW;
    if (w && w.seqs[slot] === seq && w.times[slot] === ts) w.seqs[slot] = -1;
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }
}
