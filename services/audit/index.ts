import type { AuditEntry } from '../domain/index.ts';
import type { Store } from '../store/index.ts';
import { type ReadKey, readCoalescerFor } from './read-log.ts';

export { isRead, READ_COALESCE_MAX_KEYS, READ_COALESCE_MS, ReadCoalescer, type ReadKey } from './read-log.ts';

/**
 * The audit log (every read of a home's data and every change, with its purpose) and the access
 * log the citizen reads from it: the one owner of the `audit_log` table.
 */
export class AuditLog {
  private readonly entries;

  constructor(store: Pick<Store, 'audit'>) {
    this.entries = store.audit;
  }

  append(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    return this.entries.append(entry);
  }

  /** a home's entries, newest first */
  ofHome(homeId: string, limit?: number): Promise<AuditEntry[]> {
    return this.entries.listByHome(homeId, limit);
  }

  /**
   * true: record this read now; false: the same read was recorded less than the coalescing window
   * ago. One coalescer per table (per store), so each dashboard over one database shares it.
   */
  shouldRecordRead(read: ReadKey, at: number): boolean {
    return readCoalescerFor(this.entries).shouldRecord(read, at);
  }
}
