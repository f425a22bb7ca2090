import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  runPlatformProcess,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';

/**
 * Each start in a folder of its own, so the starts may run side by side (each is mostly a process
 * loading its code; one after the other they took most of this file's time).
 */
// side by side the starts take longer each: a minute for one, not the default 30 s
describe.concurrent('tryghed start refuses to run misconfigured, naming the setting to change', {
  timeout: 60_000,
}, () => {
  const dirs: Array<{ remove(): void }> = [];
  let blocker: Server;
  let takenPort: number;
  /** `tryghed start` as a user would run it, in a new DATA_DIR; how it ended and what it said */
  const runStart = (env: Record<string, string>) => {
    const dir = tempDir();
    dirs.push(dir);
    return runPlatformProcess({ dataDir: dir.path, env, timeoutMs: 30_000 });
  };

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    takenPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    for (const d of dirs) d.remove();
  });

  it('a bad value', async ({ expect }) => {
    const { code, out } = await runStart({ HTTP_PORT: 'abc' });
    expect(code).toBe(1);
    expect(out).toContain('HTTP_PORT');
  });

  it('a taken dashboard port', async ({ expect }) => {
    const { code, out } = await runStart({ HTTP_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('HTTP_PORT');
  });

  it('a taken MQTT port', async ({ expect }) => {
    const { code, out } = await runStart({ MQTT_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('MQTT_PORT');
  });

  it('a taken MQTT TLS port', async ({ expect }) => {
    const { code, out } = await runStart({ MQTT_TLS_PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(out).toContain('MQTT_TLS_PORT');
  });

  it('a certificate file that is not there', async ({ expect }) => {
    const nowhere = tempDir();
    dirs.push(nowhere);
    const { code, out } = await runStart({
      MQTT_TLS_CERT: `${nowhere.path}/nowhere.pem`,
      MQTT_TLS_KEY: `${nowhere.path}/nowhere.key`,
    });
    expect(code).toBe(1);
    expect(out).toContain(`MQTT_TLS_CERT: no file at ${nowhere.path}/nowhere.pem`);
  });

  it('no certificate set and no openssl program to make one', async ({ expect }) => {
    const noTools = tempDir();
    dirs.push(noTools);
    const { code, out } = await runStart({ PATH: noTools.path });
    expect(code).toBe(1);
    expect(out).toContain('no `openssl` program');
    expect(out).toContain('MQTT_TLS_PORT=off');
  });

  it('no InfluxDB answering', async ({ expect }) => {
    const { code, out } = await runStart({ INFLUX_URL: `http://127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    expect(out).toContain('INFLUX_URL');
  });
});

describe('tryghed start makes a self-signed TLS pair once and prints its fingerprint', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('first start makes it under DATA_DIR and prints the fingerprint; a second start reuses it', async () => {
    const database = uniqueDatabase('cli');
    /** up (its banner printed), then stopped as with Ctrl+C: what it printed */
    const runUntilUp = async () => {
      const p = await startPlatformProcess({ dataDir: dir.path, database, timeoutMs: 30_000 });
      await p.stop();
      return p.output();
    };
    const first = await runUntilUp();
    const certPath = join(dir.path, 'tls', 'mqtt-server.pem');
    const fingerprint = new X509Certificate(readFileSync(certPath)).fingerprint256;
    expect(first).toContain(`TLS certificate SHA-256 fingerprint: ${fingerprint}`);
    expect(first).toContain(certPath);
    expect(first).toMatch(/MQTT \(TLS\): mqtts:\/\/127\.0\.0\.1:\d+/);
    expect(first).toContain('switch off in production, MQTT_PLAIN_PORT=0');
    const second = await runUntilUp();
    expect(second).toContain(`TLS certificate SHA-256 fingerprint: ${fingerprint}`);
  }, 75_000); // two whole starts, each allowed 30 s by runUntilUp
});
