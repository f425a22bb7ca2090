import { z } from 'zod';
import type { Reading } from '../domain/index.ts';
import { DeadlineQueue, type Timed } from './deadlines.ts';
import type { EvidenceReading, Firing, HomeContext } from './firing.ts';
import { iso } from './firing.ts';
import { evidenceReading, noChange, type PersistedRule } from './persist.ts';
import { inLocalWindow } from './zoned-time.ts';

const MIN = 60_000;

interface DoorEpisode extends Timed {
  deviceId: string;
  homeId: string;
  openedAt: number;
  opened: EvidenceReading;
  closedAt: number | null;
  closed: EvidenceReading | null;
  /** the first motion seen inside after the door closed */
  motionAt: number | null;
  motion: EvidenceReading | null;
  /** raised; kept until the door closes, so repeated "open" reports do not start a new episode */
  fired: boolean;
}

const evidence = (r: Reading): EvidenceReading => ({
  deviceId: r.deviceId,
  kind: r.kind,
  value: r.value,
  ts: r.ts,
});

/**
 * door_night: an entrance door opened inside the home's night window must be closed again, and
 * motion seen inside after it closed, within N minutes; otherwise someone may have left (wandering
 * risk in dementia). Motion is only asked for where the home has a motion sensor whose readings the
 * citizen lets the rules use (`needsMotion`); elsewhere the door closing is enough. Openings outside
 * the window are ordinary life and ignored; closing and motion always count. State exists only for
 * doors opened at night, so memory and work follow the night's openings, not the number of homes.
 */
const EpisodeState = z.object({
  openedAt: z.number(),
  opened: evidenceReading,
  closedAt: z.number().nullable(),
  closed: evidenceReading.nullable(),
  motionAt: z.number().nullable(),
  motion: evidenceReading.nullable(),
  fired: z.boolean(),
});

export class DoorNightWatch implements PersistedRule {
  readonly rule = 'door_night';
  changed = noChange;
  private readonly byDevice = new Map<string, DoorEpisode>();
  private readonly byHome = new Map<string, Set<DoorEpisode>>();
  private readonly queue = new DeadlineQueue<DoorEpisode>();

  constructor(
    private readonly home: HomeContext,
    private readonly needsMotion: (homeId: string) => boolean,
  ) {}

  snapshot(deviceId: string) {
    const e = this.byDevice.get(deviceId);
    if (!e) return null;
    const { deviceId: _d, homeId, queuedAt: _q, ...state } = e;
    return { homeId, state };
  }

  restore(deviceId: string, homeId: string, state: unknown): void {
    const episode: DoorEpisode = { deviceId, homeId, ...EpisodeState.parse(state) };
    this.add(episode);
    const home = this.home(homeId);
    if (!episode.fired && home)
      this.queue.ensure(episode, episode.openedAt + home.settings.doorNight.minutes * MIN);
  }

  forgetHome(homeId: string): void {
    for (const episode of this.byHome.get(homeId) ?? []) {
      this.queue.forget(episode);
      if (this.byDevice.get(episode.deviceId) === episode) this.byDevice.delete(episode.deviceId);
    }
    this.byHome.delete(homeId);
  }

  drop(deviceId: string): void {
    const episode = this.byDevice.get(deviceId);
    if (episode) this.remove(episode, false);
  }

  private add(episode: DoorEpisode): void {
    this.byDevice.set(episode.deviceId, episode);
    let set = this.byHome.get(episode.homeId);
    if (!set) {
      set = new Set();
      this.byHome.set(episode.homeId, set);
    }
    set.add(episode);
  }

  /** a door reading (1 = open, 0 = closed) seen at `at` (platform time) */
  door(reading: Reading, at: number): void {
    const episode = this.byDevice.get(reading.deviceId);
    if (reading.value >= 1) {
      if (episode && episode.closedAt === null) return; // still open: a repeated report
      const home = this.home(reading.homeId);
      if (!home || !inLocalWindow(at, home.settings.night, home.timeZone)) return;
      if (episode) this.remove(episode);
      const next: DoorEpisode = {
        deviceId: reading.deviceId,
        homeId: reading.homeId,
        openedAt: at,
        opened: evidence(reading),
        closedAt: null,
        closed: null,
        motionAt: null,
        motion: null,
        fired: false,
      };
      this.add(next);
      this.changed(next.deviceId);
      this.queue.ensure(next, at + home.settings.doorNight.minutes * MIN);
      return;
    }
    if (!episode || episode.closedAt !== null) return;
    if (episode.fired) {
      this.remove(episode); // closed after the alert: the episode is over
      return;
    }
    episode.closedAt = at;
    episode.closed = evidence(reading);
    this.changed(episode.deviceId);
  }

  /** motion inside the home at `at`: counts for doors of the home that have closed by then */
  motion(reading: Reading, at: number): void {
    const set = this.byHome.get(reading.homeId);
    if (!set) return;
    for (const episode of set) {
      if (episode.fired || episode.closedAt === null || episode.motionAt !== null) continue;
      if (at < episode.closedAt) continue;
      episode.motionAt = at;
      episode.motion = evidence(reading);
      this.changed(episode.deviceId);
    }
  }

  due(now: number): Firing[] {
    const fired: Firing[] = [];
    for (const episode of this.queue.due(now)) {
      if (this.byDevice.get(episode.deviceId) !== episode || episode.fired) continue;
      const home = this.home(episode.homeId);
      if (!home) {
        this.remove(episode);
        continue;
      }
      const { minutes } = home.settings.doorNight;
      const deadline = episode.openedAt + minutes * MIN;
      if (deadline > now) {
        this.queue.ensure(episode, deadline); // the setting grew since the door opened
        continue;
      }
      // Judged as of the deadline, even when the tick comes a little after it.
      const closed = episode.closedAt !== null && episode.closedAt <= deadline;
      const returned = episode.motionAt !== null && episode.motionAt <= deadline;
      const motionAsked = this.needsMotion(episode.homeId);
      if (closed && (returned || !motionAsked)) {
        this.remove(episode);
        continue;
      }
      const night = `${home.settings.night.start}-${home.settings.night.end}`;
      const readings = [episode.opened];
      if (closed && episode.closed) readings.push(episode.closed);
      fired.push({
        rule: 'door_night',
        homeId: episode.homeId,
        deviceId: episode.deviceId,
        category: 'door',
        severity: 'high',
        audience: 'care',
        at: deadline,
        evidence: {
          readings,
          thresholds: { minutes, night, timezone: home.timeZone, motionRequired: motionAsked ? 'yes' : 'no' },
          summary: closed
            ? `Entrance door opened at night at ${iso(episode.openedAt)} and closed at ${iso(episode.closedAt!)}, but no motion inside within ${minutes} minutes`
            : `Entrance door opened at night at ${iso(episode.openedAt)} and not closed within ${minutes} minutes`,
        },
      });
      if (closed) this.remove(episode);
      else {
        episode.fired = true;
        this.changed(episode.deviceId);
      }
    }
    return fired;
  }

  private remove(episode: DoorEpisode, changed = true): void {
    this.queue.forget(episode);
    if (changed) this.changed(episode.deviceId);
    if (this.byDevice.get(episode.deviceId) === episode) this.byDevice.delete(episode.deviceId);
    const set = this.byHome.get(episode.homeId);
    set?.delete(episode);
    if (set?.size === 0) this.byHome.delete(episode.homeId);
  }
}
