import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../platform/index.ts';

/** A real PostgreSQL server for tests, in a temp folder on a free port. */
export interface LocalPostgres {
  /** URL of the server's `postgres` database, to create test databases from */
  adminUrl: string;
  /** stops the server and keeps its data: an outage (`resume()` starts it again on the same port) */
  pause(): Promise<void>;
  /** starts a paused server again, on the same data and port; resolves once it answers */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL from Debian's `postgresql` package (or `PG_BIN`). */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run scripts/setup.sh, or apt-get install postgresql',
    );
  return join(root, versions[0]!, 'bin');
}

/**
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user the Debian
 * package made (setpriv execs, so the process we hold is the server itself).
 */
function asServerUser(binary: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [binary, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', binary, ...args]];
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a throwaway PostgreSQL: initdb in a temp folder (C locale, so text sorts as on SQLite),
 * fsync off (a test database need not survive a power cut), listening on 127.0.0.1 only, its
 * socket in the temp folder. Throws with the log's tail when it cannot start: a run must fail,
 * never skip, when PostgreSQL is missing.
 */
export async function startPostgres(): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'tryghed-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const fail = (what: string): never => {
    const message = `PostgreSQL could not start (${what}):\n${tail(log)}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(message);
  };
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0) fail('no postgres user to run it as; is the postgresql package installed?');
    chownSync(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'tryghed',
    '--auth=trust',
    '--locale=C',
    '--encoding=UTF8',
    '--no-sync',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) fail(`initdb: ${init.stderr || init.stdout || init.error?.message}`);
  const port = await freePort();
  const adminUrl = `postgres://tryghed@127.0.0.1:${port}/postgres`;
  const out = openSync(log, 'a');
  const [cmd, args] = asServerUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ]);
  let server: ChildProcess;
  let exited = false;
  const run = async () => {
    exited = false;
    const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
    server = child;
    child.once('exit', () => {
      if (server === child) exited = true;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) fail('the server exited');
      const client = new pg.Client({ connectionString: adminUrl });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        break;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          fail('not ready after 30 s');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const halt = async () => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    // SIGINT: a fast shutdown, which does not wait for clients to disconnect
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    exited = true;
  };
  await run();
  return {
    adminUrl,
    pause: halt,
    resume: run,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new, empty database on the server (one per test file or suite), and a way to drop it. */
export async function createPostgresDatabase(
  adminUrl: string,
  prefix = 'test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
