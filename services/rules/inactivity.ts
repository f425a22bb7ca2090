import { z } from 'zod';
import { MinHeap } from '../runtime/index.ts';
import { noChange, type PersistedRule } from './persist.ts';
import type { HomeRuleSettings } from './settings.ts';
import { addDays, localDate, minutesOf, zonedInstant } from './zoned-time.ts';

interface HomeWatch {
  /** the later of the last motion and the moment watching began (ms) */
  since: number;
  /** false after the rule fired, until motion is seen again */
  armed: boolean;
  /** whether this home has an entry in the heap */
  queued: boolean;
}

export interface InactivityDue {
  homeId: string;
  since: number;
  due: number;
  window: { start: string; end: string };
}

/**
 * The first moment at or after `since` when there has been no motion for `minutes` inside one
 * daytime window: counting starts at the later of `since` and the window's start, so a night's
 * sleep never counts. Looks up to 8 days ahead; null if nothing fits (it always does with valid
 * settings).
 */
export function nextDue(
  since: number,
  settings: HomeRuleSettings['inactivity'],
  timeZone: string,
): { due: number; window: { start: string; end: string } } | null {
  const first = localDate(since, timeZone);
  const windows = [...settings.windows].sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
  for (let d = -1; d <= 8; d++) {
    const date = addDays(first, d);
    for (const window of windows) {
      const start = zonedInstant(date, minutesOf(window.start), timeZone);
      const end = zonedInstant(date, minutesOf(window.end), timeZone);
      if (end <= since) continue;
      const due = Math.max(since, start) + settings.minutes * 60_000;
      if (due <= end) return { due, window };
    }
  }
  return null;
}

/**
 * Per-home inactivity timers in one heap. Motion only ever moves a home's due time later, so each
 * home has at most one heap entry: when an entry comes due but motion has moved the time, it is
 * pushed again at the new time. Memory: O(watched homes); a tick: O(due homes × log n).
 */
export class InactivityWatch implements PersistedRule {
  readonly rule = 'inactivity';
  changed = noChange;
  private readonly homes = new Map<string, HomeWatch>();
  private readonly heap = new MinHeap<string>();

  constructor(
    private readonly settingsOf: (
      homeId: string,
    ) => { settings: HomeRuleSettings['inactivity']; timeZone: string } | null,
  ) {}

  watching(homeId: string): boolean {
    return this.homes.has(homeId);
  }

  snapshot(homeId: string) {
    const w = this.homes.get(homeId);
    return w ? { homeId, state: { since: w.since, armed: w.armed } } : null;
  }

  restore(homeId: string, _homeId: string, state: unknown): void {
    const { since, armed } = z.object({ since: z.number(), armed: z.boolean() }).parse(state);
    const watch: HomeWatch = { since, armed, queued: false };
    this.homes.set(homeId, watch);
    if (armed) this.schedule(homeId, watch);
  }

  /** the last motion is forgotten: the home counts from `now`, as when watching began */
  forgetHome(homeId: string, now: number): void {
    const watch = this.homes.get(homeId);
    if (!watch) return;
    watch.since = now;
    // a queued entry is recomputed from `since` when it comes due, so it only moves later
    if (watch.armed && !watch.queued) this.schedule(homeId, watch);
  }

  /** a stale heap entry of a dropped home is skipped (no watch), or recomputed if it came back */
  drop(homeId: string): void {
    this.homes.delete(homeId);
  }

  /** motion seen (or watching begins) at `at` */
  motion(homeId: string, at: number): void {
    let watch = this.homes.get(homeId);
    if (!watch) {
      watch = { since: at, armed: true, queued: false };
      this.homes.set(homeId, watch);
    } else if (at < watch.since) {
      return; // an old reading arriving late changes nothing
    }
    watch.since = at;
    watch.armed = true;
    this.changed(homeId);
    if (!watch.queued) this.schedule(homeId, watch);
  }

  /** every home whose time has come at `now`; each is then quiet until its next motion */
  due(now: number): InactivityDue[] {
    const fired: InactivityDue[] = [];
    for (let key = this.heap.peekKey(); key !== undefined && key <= now; key = this.heap.peekKey()) {
      const homeId = this.heap.pop()!.value;
      const watch = this.homes.get(homeId);
      if (!watch) continue;
      watch.queued = false;
      if (!watch.armed) continue;
      // Recomputed from the latest motion and the current settings: motion since the entry was
      // queued moves the time later, and so may a settings change.
      const next = this.next(homeId, watch.since);
      if (!next) continue;
      if (next.due > now) {
        watch.queued = true;
        this.heap.push(next.due, homeId);
        continue;
      }
      watch.armed = false;
      this.changed(homeId);
      fired.push({ homeId, since: watch.since, due: next.due, window: next.window });
    }
    return fired;
  }

  private schedule(homeId: string, watch: HomeWatch): void {
    const next = this.next(homeId, watch.since);
    if (!next) return;
    watch.queued = true;
    this.heap.push(next.due, homeId);
  }

  private next(homeId: string, since: number) {
    const home = this.settingsOf(homeId);
    return home ? nextDue(since, home.settings, home.timeZone) : null;
  }
}
