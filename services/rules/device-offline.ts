import { z } from 'zod';
import { DeadlineQueue, type Timed } from './deadlines.ts';
import type { Firing } from './firing.ts';
import { iso } from './firing.ts';
import { noChange, type PersistedRule } from './persist.ts';

/** A device is offline when nothing was received from it for this many report intervals. */
export const OFFLINE_AFTER_INTERVALS = 2.5;

/** What the watch needs to know about a device, looked up when its timer comes due. */
export interface WatchedDevice {
  id: string;
  homeId: string;
  reportIntervalS: number;
}

interface Heard extends Timed {
  deviceId: string;
  /** platform time of the last reading received, or when watching began */
  lastHeard: number;
  /** whether anything was received since watching began */
  heard: boolean;
  /** raised for the current outage; cleared by the next reading */
  down: boolean;
  /** the last time heard that was handed to the store (kept only when it moved far enough) */
  savedHeard: number;
}

const HeardState = z.object({ lastHeard: z.number(), heard: z.boolean(), down: z.boolean() });

/**
 * device_offline: nothing *received* from a device (any accepted reading, heartbeats included) for
 * 2.5 × its report interval. Only platform time counts: never the device's clock, never what we
 * sent to it (MQTT.js keepalive learned that a link is not alive because we talk). Raised once per
 * outage; a reading clears the outage but does not resolve the alert, which a technician does.
 *
 * A reading costs one map look-up and a store; each device has one heap entry that, when it comes
 * due, is either pushed to the device's new deadline or fires. Devices never heard count from when
 * watching began.
 */
export class DeviceOfflineWatch implements PersistedRule {
  readonly rule = 'device_offline';
  changed = noChange;
  private readonly devices = new Map<string, Heard>();
  private readonly queue = new DeadlineQueue<Heard>();
  /** devices in an outage now (raised, not heard since) */
  private downCount = 0;

  /** how many devices are watched, and how many of them are silent now */
  silence(): { watched: number; silent: number } {
    return { watched: this.devices.size, silent: this.downCount };
  }

  constructor(private readonly deviceOf: (deviceId: string) => WatchedDevice | undefined) {}

  snapshot(deviceId: string) {
    const w = this.devices.get(deviceId);
    const device = this.deviceOf(deviceId);
    if (!w || !device) return null;
    w.savedHeard = w.lastHeard;
    return { homeId: device.homeId, state: { lastHeard: w.lastHeard, heard: w.heard, down: w.down } };
  }

  restore(deviceId: string, _homeId: string, state: unknown): void {
    const s = HeardState.parse(state);
    if (!this.deviceOf(deviceId)) {
      this.changed(deviceId); // removed meanwhile: its row goes with the next save
      return;
    }
    const prior = this.devices.get(deviceId);
    if (prior) this.forget(deviceId);
    const w: Heard = { deviceId, ...s, savedHeard: s.lastHeard };
    this.devices.set(deviceId, w);
    if (w.down) this.downCount++;
    const device = this.deviceOf(deviceId);
    if (device && !w.down) this.queue.ensure(w, w.lastHeard + limitMs(device));
  }

