import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, tempDir, uniqueDatabase } from './harness/index.ts';

/** Runs `tryghed start` as a user would, and returns how it ended. */
function runStart(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'start'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start did not end within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('tryghed start refuses to run misconfigured, naming the setting to change', () => {
  const dir = tempDir();
  let blocker: Server;
  let takenPort: number;
  const base = () => ({
    DATA_DIR: dir.path,
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DATABASE: uniqueDatabase('cli'),
    INFLUX_AUTOSTART: 'false',
    ADMIN_PASSWORD: 'admin-password-1',
    HTTP_PORT: '0',
    MQTT_PORT: '0',
    MQTT_TLS_PORT: '0',
  });

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    takenPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    dir.remove();
  });

  it('a bad value', async () => {
    const { code, out } = await runStart({ ...base(), HTTP_PORT: 'abc' });
    expect(code).toBe(1);
    expect(out).toContain('HTTP_PORT');
  });

  it('a taken dashboard port', async () => {
    const { code, out } = await runStart({ ...base(), HTTP_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('HTTP_PORT');
  });

  it('a taken MQTT port', async () => {
    const { code, out } = await runStart({ ...base(), MQTT_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('MQTT_PORT');
  });

  it('no InfluxDB answering', async () => {
    const { code, out } = await runStart({ ...base(), INFLUX_URL: `http://127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    expect(out).toContain('INFLUX_URL');
  });
});
