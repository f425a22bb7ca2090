import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (00:00-23:59)');
const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));

export const DaytimeWindow = z
  .object({ start: HHMM, end: HHMM })
  .strict()
  .refine((w) => minutes(w.start) < minutes(w.end), { message: 'a daytime window must end after it starts' });

/**
 * A home's rule settings, from `home.settings`; every field has a sensible default, because
 * routines differ and a home without settings must still be watched.
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
  })
  .passthrough()
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
