import type { RuleKind, Severity } from '../domain/index.ts';

/** Why someone outside the team's screens is being told. */
export type NoticeReason =
  /** not acknowledged within the severity's deadline */
  | { kind: 'unacknowledged' }
  /** nobody of the home's team is connected to the dashboard */
  | { kind: 'unwatched' }
  /** the platform is degraded, so the dashboard alone cannot be trusted */
  | { kind: 'degraded'; reasons: string[] }
  /** a technical alert, for technicians */
  | { kind: 'technical' };

/**
 * What a notifier is told about an alert. Pseudonymous on purpose: the home id and a link to the
 * dashboard, never the home's label, a name or an address (those stay behind the dashboard's login).
 */
export interface AlertNotice {
  alertId: string;
  homeId: string;
  rule: RuleKind;
  severity: Severity;
  /** the escalation level that caused this notice (1 = the whole team, 2 = the fallback) */
  level: number;
  /** epoch ms */
  openedAt: number;
  /** epoch ms, when this notice was made; "not acknowledged after …" is counted from openedAt */
  at: number;
  reason: NoticeReason;
  /** 0 for the first notice at this level, then 1, 2, … for reminders */
  reminder: number;
  /** the alert on the dashboard */
  link: string;
}

/** One try to deliver a notice, reported as it happens so every attempt is recorded. */
export interface DeliveryAttempt {
  /** 1 for the first try */
  attempt: number;
  result: 'delivered' | 'failed';
  /** a short reason without personal data: `HTTP 503`, `timeout`, `ECONNREFUSED`, … */
  detail: string | null;
}

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  detail: string | null;
  /** another try cannot help (a 4xx other than 408/429): the outbox gives the notice up at once */
  final?: boolean;
}

export interface SendOptions {
  /** called after every attempt, delivered or not */
  onAttempt?: (attempt: DeliveryAttempt) => void | Promise<void>;
  /** stops retrying (and aborts a request in flight): the alert was acknowledged, or we are stopping */
  signal?: AbortSignal;
  /**
   * one per notice, the same on every try and after a restart: sent as the `Idempotency-Key`
   * header, so a receiver that honours it drops a repeat (services/outbox)
   */
  idempotencyKey?: string;
  /** the number of the first try this call makes (the outbox's count so far, plus one); 1 by default */
  firstAttempt?: number;
}

/** A way to reach a person outside the dashboard. */
export interface Notifier {
  /** which kind: `log`, `webhook`, `sms` */
  readonly kind: string;
  /** a configured name, safe to log and store: never a URL with a token, never a phone number */
  readonly target: string;
  send(notice: AlertNotice, options?: SendOptions): Promise<DeliveryResult>;
}
