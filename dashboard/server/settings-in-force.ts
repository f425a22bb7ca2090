import { z } from 'zod';

/**
 * The escalation and notification settings the platform runs with, as an administrator may see
 * them: deadlines, and which notifiers are set up. Never a URL, token or phone number.
 */
export const SettingsInForce = z.strictObject({
  escalation: z.strictObject({
    deadlineS: z
      .strictObject({
        critical: z.number().int(),
        high: z.number().int(),
        medium: z.number().int(),
        low: z.number().int(),
      })
      .meta({
        description:
          'seconds an alert of each severity may stay unacknowledged before it goes to the whole team (and as long again to the fallback); 0 = never escalates',
      }),
    renotifyMinS: z.number().int().meta({ description: 'the fallback is reminded at most this often' }),
  }),
  notifiers: z.strictObject({
    fallbackWebhook: z.boolean(),
    sms: z.strictObject({ gateway: z.boolean(), recipients: z.number().int() }),
    teamWebhooks: z
      .array(z.strictObject({ teamId: z.string(), configured: z.boolean() }))
      .meta({ description: 'every known team, and whether it has its own webhook' }),
    technicianWebhook: z.boolean(),
  }),
});
export type SettingsInForce = z.infer<typeof SettingsInForce>;

/** What start hands over; per-team webhooks are looked up when asked, so new teams show up. */
export interface SettingsInForceSource {
  escalation: SettingsInForce['escalation'];
  fallbackWebhook: boolean;
  sms: { gateway: boolean; recipients: number };
  /** the team ids that have a webhook */
  teamWebhookIds: readonly string[];
  technicianWebhook: boolean;
}
