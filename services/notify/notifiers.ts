import type { Logger } from '../runtime/index.ts';
import { noticeText } from './message.ts';
import { postJson, type RetryDeps, type RetryPolicy, realRetryDeps, withRetries } from './retry.ts';
import type { AlertNotice, DeliveryResult, Notifier, SendOptions } from './types.ts';

/**
 * Writes the notice to the log. The last resort when nothing else is configured: it always
 * "delivers", but only someone reading the log sees it, which is why start warns about it.
 */
export class LogNotifier implements Notifier {
  readonly kind = 'log';
  constructor(
    private readonly logger: Logger,
    readonly target = 'log',
  ) {}

  async send(notice: AlertNotice, options: SendOptions = {}): Promise<DeliveryResult> {
    // ids, codes and the Danish text only: the text names the home by id, never by label
    this.logger.warn(
      {
        alertId: notice.alertId,
        homeId: notice.homeId,
        rule: notice.rule,
        severity: notice.severity,
        level: notice.level,
        reason: notice.reason.kind,
        target: this.target,
      },
      noticeText(notice).da,
    );
    await options.onAttempt?.({ attempt: options.firstAttempt ?? 1, result: 'delivered', detail: null });
    return { delivered: true, attempts: 1, detail: null };
  }
}

export interface WebhookNotifierOptions {
  /** a name for logs and the alert's notification list (the URL may hold a token, so it is never shown) */
  target: string;
  url: string;
  retry: RetryPolicy;
  logger: Logger;
  deps?: RetryDeps;
}

/** POSTs the notice as JSON, for a team's chat, a phone bridge or a control room's system. */
export class WebhookNotifier implements Notifier {
  readonly kind = 'webhook';
  readonly target: string;

  constructor(private readonly o: WebhookNotifierOptions) {
    this.target = o.target;
  }

  async send(notice: AlertNotice, options: SendOptions = {}): Promise<DeliveryResult> {
    const text = noticeText(notice);
    const body = {
      type: 'tryghed.alert',
      alertId: notice.alertId,
      homeId: notice.homeId,
      rule: notice.rule,
      severity: notice.severity,
      level: notice.level,
      reason: notice.reason.kind,
      ...(notice.reason.kind === 'degraded' ? { degraded: notice.reason.reasons } : {}),
      reminder: notice.reminder,
      openedAt: new Date(notice.openedAt).toISOString(),
      text: text.da,
      textEn: text.en,
      link: notice.link,
    };
    const result = await withRetries(
      (signal) => postJson(this.o.url, body, idempotencyHeader(options), signal),
      this.o.retry,
      this.o.deps ?? realRetryDeps,
      options,
    );
    logResult(this.o.logger, this.kind, this.target, notice, result);
    return result;
  }
}

export interface SmsNotifierOptions {
  /** the recipient's configured name; the number itself is never logged nor stored */
  target: string;
  to: string;
  gatewayUrl: string;
  token: string;
  retry: RetryPolicy;
  logger: Logger;
  deps?: RetryDeps;
}

/**
 * One phone number through an SMS/voice gateway over HTTP: POST `{to, text}` with a bearer token.
 * Each configured number is its own notifier, so every number's attempts are recorded apart.
 */
export class SmsNotifier implements Notifier {
  readonly kind = 'sms';
  readonly target: string;

  constructor(private readonly o: SmsNotifierOptions) {
    this.target = o.target;
  }

  async send(notice: AlertNotice, options: SendOptions = {}): Promise<DeliveryResult> {
    const text = noticeText(notice);
    const result = await withRetries(
      (signal) =>
        postJson(
          this.o.gatewayUrl,
          { to: this.o.to, text: `${text.da}\n${text.en}` },
          { authorization: `Bearer ${this.o.token}`, ...idempotencyHeader(options) },
          signal,
        ),
      this.o.retry,
      this.o.deps ?? realRetryDeps,
      options,
    );
    logResult(this.o.logger, this.kind, this.target, notice, result);
    return result;
  }
}

/** `Idempotency-Key`, when the notice has one: a receiver that honours it drops a repeat */
function idempotencyHeader(options: SendOptions): Record<string, string> {
  return options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
}

function logResult(
  logger: Logger,
  kind: string,
  target: string,
  notice: AlertNotice,
  result: DeliveryResult,
): void {
  const fields = {
    notifier: kind,
    target,
    alertId: notice.alertId,
    level: notice.level,
    attempts: result.attempts,
    detail: result.detail,
  };
  if (result.delivered) logger.info(fields, 'notification delivered');
  else logger.error(fields, 'notification not delivered');
}
