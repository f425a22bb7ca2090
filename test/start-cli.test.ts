import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
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

  it('a taken MQTT TLS port', async () => {
    const { code, out } = await runStart({ ...base(), MQTT_TLS_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('MQTT_TLS_PORT');
  });

  it('a certificate file that is not there', async () => {
    const { code, out } = await runStart({
      ...base(),
      MQTT_TLS_CERT: `${dir.path}/nowhere.pem`,
      MQTT_TLS_KEY: `${dir.path}/nowhere.key`,
    });
    expect(code).toBe(1);
    expect(out).toContain(`MQTT_TLS_CERT: no file at ${dir.path}/nowhere.pem`);
  });

  it('no certificate set and no openssl program to make one', async () => {
    const noTools = tempDir();
    try {
      const { code, out } = await runStart({ ...base(), DATA_DIR: noTools.path, PATH: noTools.path });
      expect(code).toBe(1);
      expect(out).toContain('no `openssl` program');
      expect(out).toContain('MQTT_TLS_PORT=off');
    } finally {
      noTools.remove();
    }
  });

  it('no InfluxDB answering', async () => {
    const { code, out } = await runStart({ ...base(), INFLUX_URL: `http://127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    expect(out).toContain('INFLUX_URL');
  });
});

/** Runs `tryghed start` until it says it is running, then stops it with SIGTERM. */
function runUntilUp(env: Record<string, string>, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'start'], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start did not come up within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const collect = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Stop with Ctrl+C')) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('tryghed start makes a self-signed TLS pair once and prints its fingerprint', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('first start makes it under DATA_DIR and prints the fingerprint; a second start reuses it', async () => {
    const env = {
      DATA_DIR: dir.path,
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DATABASE: uniqueDatabase('cli'),
      INFLUX_AUTOSTART: 'false',
      ADMIN_PASSWORD: 'admin-password-1',
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      MQTT_TLS_PORT: '0',
    };
    const first = await runUntilUp(env);
    const certPath = join(dir.path, 'tls', 'mqtt-server.pem');
    const fingerprint = new X509Certificate(readFileSync(certPath)).fingerprint256;
    expect(first).toContain(`TLS certificate SHA-256 fingerprint: ${fingerprint}`);
    expect(first).toContain(certPath);
    expect(first).toMatch(/MQTT \(TLS\): mqtts:\/\/127\.0\.0\.1:\d+/);
    expect(first).toContain('switch off in production, MQTT_PLAIN_PORT=0');
    const second = await runUntilUp(env);
    expect(second).toContain(`TLS certificate SHA-256 fingerprint: ${fingerprint}`);
  }, 75_000); // two whole starts, each allowed 30 s by runUntilUp
});
