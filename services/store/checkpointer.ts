import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Copies the SQLite write-ahead log into the database file from a thread of its own.
 *
 * Left to SQLite, the commit that fills the log past 1,000 pages copies it back into the database
 * and fsyncs that file, on the thread that committed: the main thread, in the middle of whatever it
 * was doing. An alert's commit did that once every hundred or so alarms, holding the event loop
 * for up to 20 ms (measured in the bench). Here a worker thread with its own connection checkpoints
 * every `intervalMs` instead (PASSIVE: it never waits for, nor blocks, the main thread's readers and
 * writer), and the main connection no longer checkpoints on commit at 1,000 pages.
 *
 * A checkpoint can only start the log over once it has copied all of it, so under writes too dense
 * for the worker to catch up with, the log would grow: the main connection still checkpoints on
 * commit once the log has 4,000 pages (four times SQLite's default). That backstop is skipped when it
 * finds the worker's checkpoint under way and tried again at the next commit, so under dense writes
 * on a loaded machine the log can pass 16 MB by a long way before it starts over (47 MB of 72 MB
 * written in 50 KB commits, seen in a CI run); writes that pause let the worker catch up.
 *
 * Nothing is less durable for it: a commit is in the log either way, and the log is read back on
 * the next open after a crash. If the worker fails or exits on its own, the main connection goes
 * back to SQLite's own checkpoints at once.
 */
export interface Checkpointer {
  /**
   * checkpoints the worker made that copied something, and attempts that failed (busy: tried again);
   * the log's pages and how many of them are in the database file, as of the last checkpoint;
   * whether the main connection went back to its own
   */
  status(): {
    checkpoints: number;
    failures: number;
    logPages: number;
    copiedPages: number;
    fellBack: boolean;
    /** the log file's size now (0 when there is none): what grows when checkpoints cannot keep up */
    walBytes: number;
  };
  /** stops the worker after any checkpoint in progress; it closes its connection first */
  stop(): Promise<void>;
}

/** SQLite's own default: a checkpoint by the committing connection once the log has this many pages */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** the main connection's own checkpoint while the worker runs: only when the worker cannot keep up */
export const BACKSTOP_PAGES = 4 * SQLITE_AUTOCHECKPOINT_PAGES;

/** the worker's code: CommonJS, run from a string, so it loads the same way under tsx, vitest and node */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
let timer = null;
let stopped = false;
let last = '';
const tick = () => {
  if (stopped) return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // said only when it moved something: the log's pages, and how many of them are in the file now
    const now = r ? r.log + ':' + r.checkpointed : '';
    if (r && r.checkpointed > 0 && now !== last) parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
    last = now;
  } catch (err) {
    // busy or locked for a moment: tried again at the next tick (the main connection's backstop holds)
    parentPort.postMessage({ error: String(err && err.code || err) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

export function startCheckpointer(raw: Database.Database, path: string, intervalMs = 250): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, path, intervalMs } });
  // the process may end without closing the store (a crash is one way): the log is read back then
  worker.unref();
  let checkpoints = 0;
  let fellBack = false;
  let stopping = false;
  raw.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const fallBack = (err?: unknown) => {
    if (fellBack || stopping || !raw.open) return;
    fellBack = true;
    raw.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    // said once, on stderr (the store has no logger of its own): the platform works on, as SQLite's
    // own checkpoints did before; the error's code only, never a path or data
    const code = (err as { code?: string } | undefined)?.code ?? (err ? 'error' : 'exited');
    process.emitWarning(
      `the SQLite checkpoint worker stopped (${code}); the store checkpoints on commit again`,
      'TryghedStoreWarning',
    );
  };
  let logPages = 0;
  let copiedPages = 0;
  let failures = 0;
  worker.on('message', (m: { log: number; checkpointed: number } | { error: string }) => {
    if ('error' in m) {
      failures++;
      return;
    }
    checkpoints++;
    logPages = m.log;
    copiedPages = m.checkpointed;
  });
  worker.on('error', (err) => fallBack(err));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      fallBack();
      resolve();
    }),
  );
  return {
    status: () => ({
      checkpoints,
      failures,
      logPages,
      copiedPages,
      fellBack,
      walBytes: statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0,
    }),
    async stop() {
      stopping = true;
      // waited for: with the worker unreferenced, a process with nothing else left would end (with
      // the store's close never settled) before the worker had closed its connection
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
