import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/index.ts';

export interface LocalRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** answers PING now */
  ping(): Promise<boolean>;
  /** forgets everything (FLUSHALL): one test's sessions and retained messages are not the next one's */
  flush(): Promise<void>;
  /** CLIENT PAUSE: Redis answers no client for `ms` (a slow or stalled Redis, as under load) */
  pause(ms: number): Promise<void>;
  /** kill -9: Redis dies as in a power cut (the append-only file stays) */
  kill(): Promise<void>;
  /** starts it again on the same port and data (after `kill`) */
  restart(): Promise<void>;
  /** stops it and removes its folder */
  close(): Promise<void>;
}

const BINARY = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';

/**
 * Debian's `redis-server` in a temp folder on a free 127.0.0.1 port, with the append-only file on
 * (every write fsync'd), as sessions that must survive a restart need. Resolves once it answers
 * PING; throws with the tail of its log when it cannot start.
 */
export async function startRedis(): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tryghed-redis-'));
  const port = await freePort();
  const log = join(dir, 'redis.log');
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `dir ${dir}`,
      `logfile ${log}`,
      'daemonize no',
      'appendonly yes',
      'appendfsync always',
      'save ""',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let spawnError = '';

  const tail = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const launch = async () => {
    spawnError = '';
    const c = spawn(BINARY, [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    c.on('error', (err) => {
      spawnError = `cannot start ${BINARY}: ${err.message}; install Debian's redis-server (scripts/setup.sh)`;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await ping(port)) return;
      const exited = c.exitCode !== null || c.signalCode !== null;
      if (spawnError || exited || Date.now() > deadline) {
        if (!exited) c.kill('SIGKILL');
        throw new Error(
          `redis-server did not start on 127.0.0.1:${port}${spawnError ? `: ${spawnError}` : ''}\n${stderr.trim()}\n${tail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill(signal);
    });

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    ping: () => ping(port),
    async flush() {
      if (!(await send(port, 'FLUSHALL', '+OK'))) throw new Error('FLUSHALL failed');
    },
    async pause(ms) {
      if (!(await send(port, `CLIENT PAUSE ${Math.round(ms)} ALL`, '+OK')))
        throw new Error('CLIENT PAUSE failed');
    },
    kill: () => stop('SIGKILL'),
    restart: launch,
    async close() {
      await stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING over a raw socket: true on +PONG. */
const ping = (port: number) => send(port, 'PING', '+PONG');

/** One inline command over a raw socket: true when the answer starts with `expected`. */
function send(port: number, command: string, expected: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (d) => done(String(d).startsWith(expected)));
  });
}
