import type { Alert } from '../domain/index.ts';

/**
 * An alert change the store did not take (it was unreachable when the alert was raised), kept in
 * memory until it does. One entry per home and rule: a new alert shown to staff before it was
 * stored (`open`), or repeats (and a critical re-opening) of an alert already stored (`repeat`).
 */
export type UnsavedChange =
  | { kind: 'open'; alert: Alert }
  | {
      kind: 'repeat';
      alert: Alert;
      /** repeats counted since the stored row */
      count: number;
      /** a critical repeat re-opened the acknowledged alert */
      reopen: boolean;
    };

/**
 * The alert changes waiting for the store, by home and rule, in the order they were raised (a
 * Map keeps insertion order), so they are written in that order once the store answers again.
 * Memory: one entry per home and rule raised during the outage, however often it repeats.
 */
export class UnsavedAlerts {
  private readonly byKey = new Map<string, UnsavedChange>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): UnsavedChange | undefined {
    return this.byKey.get(key);
  }

  set(key: string, change: UnsavedChange): void {
    this.byKey.set(key, change);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** the keys waiting now, oldest first */
  keys(): string[] {
    return [...this.byKey.keys()];
  }
}

/** An alert as it is while its home and rule's unsaved change waits: one more repeat counted on it. */
export function repeatedUnsaved(
  change: UnsavedChange,
  at: number,
  critical: boolean,
): { change: UnsavedChange; reopened: boolean } {
  const before = change.alert;
  const reopen = before.state === 'acknowledged' && critical;
  const alert: Alert = {
    ...before,
    repeats: before.repeats + 1,
    lastSeenAt: Math.max(before.lastSeenAt, at),
    ...(reopen
      ? { state: 'open' as const, acknowledgedBy: null, acknowledgedAt: null, escalationLevel: 0 }
      : {}),
  };
  if (change.kind === 'open') return { change: { kind: 'open', alert }, reopened: reopen };
  return {
    change: { kind: 'repeat', alert, count: change.count + 1, reopen: change.reopen || reopen },
    reopened: reopen,
  };
}
