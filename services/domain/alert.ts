import { z } from 'zod';
import type { LegalBasisRef } from './consent.ts';
import type { HomeId } from './ids.ts';
import type { ReadingCategory, SensorKind } from './sensors.ts';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/**
 * Every rule the platform runs. `device_offline` and `low_battery` are technical: they reach
 * technicians, never care staff.
 */
export const RULE_KINDS = [
  'alarm_button',
  'fall',
  'smoke',
  'co',
  'water_leak',
  'temperature_low',
  'temperature_high',
  'inactivity',
  'door_night',
  'out_of_bed',
  'device_offline',
  'low_battery',
] as const;
export const RuleKind = z.enum(RULE_KINDS);
export type RuleKind = z.infer<typeof RuleKind>;

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export const AlertState = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof AlertState>;

export const OUTCOMES = ['real_incident', 'false_alarm', 'no_action_needed', 'technical_fault'] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

/** Who an alert is for: care staff, or technicians for technical alerts. */
export type Audience = 'care' | 'technical';

/** The readings and thresholds that made a rule fire, kept on the alert. */
export interface Evidence {
  readings: Array<{ deviceId: string; kind: SensorKind; value: number; ts: number }>;
  thresholds?: Record<string, number | string>;
  summary: string;
  /**
   * Raised while a technician had the home or the device in test mode (until then, epoch ms). A
   * critical alert is real all the same and reaches care staff, who judge whether it was the test or
   * the citizen; another is a test alert then, handed to staff when test mode ends if still open.
   */
  testMode?: { until: number };
}

/** What the rules service hands to the alerts service. */
export interface AlertCandidate {
  homeId: HomeId;
  rule: RuleKind;
  category: ReadingCategory;
  severity: Severity;
  audience: Audience;
  /** epoch ms, when the condition was seen */
  at: number;
  evidence: Evidence;
  /** raised from a test home or device, or a reading marked as test: never pages anyone */
  test?: boolean;
  /**
   * Test mode ended with this condition's test alert still open (nobody cleared it): it is handed
   * to care staff as a real alert, and only if that test alert is still open.
   */
  handover?: boolean;
}

export interface Alert {
  id: string;
  homeId: HomeId;
  rule: RuleKind;
  category: ReadingCategory;
  severity: Severity;
  audience: Audience;
  state: AlertState;
  openedAt: number;
  lastSeenAt: number;
  /** how many further times the condition was seen while this alert was open */
  repeats: number;
  evidence: Evidence;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  /**
   * who tapped "På vej" (set out to the home) and when, by the server's clock; null until then.
   * Setting out is also taking the alert on, so an open alert is acknowledged by the same tap.
   */
  enRouteBy: string | null;
  enRouteAt: number | null;
  /** who tapped "Fremme" (arrived at the home) and when, by the server's clock; null until then */
  arrivedBy: string | null;
  arrivedAt: number | null;
  resolvedBy: string | null;
  resolvedAt: number | null;
  outcome: Outcome | null;
  note: string | null;
  /** what allowed this alert to be raised (consent, power of attorney, paper form, § 128 a); null for technical alerts */
  legalBasis: LegalBasisRef | null;
  /** a test alert: shown to technicians, never pages staff or notifiers, left out of statistics */
  test: boolean;
  /** 0 = the team's screens; 1 = escalated to the whole team; 2 = handed to the fallback notifier */
  escalationLevel: number;
  /**
   * The stored row's version, set on an alert read from the store (never shown to people). An update
   * of a copy names it, and is refused as a conflict when another process changed the alert since.
   */
  version?: number;
}

export const AcknowledgeRequest = z
  .object({
    /** a first note; it is kept and never asked for again */
    note: z.string().trim().max(2000).optional(),
  })
  .strict();
export type AcknowledgeRequest = z.infer<typeof AcknowledgeRequest>;

export const ResolveRequest = z
  .object({
    outcome: Outcome,
    note: z.string().trim().max(2000).default(''),
  })
  .strict();
export type ResolveRequest = z.infer<typeof ResolveRequest>;

