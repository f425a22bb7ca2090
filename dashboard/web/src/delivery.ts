import type { Alert, DeliveryChannel, UndeliveredNotice } from './api.ts';
import { currentLang, t } from './i18n.ts';
import type { MessageKey } from './messages/index.ts';

/** `{name}` placeholders of a catalog string, filled. */
export function fill(key: MessageKey<'common'>, vars: Record<string, string | number>): string {
  return t(key, vars);
}

/** The time of day, as staff say it ("kl. 10.02"). */
export function clockTime(ms: number): string {
  return new Intl.DateTimeFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
}

/** Which way out this was, in words a care worker knows: never a URL or a phone number. */
export function channelName(c: Pick<DeliveryChannel, 'notifier' | 'target'>): string {
  if (c.notifier === 'sms') return fill('channel_sms', { name: c.target });
  if (c.notifier === 'care-record') return t('channel_care_record');
  if (c.notifier === 'webhook') {
    if (c.target.startsWith('team:')) return t('channel_team');
    if (c.target === 'technician') return t('channel_technician');
    if (c.target === 'fallback') return t('channel_fallback');
  }
  return c.target;
}

/** why a try failed, said simply; the code itself stays for whoever follows up */
export function why(detail: string | null): string {
  if (!detail) return t('why_unknown');
  if (detail === 'timeout') return t('why_timeout');
  if (detail === 'aborted') return t('why_aborted');
  if (detail === 'notifier_error') return t('why_notifier');
  if (detail === 'sender_error') return t('why_sender');
  if (detail === 'no_channel') return t('why_no_channel');
  if (detail === 'expired') return t('why_expired');
  if (detail.startsWith('HTTP ')) return fill('why_http', { code: detail.slice(5) });
  return fill('why_network', { code: detail });
}

/** One line per way out that was tried: what, when, delivered or not. */
export function deliveryLine(c: DeliveryChannel): string {
  const time = clockTime(c.at);
  let line: string;
  if (c.notifier === 'log') line = fill('deliveryLogOnly', { time });
  else if (c.delivered)
    line = fill(c.attempts > 1 ? 'deliveredAfter' : 'delivered', {
      channel: channelName(c),
      time,
      n: c.attempts,
    });
  else
    line = fill(c.attempts > 1 ? 'notDelivered' : 'notDeliveredOnce', {
      channel: channelName(c),
      time,
      n: c.attempts,
      why: why(c.detail),
    });
  return c.notices > 1 ? `${line}${fill('reminders', { n: c.notices - 1 })}` : line;
}

/** the fallback (level 2) really got nowhere but the log: none is set up */
export function onlyLog(a: Alert): boolean {
  const level2 = a.delivery.channels.filter((c) => c.level >= 2);
  if (level2.some((c) => c.notifier !== 'log')) return false;
  return a.delivery.fallback === 'none' || level2.some((c) => c.notifier === 'log');
}

/**
 * The heading of an escalated, unacknowledged alert. Level 2 says what really happened to the
 * fallback (issue 7 item 11): delivered, tried and not delivered, still on its way, or that there
 * is none and the alert was only written to the log.
 */
export function escalationText(a: Alert): string {
  if (a.escalationLevel < 2) return t('escalated_1');
  const level2 = a.delivery.channels.filter((c) => c.level >= 2 && c.notifier !== 'log');
  if (level2.some((c) => c.delivered)) return t('escalated_2');
  if (level2.length > 0) return t('escalated_2_failed');
  if (onlyLog(a)) return t('escalated_2_none');
  return t('escalated_2_sending');
}

/**
 * "Besked ikke leveret" (issue 13): a notice not delivered within NOTICE_LATE_S, or given up, with
 * its channel and since when. Still being tried notices say why the last try failed.
 */
export function undeliveredLine(n: UndeliveredNotice): string {
  const channel = channelName(n);
  const time = clockTime(n.since);
  if (n.givenUp) return fill('noticeGivenUp', { channel, time, n: n.attempts, why: why(n.detail) });
  if (n.attempts === 0) return fill('noticeLateUntried', { channel, time });
  return fill('noticeLate', { channel, time, why: why(n.detail) });
}

/** the alert's notices that are late now (past their time, or given up), by this screen's clock */
export function lateNotices(a: Alert, now = Date.now()): UndeliveredNotice[] {
  return (a.delivery.undelivered ?? []).filter((n) => n.givenUp || now >= n.lateAt);
}
