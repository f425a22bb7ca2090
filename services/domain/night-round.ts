import { z } from 'zod';
import type { HomeId } from './ids.ts';
import type { SensorKind } from './sensors.ts';

/**
 * The night round (issue 13 point 4): at the times set for a home, night staff of its team look at a
 * plain summary of the categories the citizen consented to for `night_round`, and confirm they looked.
 * No image, no sound, no score: only states (in bed or not, door open or closed), times and a temperature.
 */

/** A round time on the home's wall clock, "HH:MM" (24 h). */
export const RoundTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (00:00-23:59)');

/** A home's round times as staff set them: at most 12 a night, no time twice, kept sorted. */
export const NightRoundTimesRequest = z.strictObject({
  times: z
    .array(RoundTime)
    .max(12)
    .refine((ts) => new Set(ts).size === ts.length, 'a time may appear only once'),
});
export type NightRoundTimesRequest = z.infer<typeof NightRoundTimesRequest>;

export interface NightRoundTimes {
  homeId: HomeId;
  /** "HH:MM", sorted */
  times: string[];
  updatedAt: number;
  /** user id of the staff member who set them */
  updatedBy: string;
}

/** "alt roligt" or "se nærmere": a plain mark with its stated reasons, never a score. */
export const LOOK_MARKS = ['calm', 'check'] as const;
export type LookMark = (typeof LOOK_MARKS)[number];

/** One confirmation that a staff member looked at a home on a round; who and when come from the server. */
export interface NightRoundLook {
  id: number;
  homeId: HomeId;
  /** the round occurrence: the instant of its scheduled time (epoch ms) */
  roundAt: number;
  lookedAt: number;
  lookedBy: string;
  lookedByRole: string;
  /** the mark the summary had when they looked */
  mark: LookMark;
}

/** The latest state of one sensor kind in a home, kept for the night round only (overwritten, never a series). */
export interface NightRoundLatest {
  homeId: HomeId;
  kind: SensorKind;
  value: number;
  /** since when the value has been this one (epoch ms) */
  since: number;
  /** when a reading of this kind was last heard (epoch ms) */
  lastAt: number;
}
