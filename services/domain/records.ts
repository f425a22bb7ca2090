/** One line of the audit log (every read of a home's data and every change): owned by `services/audit`. */
export interface AuditEntry {
  id: number;
  at: number;
  actorId: string;
  actorRole: string;
  action: string;
  homeId: string | null;
  purpose: string;
  detail: string | null;
}

/**
 * A request to erase the readings stored about a home, and what came of it: owned by
 * `services/erasure`.
 */
export interface ErasureRequest {
  id: number;
  homeId: string;
  /** user id of whoever asked */
  requestedBy: string;
  requesterRole: string;
  /** set when a relative or staff member asked for the citizen */
  onBehalfOf: string | null;
  /** what was erased: the home's readings in the time-series store */
  scope: 'readings';
  requestedAt: number;
  completedAt: number;
  result: 'erased' | 'failed';
  /** why it failed; never personal data */
  detail: string | null;
}
