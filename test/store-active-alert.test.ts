import { CompiledQuery } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../services/store/open.ts';
import { activeAlertQuery } from '../services/store/records.ts';
import { tempDir } from './harness/index.ts';

/**
 * Every alarm asks the store for the home's unresolved alert of the rule. The partial index of
 * active alerts answers that in one step, but only a statement whose `state <> 'resolved'` is part of
 * its text matches that index as prepared; bound as a parameter, SQLite prepares the statement again
 * for each value to find it, and PostgreSQL's generic plan never does.
 */
describe('the active alert lookup', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  it("names 'resolved' in its text and is answered from the partial index of active alerts", async () => {
    dir = tempDir();
    const opened = await openDatabase({ sqlitePath: `${dir.path}/store.db` });
    const { db } = opened;
    try {
      const q = activeAlertQuery(db, 'h1', 'fall').compile();
      expect(q.parameters).toEqual(['h1', 'fall']);
      expect(q.sql).toContain(`<> 'resolved'`);
      // planned without the values: what the statement does whatever it is bound to
      const plan = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [null, null]),
      );
      const details = plan.rows.map((r) => r.detail).join(' | ');
      expect(details).toContain('alerts_one_active');
      expect(details).not.toContain('SCAN');
    } finally {
      // the checkpoint worker too: left running, it can still be writing in the folder removed next
      await closeDatabase(opened);
    }
  });
});
