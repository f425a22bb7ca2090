import { z } from 'zod';
import type { LegalBasisRef } from './consent.ts';
import type { HomeId } from './ids.ts';
import type { ReadingCategory, SensorKind } from './sensors.ts';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

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
  type: 'opened' | 'repeated' | 'acknowledged' | 'resolved' | 'escalated' | 'notified';
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
