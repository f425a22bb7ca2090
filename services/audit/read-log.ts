/**
 * The access log says who looked, not how often a page refreshed (issue 11 point 7). A page that
 * polls (the technician page every 5 s) or a board that reloads its list would otherwise write a
 * line per request: 80 "Tekniker så apparaterne" in 20 minutes, and the citizen cannot find the
 * one look that matters. A read is therefore recorded once per person, home, purpose and kind of
 * read (the action: seeing the readings is not the same as seeing the home) within
 * `READ_COALESCE_MS`, counted from the recorded entry: a read inside that window writes nothing.
 * Changes (consent, resolving an alert, provisioning) are never coalesced: each is recorded.
 */

/** 15 minutes: short enough that a look on another visit is its own line. */
export const READ_COALESCE_MS = 15 * 60_000;

/**
 * At most this many (person, home, purpose, action) keys are remembered. Forgetting one only means
 * its next read is recorded again, so the bound errs on the side of recording too much, never too
 * little. 100,000 keys is a few MB.
 */
export const READ_COALESCE_MAX_KEYS = 100_000;

/** A read by the naming convention of audit actions: `home.read`, `alerts.list`, `home.overview`. */
export function isRead(action: string): boolean {
  return /\.(read|list|overview)$/.test(action);
}

export interface ReadKey {
  actorId: string;
  homeId: string | null;
  purpose: string;
  action: string;
}

/**
 * Decides per read whether it is recorded. In memory per process (a restart or a second process
 * records one more line, which is harmless); the oldest keys are dropped first when it is full.
 */
export class ReadCoalescer {
  /** key → when the last recorded read of it happened; insertion order is recording order */
  private readonly recorded = new Map<string, number>();

  constructor(
    private readonly windowMs = READ_COALESCE_MS,
    private readonly maxKeys = READ_COALESCE_MAX_KEYS,
  ) {}

  /** true: record this read now; false: the same read was recorded less than the window ago */
  shouldRecord(read: ReadKey, at: number): boolean {
    const key = JSON.stringify([read.actorId, read.homeId, read.purpose, read.action]);
    const last = this.recorded.get(key);
    // a clock that went backwards (a test, an NTP step) records rather than staying silent
    if (last !== undefined && at >= last && at - last < this.windowMs) return false;
    this.recorded.delete(key);
    this.recorded.set(key, at);
    // insertion order is recording order: the first keys are the oldest
    for (const first of this.recorded.keys()) {
      if (this.recorded.size <= this.maxKeys) break;
      this.recorded.delete(first);
    }
    return true;
  }

  get size(): number {
    return this.recorded.size;
  }
}

const coalescers = new WeakMap<object, ReadCoalescer>();

/** One coalescer per audit log (per store), so each dashboard in a process keeps its own. */
export function readCoalescerFor(auditLog: object): ReadCoalescer {
  let c = coalescers.get(auditLog);
  if (!c) {
    c = new ReadCoalescer();
    coalescers.set(auditLog, c);
  }
  return c;
}
