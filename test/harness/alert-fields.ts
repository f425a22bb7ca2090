import type { Alert } from '../../services/domain/index.ts';

/** What an alert nobody has touched yet holds: for store tests that build alert rows by hand. */
export const untouchedAlert = {
  acknowledgedBy: null,
  acknowledgedAt: null,
  enRouteBy: null,
  enRouteAt: null,
  arrivedBy: null,
  arrivedAt: null,
  resolvedBy: null,
  resolvedAt: null,
  outcome: null,
  note: null,
  legalBasis: null,
  test: false,
  escalationLevel: 0,
} satisfies Partial<Alert>;
