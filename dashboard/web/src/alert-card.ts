import type { Alert, Outcome } from './api.ts';
import { lateNotices } from './delivery.ts';
import { el } from './dom.ts';
import { t } from './i18n.ts';

/** The parts of an alert card the board and its list share; the card itself is alert-list.tsx. */

export const OUTCOMES: readonly Outcome[] = [
  'real_incident',
  'false_alarm',
  'no_action_needed',
  'technical_fault',
];

/** What a person has typed into a resolve form but not saved yet; it survives a re-render. */
export interface ResolveDraft {
  outcome: string;
  note: string;
}

export interface CardActions {
  acknowledge(id: string): void;
  /** "På vej" */
  setOut(id: string): void;
  /** "Fremme" */
  arrive(id: string): void;
  toggleResolve(id: string): void;
  submitResolve(id: string, draft: ResolveDraft): void;
  draft(id: string): ResolveDraft;
  /** why the last action on this alert failed, in words, until the next one (null: it did not) */
  failure(id: string): string | null;
}

export { el };

export const alertTitle = (a: Alert) => `${t.of('rule_', a.rule)} – ${a.homeLabel}`;

/**
 * Everything a card shows; when it is unchanged the card's element is kept as it is, so a live
 * update elsewhere on the board never touches the card someone is working in.
 */
export function cardSignature(a: Alert, resolving: boolean, showTeam = false): string {
  return [
    showTeam ? (a.team?.name ?? '') : '',
    a.acknowledgedByName ?? '',
    a.acknowledgedAt ?? '',
    a.enRouteAt ?? '',
    a.enRouteByName ?? '',
    a.arrivedAt ?? '',
    a.arrivedByName ?? '',
    arrivalOverdue(a),
    // how many notices are late now: a notice passing NOTICE_LATE_S changes the card by itself
    lateNotices(a).length,
    a.state,
    a.severity,
    a.repeats,
    a.lastSeenAt,
    a.acknowledgedBy,
    a.escalationLevel,
    a.homeLabel,
    a.note ?? '',
    resolving,
    JSON.stringify(a.delivery),
  ].join('|');
}

/**
 * Nobody "fremme" and the arrival target (ARRIVAL_TARGET_MIN) has passed: by the server's due time,
 * against this screen's clock. Said in words, with a sign, not by colour alone.
 */
export function arrivalOverdue(a: Alert, now = Date.now()): boolean {
  return a.arrivalDueAt !== null && a.arrivedAt === null && a.state !== 'resolved' && now >= a.arrivalDueAt;
}