/** One change to an alert, numbered so a dashboard can resume from the last one it saw. */
export interface AlertEvent {
  seq: number;
  type:
    | 'opened'
    | 'repeated'
    | 'acknowledged'
    | 'en_route'
    | 'arrived'
    | 'resolved'
    | 'escalated'
    | 'notified';
  alert: Alert;
}

/** One attempt to reach someone about an alert, recorded on the alert whatever its result. */
export interface NotificationAttempt {
  id: number;
  alertId: string;
  /** epoch ms */
  at: number;
  /** which notifier: log, webhook, sms */
  notifier: string;
  /** where it went, without personal data (a configured target name, never a phone number) */
  target: string;
  /** the escalation level that caused it */
  level: number;
  /** 1 for the first try, counting retries */
  attempt: number;
  result: 'delivered' | 'failed';
  detail: string | null;
}

/**
 * One way out of the dashboard as the board shows it: a notifier and its configured name at one
 * escalation level, with what came of the latest notice sent through it. Built from the recorded
 * attempts only, so the board says what really happened, never what was meant to happen.
 */
export interface DeliveryChannel {
  /** which notifier: log, webhook, sms */
  notifier: string;
  /** its configured name (`fallback`, `team:…`, an SMS recipient's name); never a URL or number */
  target: string;
  /** the escalation level that used it (0: technicians, 1: the team, 2: the fallback) */
  level: number;
  /** notices sent through it (the first, then reminders) */
  notices: number;
  /** tries of the latest notice, retries counted */
  attempts: number;
  /** the latest notice got through */
  delivered: boolean;
  /** epoch ms of the latest try */
  at: number;
  /** the latest try's short reason (`HTTP 500`, `timeout`, `ECONNREFUSED`); null when delivered */
  detail: string | null;
}

/** What was really done to reach people outside the board about one alert. */
export interface AlertDelivery {
  /**
   * whether the platform has a fallback outside the dashboard now: `none` when only the log
   * catches what escalates to level 2
   */
  fallback: 'configured' | 'none';
  channels: DeliveryChannel[];
  /**
   * notices about this alert the outbox has not delivered (still being tried, or given up): the
   * board says "Besked ikke leveret" for each once it is late or given up (services/outbox)
   */
  undelivered: UndeliveredNotice[];
}

/** A notice about an alert not delivered (yet), as the board shows it. */
export interface UndeliveredNotice {
  /** which notifier (`webhook`, `sms`, `care-record`) and its configured name, never a URL or number */
  notifier: string;
  target: string;
  /** epoch ms the notice was made */
  since: number;
  /** epoch ms from which it counts as not delivered in time (NOTICE_LATE_S after `since`) */
  lateAt: number;
  /** tried as often as allowed, or refused for good: it will not be sent */
  givenUp: boolean;
  attempts: number;
  /** the latest try's short reason (`HTTP 503`, `ECONNREFUSED`), null before the first try */
  detail: string | null;
}

/** Folds the recorded attempts (oldest first) into one line per notifier, target and level. */
export function deliveryChannels(attempts: readonly NotificationAttempt[]): DeliveryChannel[] {
  const byKey = new Map<string, DeliveryChannel>();
  for (const a of attempts) {
    const key = `${a.level}\u0000${a.notifier}\u0000${a.target}`;
    let channel = byKey.get(key);
    if (!channel) {
      channel = {
        notifier: a.notifier,
        target: a.target,
        level: a.level,
        notices: 0,
        attempts: 0,
        delivered: false,
        at: a.at,
        detail: null,
      };
      byKey.set(key, channel);
    }
    // attempt 1 starts a new notice (the first one, or a reminder)
    if (a.attempt === 1 || channel.notices === 0) {
      channel.notices++;
      channel.delivered = false;
    }
    channel.attempts = a.attempt;
    channel.at = a.at;
    channel.delivered = a.result === 'delivered';
    channel.detail = a.result === 'delivered' ? null : a.detail;
  }
  return [...byKey.values()].sort((x, y) => x.level - y.level || x.at - y.at);
}
