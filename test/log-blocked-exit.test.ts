import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../platform/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { platformProcessEnv } from './harness/platform-process.ts';

const ROOT = join(import.meta.dirname, '..');

/**
 * A stopping platform must stop, also when nothing reads its log output: else a service manager
 * waits for it, then kills it, and the restart that brings alarms back comes that much later.
 * `tryghed start` here writes its stdout into a real pipe whose reader never reads (bash process
 * substitution), is flooded with log lines (failed TLS handshakes at debug level), then gets SIGTERM.
 * Before, it never ended: a write to the full pipe held a thread, and pino's flush at exit waited
 * for the pipe for ever.
 */
it('ends within seconds of SIGTERM when nothing reads its log output', async () => {
  const dir = tempDir();
  const httpPort = await freePort();
  const tlsPort = await freePort();
  const env = platformProcessEnv({
    dataDir: dir.path,
    database: uniqueDatabase('log_exit'),
    httpPort,
    env: { MQTT_TLS_PORT: String(tlsPort), LOG_LEVEL: 'debug', LOG_BUFFER_BYTES: String(64 * 1024) },
  });
  // bash becomes the platform (exec); its stdout is a pipe to `sleep`, which reads nothing
  const child = spawn(
    'bash',
    ['-c', 'exec node --import tsx bin/tryghed.ts start 2>/dev/null > >(exec sleep 600)'],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore', detached: true },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.status === 200,
      { what: 'the platform up', timeoutMs: 60_000, intervalMs: 200 },
    );
    const handshake = () =>
      new Promise<void>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port: tlsPort });
        socket.once('error', () => resolve());
        socket.once('connect', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
        socket.once('close', () => resolve());
      });
    // far more than the pipe (64 KiB) and the buffer (64 KiB) hold: ~150 bytes a line
    for (let i = 0; i < 4000; i += 50) await Promise.all(Array.from({ length: 50 }, handshake));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const ended = await Promise.race([
      exited.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    expect(ended).toBe('ended');
    // the last lines get 2 s to go out, then are let go
    expect(Date.now() - t0).toBeLessThan(10_000);
  } finally {
    // the platform, and the reader that never read
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    dir.remove();
  }
}, 120_000);
