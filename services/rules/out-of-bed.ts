import { z } from 'zod';
import type { Reading } from '../domain/index.ts';
import { DeadlineQueue, type Timed } from './deadlines.ts';
import type { EvidenceReading, Firing, HomeContext } from './firing.ts';
import { iso } from './firing.ts';
import { evidenceReading, noChange, type PersistedRule } from './persist.ts';
import { inLocalWindow } from './zoned-time.ts';

const MIN = 60_000;

interface OutOfBed extends Timed {
  deviceId: string;
  homeId: string;
  since: number;
  reading: EvidenceReading;
  /** raised; kept until the person is back in bed, so further "out" reports change nothing */
  fired: boolean;
}

/**
 * out_of_bed: the bed sensor reports "out of bed" (0) inside the home's night window and the person
 * is not back in bed (1) within N minutes: a fall risk. Getting up outside the window is ignored.
 * State exists only while someone is out of bed after getting up at night.
 */
const OutOfBedState = z.object({ since: z.number(), reading: evidenceReading, fired: z.boolean() });

export class OutOfBedWatch implements PersistedRule {
  readonly rule = 'out_of_bed';
  changed = noChange;
  private readonly byDevice = new Map<string, OutOfBed>();
  private readonly queue = new DeadlineQueue<OutOfBed>();

  constructor(private readonly home: HomeContext) {}

  snapshot(deviceId: string) {
    const o = this.byDevice.get(deviceId);
    return o ? { homeId: o.homeId, state: { since: o.since, reading: o.reading, fired: o.fired } } : null;
  }

  restore(deviceId: string, homeId: string, state: unknown): void {
    const s = OutOfBedState.parse(state);
    const out: OutOfBed = { deviceId, homeId, ...s };
    this.byDevice.set(deviceId, out);
    const home = this.home(homeId);
    if (!s.fired && home) this.queue.ensure(out, s.since + home.settings.outOfBed.minutes * MIN);
  }

  forgetHome(homeId: string): void {
    for (const [deviceId, out] of this.byDevice) {
      if (out.homeId !== homeId) continue;
      this.queue.forget(out);
      this.byDevice.delete(deviceId);
    }
  }

  drop(deviceId: string): void {
    const out = this.byDevice.get(deviceId);
    if (!out) return;
    this.queue.forget(out);
    this.byDevice.delete(deviceId);
  }

  /** a bed reading (1 = in bed, 0 = out of bed) seen at `at` (platform time) */
  bed(reading: Reading, at: number): void {
    const current = this.byDevice.get(reading.deviceId);
    if (reading.value >= 1) {
      if (current) {
        this.queue.forget(current);
        this.byDevice.delete(reading.deviceId);
        this.changed(reading.deviceId);
      }
      return;
    }
    if (current) return; // still out of bed: the first report counts
    const home = this.home(reading.homeId);
    if (!home || !inLocalWindow(at, home.settings.night, home.timeZone)) return;
    const next: OutOfBed = {
      deviceId: reading.deviceId,
      homeId: reading.homeId,
      since: at,
      reading: { deviceId: reading.deviceId, kind: reading.kind, value: reading.value, ts: reading.ts },
      fired: false,
    };
    this.byDevice.set(next.deviceId, next);
    this.changed(next.deviceId);
    this.queue.ensure(next, at + home.settings.outOfBed.minutes * MIN);
  }

  due(now: number): Firing[] {
    const fired: Firing[] = [];
    for (const out of this.queue.due(now)) {
      if (this.byDevice.get(out.deviceId) !== out || out.fired) continue;
      const home = this.home(out.homeId);
      if (!home) {
        this.byDevice.delete(out.deviceId);
        this.changed(out.deviceId);
        continue;
      }
      const { minutes } = home.settings.outOfBed;
      const deadline = out.since + minutes * MIN;
      if (deadline > now) {
        this.queue.ensure(out, deadline);
        continue;
      }
      out.fired = true;
      this.changed(out.deviceId);
      fired.push({
        rule: 'out_of_bed',
        homeId: out.homeId,
        deviceId: out.deviceId,
        category: 'sleep',
        severity: 'high',
        audience: 'care',
        at: deadline,
        evidence: {
          readings: [out.reading],
          thresholds: {
            minutes,
            night: `${home.settings.night.start}-${home.settings.night.end}`,
            timezone: home.timeZone,
          },
          summary: `Out of bed at night since ${iso(out.since)} and not back within ${minutes} minutes`,
        },
      });
    }
    return fired;
  }
}
