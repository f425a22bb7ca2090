import type { SettingsInForceSource } from '../dashboard/server/settings-in-force.ts';
import type { Config } from './config.ts';

/** The escalation and notifier settings an administrator may see: whether each is set, never its value. */
export function settingsInForce(config: Config): SettingsInForceSource {
  return {
    escalation: {
      deadlineS: {
        critical: config.escalateCriticalS,
        high: config.escalateHighS,
        medium: config.escalateMediumS,
        low: config.escalateLowS,
      },
      renotifyMinS: config.escalationRenotifyMinS,
    },
    fallbackWebhook: config.fallbackWebhookUrl !== '',
    sms: { gateway: config.smsGatewayUrl !== '', recipients: config.smsFallbackNumbers.length },
    teamWebhookIds: Object.keys(config.teamWebhooks),
    technicianWebhook: config.technicianWebhookUrl !== '',
  };
}
