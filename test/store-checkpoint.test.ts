import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, startCheckpointer } from '../services/store/checkpointer.ts';
import { closeDatabase, type OpenedDatabase, openDatabase } from '../services/store/open.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const detail = 'x'.repeat(50_000);

/** `n` commits of 50 KB each, pausing `pauseMs` after every `every`; the largest log seen, bytes */
async function write(opened: OpenedDatabase, path: string, n: number, every: number, pauseMs: number) {
  let largest = 0;
  for (let i = 0; i < n; i++) {
    await opened.db
      .insertInto('audit')
      .values({
        at: i,
        actor_id: 't',
        actor_role: 'admin',
        action: 'bulk',
        home_id: null,
        purpose: 'test',
        detail,
      })
      .execute();
    if (i % every === every - 1) await new Promise((r) => setTimeout(r, pauseMs));
    largest = Math.max(largest, statSync(`${path}-wal`).size);
  }
  return largest;
}

/**
 * A SQLite store's write-ahead log is copied into the database file by a worker thread, not by the
 * main thread's commits (see `services/store/checkpointer.ts`): the log must still stay bounded, the
 * worker must close its connection on close, and a worker that fails must hand checkpoints back.
 */
describe('the SQLite log checkpointer', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  it('keeps the log small from its own thread, and closes its connection before the store', async () => {
    dir = tempDir();
    const path = `${dir.path}/store.db`;
    const opened = await openDatabase({ sqlitePath: path });
    const auto = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(opened.db);
    expect(auto.rows[0]?.wal_autocheckpoint).toBe(BACKSTOP_PAGES);
    // 6 MB in 120 commits (~1,500 pages): the main connection would not checkpoint before 4,000
    await write(opened, path, 120, 1, 15);
    const status = () => opened.checkpointer!.status();
    expect(status().checkpoints).toBeGreaterThan(0);
    // once writes pause, the worker has copied the whole log into the file, so the next commit
    // starts the log over: the worker then finds a log of that one commit (13 pages), not thousands
    await eventually(
      async () => {
        await write(opened, path, 1, 1, 300);
        return status().logPages > 0 && status().logPages < 50;
      },
      { timeoutMs: 10_000, what: 'a log started over' },
    );
    expect(status().fellBack).toBe(false);
    expect(status().failures).toBe(0);
    // the operator's figure is the log file as it is now
    expect(status().walBytes).toBeGreaterThan(0);
    expect(status().walBytes).toBe(statSync(`${path}-wal`).size);
    const rows = await opened.db
      .selectFrom('audit')
      .select(opened.db.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBeGreaterThan(120);
    // the worker closed its connection first, so the main one was the last: SQLite removes the log
    await closeDatabase(opened);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("keeps the main connection's own checkpoint as a backstop at 4,000 pages", async () => {
    dir = tempDir();
    const path = `${dir.path}/store.db`;
    const opened = await openDatabase({ sqlitePath: path });
    // the worker stopped as at a close: only the main connection's backstop is left
    await opened.checkpointer?.stop();
    // 24 MB in dense commits: without the backstop the log would hold all of it
    const largest = await write(opened, path, 480, 100, 1);
    expect(largest).toBeLessThan((BACKSTOP_PAGES + 50) * 4096);
    await opened.db.destroy();
  });

  it('closes in a process with nothing else left to do (the close settles; the process ends cleanly)', () => {
    dir = tempDir();
    // a real process: in it, the unreferenced worker is all that is left once the store is closing
    const script = `
      import { openStore } from './services/store/index.ts';
      const store = await openStore({ sqlitePath: process.argv[1] });
      await store.close();
      console.log('closed');
    `;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, `${dir.path}/store.db`],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(out.trim()).toBe('closed');
    expect(existsSync(`${dir.path}/store.db-wal`)).toBe(false);
  });

  it('hands checkpoints back to the main connection when its worker fails', async () => {
    dir = tempDir();
    const raw = new Database(`${dir.path}/a.db`);
    raw.pragma('journal_mode = WAL');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    // the worker cannot open this file: it fails at once, as it would on any error of its own
    const checkpointer = startCheckpointer(raw, `${dir.path}/missing.db`);
    await eventually(() => checkpointer.status().fellBack, { what: 'the fallback' });
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // said once, with the error's code and without the file's path
    await eventually(() => warnings.length > 0, { what: 'the warning' });
    process.off('warning', onWarning);
    expect(warnings).toEqual([
      'the SQLite checkpoint worker stopped (SQLITE_CANTOPEN); the store checkpoints on commit again',
    ]);
    await checkpointer.stop();
    raw.close();
  });
});

describe("the SQLite log in the platform's metrics", () => {
  it('says how large the log is now and whether the worker fell back', async () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/store.db`;
      const platform = await startTestPlatform({
        dataDir: dir.path,
        database: uniqueDatabase('wal'),
        env: { SQLITE_PATH: path },
      });
      try {
        await platform.store.teams.create({ id: 't', name: 'T' });
        const wal = await platform.metrics.value('tryghed_store_wal_bytes');
        expect(wal).toBeGreaterThan(0);
        expect(wal).toBe(statSync(`${path}-wal`).size);
        expect(await platform.metrics.value('tryghed_store_checkpointer_fell_back')).toBe(0);
        expect(platform.store.sqliteLog?.()).toMatchObject({ fellBack: false, failures: 0 });
      } finally {
        await platform.close();
      }
    } finally {
      dir.remove();
    }
  });
});
