export { noticeText } from './message.ts';
export {
  LogNotifier,
  SmsNotifier,
  type SmsNotifierOptions,
  WebhookNotifier,
  type WebhookNotifierOptions,
} from './notifiers.ts';
export {
  backoffDelay,
  classifyStatus,
  DEFAULT_RETRY,
  type RetryDeps,
  type RetryPolicy,
  realRetryDeps,
} from './retry.ts';
export type {
  AlertNotice,
  DeliveryAttempt,
  DeliveryResult,
  NoticeReason,
  Notifier,
  SendOptions,
} from './types.ts';
