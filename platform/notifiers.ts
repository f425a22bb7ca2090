import type { EscalationNotifiers } from '../services/escalation/index.ts';
import {
  LogNotifier,
  type Notifier,
  type RetryPolicy,
  SmsNotifier,
  WebhookNotifier,
} from '../services/notify/index.ts';
import type { OutboxRetryPolicy } from '../services/outbox/index.ts';
import type { Logger } from '../services/runtime/index.ts';
import type { Config } from './config.ts';

const MAX_BACKOFF_MS = 30_000;

/**
 * How often and how fast the outbox tries a notice again (NOTIFY_MAX_ATTEMPTS, NOTIFY_BACKOFF_MS),
 * and how old it may grow before it is given up (NOTICE_GIVE_UP_H).
 */
export function outboxRetry(config: Config): OutboxRetryPolicy {
  return {
    giveUpAfterMs: config.noticeGiveUpH * 3_600_000,
    maxAttempts: config.notifyMaxAttempts,
    baseDelayMs: config.notifyBackoffMs,
    maxDelayMs: Math.max(config.notifyBackoffMs, MAX_BACKOFF_MS),
  };
}

/** Whether the settings give escalation a way out of the dashboard (the log does not count). */
export function fallbackConfigured(config: Config): 'configured' | 'none' {
  return config.fallbackWebhookUrl || config.smsFallbackNumbers.length > 0 ? 'configured' : 'none';
}

/**
 * The notifiers the settings ask for. Without a fallback webhook or SMS numbers, the fallback is
 * the log, and `warnings` says so: critical alerts then have no way out of the dashboard.
 */
export function buildNotifiers(
  config: Config,
  logger: Logger,
): { notifiers: EscalationNotifiers; all: Notifier[]; warnings: string[] } {
  // one try per call: the outbox (services/outbox) tries again, with backoff, across restarts
  const retry: RetryPolicy = { ...outboxRetry(config), maxAttempts: 1, timeoutMs: config.notifyTimeoutMs };
  const fallback: Notifier[] = [];
  if (config.fallbackWebhookUrl) {
    fallback.push(new WebhookNotifier({ target: 'fallback', url: config.fallbackWebhookUrl, retry, logger }));
  }
  for (const { name, number } of config.smsFallbackNumbers) {
    fallback.push(
      new SmsNotifier({
        target: name,
        to: number,
        gatewayUrl: config.smsGatewayUrl,
        token: config.smsGatewayToken,
        retry,
        logger,
      }),
    );
  }
  const warnings: string[] = [];
  if (fallbackConfigured(config) === 'none') {
    fallback.push(new LogNotifier(logger, 'log'));
    warnings.push(
      'No fallback notifier is configured (FALLBACK_WEBHOOK_URL or SMS_GATEWAY_URL with SMS_FALLBACK_NUMBERS): ' +
        'critical alerts that nobody takes on have no way out of the dashboard; they are only written to the log.',
    );
  }
  const team = new Map<string, Notifier[]>(
    Object.entries(config.teamWebhooks).map(([teamId, url]) => [
      teamId,
      [new WebhookNotifier({ target: `team:${teamId}`, url, retry, logger })],
    ]),
  );
  const technician: Notifier[] = config.technicianWebhookUrl
    ? [new WebhookNotifier({ target: 'technician', url: config.technicianWebhookUrl, retry, logger })]
    : [];
  return {
    notifiers: { fallback, team: (teamId) => team.get(teamId) ?? [], technician },
    all: [...fallback, ...[...team.values()].flat(), ...technician],
    warnings,
  };
}