  /** whether a device is watched (restored or begun) */
  watching(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  /** starts watching a device from `since`, or reschedules it after its interval changed */
  watch(device: WatchedDevice, since: number): void {
    let w = this.devices.get(device.id);
    if (!w) {
      w = { deviceId: device.id, lastHeard: since, heard: false, down: false, savedHeard: since };
      this.devices.set(device.id, w);
      this.changed(device.id);
    }
    if (!w.down) this.queue.ensure(w, w.lastHeard + limitMs(device));
  }

  /**
   * stops watching a removed device at once: a device already down would otherwise stay counted as
   * silent for good (it has no timer left to find it gone), and come back unwatched if its id is
   * provisioned again
   */
  forget(deviceId: string): void {
    if (this.drop(deviceId)) this.changed(deviceId);
  }

  /** forgets the device in memory only (its home went to another process); whether it was watched */
  drop(deviceId: string): boolean {
    const w = this.devices.get(deviceId);
    if (!w) return false;
    if (w.down) this.downCount--;
    this.queue.forget(w);
    this.devices.delete(deviceId);
    return true;
  }

  /**
   * When the home's devices were last heard is forgotten: each counts from `now`, as when watching
   * began. An outage already raised stays raised (it is about the device, and its alert is kept).
   */
  forgetHome(_homeId: string, now: number, deviceIds: readonly string[]): void {
    for (const deviceId of deviceIds) {
      const w = this.devices.get(deviceId);
      if (!w) continue;
      w.lastHeard = now;
      w.savedHeard = now;
      w.heard = false;
      const device = this.deviceOf(deviceId);
      // an earlier entry already queued is pushed to the new deadline when it comes due
      if (device && !w.down) this.queue.ensure(w, now + limitMs(device));
    }
  }

  /** anything received from the device at `at` (platform time) */
  heard(deviceId: string, at: number): void {
    const w = this.devices.get(deviceId);
    if (!w) return;
    if (at > w.lastHeard) w.lastHeard = at;
    const first = !w.heard;
    w.heard = true;
    if (w.down) {
      w.down = false;
      this.downCount--;
      this.changed(deviceId);
      const device = this.deviceOf(deviceId);
      if (device) this.queue.ensure(w, w.lastHeard + limitMs(device));
      return;
    }
    // Kept in the store only when it moved a quarter of the limit since last kept: a restart then
    // counts from at most that much earlier, and a device keeping its interval (a reading every
    // 1/2.5 of the limit) is heard again well before the restored deadline. One row per device per
    // quarter limit, not one per reading.
    if (first) this.changed(deviceId);
    else if (w.lastHeard - w.savedHeard >= this.quarterLimit(deviceId)) {
      w.savedHeard = w.lastHeard; // set now, so the next readings do not mark it again before the flush
      this.changed(deviceId);
    }
  }

  private quarterLimit(deviceId: string): number {
    const device = this.deviceOf(deviceId);
    return device ? limitMs(device) / 4 : 0;
  }

  /** devices found silent at `now`, looking at no more than `max` due timers */
  due(now: number, max = Number.POSITIVE_INFINITY): Firing[] {
    const fired: Firing[] = [];
    for (const w of this.queue.due(now, max)) {
      const device = this.deviceOf(w.deviceId);
      if (!device) {
        if (w.down) this.downCount--;
        this.devices.delete(w.deviceId);
        this.changed(w.deviceId);
        continue;
      }
      const deadline = w.lastHeard + limitMs(device);
      if (deadline > now) {
        this.queue.ensure(w, deadline);
        continue;
      }
      w.down = true;
      this.downCount++;
      this.changed(w.deviceId);
      const offlineAfterS = device.reportIntervalS * OFFLINE_AFTER_INTERVALS;
      fired.push({
        rule: 'device_offline',
        homeId: device.homeId,
        deviceId: device.id,
        category: 'technical',
        severity: 'medium',
        audience: 'technical',
        at: deadline,
        evidence: {
          readings: [],
          thresholds: {
            deviceId: device.id,
            reportIntervalS: device.reportIntervalS,
            offlineAfterS,
            lastHeard: w.heard ? iso(w.lastHeard) : 'never since monitoring began',
          },
          summary: w.heard
            ? `Nothing received from device ${device.id} since ${iso(w.lastHeard)} (${offlineAfterS} s = ${OFFLINE_AFTER_INTERVALS} × its ${device.reportIntervalS} s report interval)`
            : `Nothing received from device ${device.id} since monitoring began at ${iso(w.lastHeard)} (${offlineAfterS} s = ${OFFLINE_AFTER_INTERVALS} × its ${device.reportIntervalS} s report interval)`,
        },
      });
    }
    return fired;
  }
}

function limitMs(device: WatchedDevice): number {
  return Math.round(device.reportIntervalS * OFFLINE_AFTER_INTERVALS * 1000);
}

/** How many device ids a merged alert's evidence names before it only counts the rest. */
const NAMED_DEVICES = 20;

/**
 * Devices of one home found silent in the same tick make one candidate, not one each: when the
 * network or the broker is down every sensor goes quiet at once, and a technician needs one alert
 * per home naming its devices, not a repeat per sensor. Test and real devices are never merged.
 */
export function mergeOfflineByHome(firings: Firing[], isTest: (deviceId: string) => boolean): Firing[] {
  const groups = new Map<string, Firing[]>();
  for (const f of firings) {
    const key = `${f.homeId}\u0000${f.deviceId !== null && isTest(f.deviceId)}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const out: Firing[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    if (group.length === 1) {
      out.push(first);
      continue;
    }
    const ids = group.map((f) => f.deviceId ?? '?').sort();
    const named = ids.slice(0, NAMED_DEVICES).join(', ');
    const more = ids.length > NAMED_DEVICES ? ` and ${ids.length - NAMED_DEVICES} more` : '';
    out.push({
      ...first,
      at: Math.min(...group.map((f) => f.at)),
      evidence: {
        readings: [],
        thresholds: {
          devices: ids.length,
          deviceIds: `${named}${more}`,
          offlineAfterIntervals: OFFLINE_AFTER_INTERVALS,
        },
        summary: `Nothing received from ${ids.length} devices in this home (${named}${more}), each past ${OFFLINE_AFTER_INTERVALS} × its report interval`,
      },
    });
  }
  return out;
}
