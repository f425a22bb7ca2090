import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { restProvisioner, runSimulatorCli, SIMULATOR_USAGE } from '../simulators/index.ts';
import { ApiClient } from './harness/api.ts';
import { freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/** Runs the CLI and returns its exit code with what it printed. */
async function run(argv: string[], env: NodeJS.ProcessEnv) {
  const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = await runSimulatorCli(argv, { LOG_LEVEL: 'silent', ...env });
    return { code, out: out.mock.calls.flat().join('\n'), err: err.mock.calls.flat().join('\n') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('simulator: what it says when it cannot work', () => {
  it('nothing at the API URL: names the URL tried and the setting to change, not "fetch failed"', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const r = await run(['--scenario', 'fall', '--api', api], { TRYGHED_PASSWORD: 'x' });
    expect(r.code).toBe(1);
    expect(r.err).toContain(api);
    expect(r.err).toContain('--api');
    expect(r.err).toContain('ECONNREFUSED');
    expect(r.err).not.toMatch(/^simulation failed: fetch failed$/m);
    // the same from the environment
    const fromEnv = await run(['--scenario', 'fall'], { TRYGHED_PASSWORD: 'x', TRYGHED_API: api });
    expect(fromEnv.err).toContain(api);
  });

  it('help says who may run it: an administrator, not a technician', () => {
    expect(SIMULATOR_USAGE).toContain('an administrator');
    expect(SIMULATOR_USAGE).not.toMatch(/administrator or technician/);
    expect(SIMULATOR_USAGE).toContain('TRYGHED_API');
  });

  describe('against the real platform', () => {
    const dir = tempDir();
    let platform: Platform;
    beforeAll(async () => {
      platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('simerrors') });
      const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      await admin.ok('POST', '/api/users', {
        username: 'tech',
        password: 'password-123',
        displayName: 'Tech',
        role: 'technician',
        teamIds: [],
      });
    });
    afterAll(async () => {
      await platform?.close();
      dir.remove();
    });

    it('nothing at the broker URL: names it and --mqtt', async () => {
      const mqttUrl = `mqtt://127.0.0.1:${await freePort()}`;
      const r = await run(
        ['--scenario', 'fall', '--home', 'sim-nobroker', '--api', platform.dashboardUrl, '--mqtt', mqttUrl],
        { TRYGHED_PASSWORD: TEST_ADMIN.password, TRYGHED_USER: TEST_ADMIN.username },
      );
      expect(r.code).toBe(1);
      expect(r.err).toContain(mqttUrl);
      expect(r.err).toContain('--mqtt');
    });

    it('a technician is refused with the reason, as the help says', async () => {
      const r = await run(
        ['--scenario', 'fall', '--api', platform.dashboardUrl, '--mqtt', platform.mqttUrl],
        {
          TRYGHED_PASSWORD: 'password-123',
          TRYGHED_USER: 'tech',
        },
      );
      expect(r.code).toBe(1);
      expect(r.err).toContain('needs an administrator');
    });

    it('a long scenario (routine) shows its progress, a line per simulated hour', async () => {
      const r = await run(
        [
          '--scenario',
          'routine',
          '--home',
          'sim-routine',
          '--speed',
          '100000',
          '--api',
          platform.dashboardUrl,
          '--mqtt',
          platform.mqttUrl,
        ],
        { TRYGHED_PASSWORD: TEST_ADMIN.password, TRYGHED_USER: TEST_ADMIN.username },
      );
      expect(r.code, r.err).toBe(0);
      const lines = r.out.split('\n').filter((l) => /simulated, \d+\/\d+ readings sent/.test(l));
      expect(lines.length).toBeGreaterThan(10);
      expect(lines.at(-1)).toContain('(100 %)');
    });
  });
});

describe("simulator: a platform's answers are checked, not cast (issue 8 pt 6)", () => {
  /** an HTTP server at the API URL that answers every request from `answers` (path → status, body) */
  const lyingPlatform = async (answers: Record<string, [number, string]>) => {
    const server = createServer((req, res) => {
      const [status, body] = answers[req.url ?? ''] ?? [404, '{}'];
      res.writeHead(status, { 'content-type': 'application/json', 'set-cookie': 'tryghed_session=x' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  };
  const login: Record<string, [number, string]> = { '/api/session': [200, '{"csrfToken":"t"}'] };

  it('a login answer that is not JSON or has no CSRF token: an error naming the URL and the route', async () => {
    for (const body of ['<html>a proxy page</html>', '{}', '{"csrfToken":7}']) {
      const platform = await lyingPlatform({ '/api/session': [200, body] });
      try {
        const provisioner = restProvisioner({ apiUrl: platform.url, username: 'a', password: 'b' });
        const err = await provisioner.ensureTeam('t', 'T').then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(err?.message).toContain(platform.url);
        expect(err?.message).toContain('POST /api/session');
        expect(err?.message).toContain('--api');
      } finally {
        await platform.close();
      }
    }
  });

  it('a device created without a secret is an error, never the secret "undefined"', async () => {
    const platform = await lyingPlatform({
      ...login,
      '/api/homes/h1/devices': [201, '{"id":"d1"}'],
    });
    try {
      const provisioner = restProvisioner({ apiUrl: platform.url, username: 'a', password: 'b' });
      await expect(
        provisioner.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] }),
      ).rejects.toThrow(/POST \/api\/homes\/h1\/devices without what a Tryghed platform sends \(secret\)/);
    } finally {
      await platform.close();
    }
  });

  it('a rotated secret missing, or a damaged pairing bundle, is an error too', async () => {
    const platform = await lyingPlatform({
      ...login,
      '/api/homes/h1/devices': [409, '{"error":"conflict"}'],
      '/api/homes/h1/devices/d1/secret': [200, '[]'],
      '/api/homes/h1/gateway-pairing': [200, '{"bundle":{"homeId":"h1"}}'],
    });
    try {
      const provisioner = restProvisioner({ apiUrl: platform.url, username: 'a', password: 'b' });
      await expect(
        provisioner.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] }),
      ).rejects.toThrow(/devices\/d1\/secret without/);
      await expect(provisioner.pairGateway?.('h1')).rejects.toThrow(/gateway-pairing without .*bundle\./);
    } finally {
      await platform.close();
    }
  });
});
