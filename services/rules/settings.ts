import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (00:00-23:59)');
const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
const wholeMinutes = (min: number, max: number, fallback: number) =>
  z
    .number()
    .int('whole minutes')
    .min(min, `at least ${min} minute${min === 1 ? '' : 's'}`)
    .max(max, `at most ${max} minutes`)
    .default(fallback);

export const DaytimeWindow = z
  .object({ start: HHMM, end: HHMM })
  .strict()
  .refine((w) => minutes(w.start) < minutes(w.end), { message: 'a daytime window must end after it starts' });

/** The home's night, local time; it may cross midnight (23:00-06:00). Start inclusive, end exclusive. */
export const NightWindow = z
  .object({ start: HHMM, end: HHMM })
  .strict()
  .refine((w) => w.start !== w.end, { message: 'the night window must not start and end at the same time' });
export type NightWindow = z.infer<typeof NightWindow>;

/** How many percent above the threshold a battery must come back to before it can alert again. */
export const BATTERY_REARM_MARGIN = 10;

/**
 * A home's rule settings, from `home.settings`; every field has a sensible default, because
 * routines differ and a home without settings must still be watched. Unknown keys are refused, so a
 * misspelt setting is reported when it is saved instead of silently doing nothing.
 */
export const HomeRuleSettings = z
  .object({
    inactivity: z
      .object({
        /** no motion for this long inside a daytime window raises an alert */
        minutes: z.number().int().min(5).max(1440).default(120),
        windows: z
          .array(DaytimeWindow)
          .min(1)
          .max(6)
          .default([{ start: '07:00', end: '22:00' }])
          .refine(
            (ws) =>
              [...ws]
                .sort((a, b) => minutes(a.start) - minutes(b.start))
                .every((w, i, all) => i === 0 || minutes(all[i - 1]!.end) <= minutes(w.start)),
            { message: 'daytime windows may not overlap' },
          ),
      })
      .strict()
      .prefault({}),
    /** the night window used by door_night and out_of_bed */
    night: NightWindow.default({ start: '23:00', end: '06:00' }),
    co: z
      .object({
        /** a reading at or above this many ppm raises a critical alert at once */
        ppm: z.number().min(10, 'at least 10 ppm').max(1000, 'at most 1000 ppm').default(50),
        /** the level counts as cleared only below ppm minus this, so a reading hovering at the threshold raises once */
        hysteresisPpm: z.number().min(0).max(100).default(10),
        /** while the level stays high, raise again at most this often (the alert counts repeats) */
        refireMinutes: wholeMinutes(1, 1440, 15),
      })
      .strict()
      .prefault({})
      .refine((c) => c.hysteresisPpm < c.ppm, {
        message: 'hysteresisPpm must be smaller than ppm',
        path: ['hysteresisPpm'],
      }),
    temperature: z
      .object({
        /** °C: below this for `minutes` raises temperature_low */
        lowC: z.number().min(-20).max(30).default(16),
        /** °C: above this for `minutes` raises temperature_high */
        highC: z.number().min(10).max(60).default(28),
        /** how long the temperature must stay beyond the threshold */
        minutes: wholeMinutes(1, 1440, 30),
        /** °C: the condition ends only this far back inside the threshold, so hovering raises once */
        hysteresisC: z.number().min(0).max(5).default(0.5),
      })
      .strict()
      .prefault({})
      .refine((t) => t.lowC + t.hysteresisC < t.highC - t.hysteresisC, {
        message: 'lowC and highC must be further apart than twice hysteresisC',
        path: ['highC'],
      }),
    doorNight: z
      .object({
        /** the door must be closed again and motion seen inside within this many minutes */
        minutes: wholeMinutes(1, 240, 10),
      })
      .strict()
      .prefault({}),
    outOfBed: z
      .object({
        /** the person must be back in bed within this many minutes */
        minutes: wholeMinutes(1, 720, 30),
      })
      .strict()
      .prefault({}),
    lowBattery: z
      .object({
        /** a battery reading below this percentage raises a technical alert */
        percent: z
          .number()
          .min(1, 'at least 1 %')
          .max(100 - BATTERY_REARM_MARGIN, `at most ${100 - BATTERY_REARM_MARGIN} %`)
          .default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
export type HomeRuleSettings = z.infer<typeof HomeRuleSettings>;

export type SettingsResult =
  | { ok: true; settings: HomeRuleSettings }
  | { ok: false; issues: Array<{ path: string; message: string }> };

export function parseHomeRuleSettings(raw: unknown): SettingsResult {
  const parsed = HomeRuleSettings.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  };
}
