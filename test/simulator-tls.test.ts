import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { restProvisioner, runSimulatorCli, SimulatedHome } from '../simulators/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/** The simulator speaks TLS and verifies the server with the CA it is given, never blindly. */
describe('simulator over TLS', () => {
  const dir = tempDir();
  let platform: Platform;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('simtls') });
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  const simulate = async (extra: string[], home: string) => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await runSimulatorCli(
        [
          ...['--scenario', 'fall', '--home', home, '--api', platform.dashboardUrl],
          ...['--user', TEST_ADMIN.username, ...extra],
        ],
        { TRYGHED_PASSWORD: TEST_ADMIN.password, LOG_LEVEL: 'silent' },
      );
      return { code, errors: err.mock.calls.flat().join('\n') };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  };

  it('`--mqtt mqtts://… --ca <the platform certificate>` raises the fall alert', async () => {
    const tls = platform.mqttTls;
    if (!tls) throw new Error('TLS is off');
    const { code, errors } = await simulate(['--mqtt', tls.url, '--ca', tls.certPath], 'sim-tls');
    expect(code, errors).toBe(0);
    const alerts = await eventually(async () => {
      const found = await platform.alerts.list({ homeIds: ['sim-tls'] });
      return found.length > 0 && found;
    });
    expect(alerts[0]).toMatchObject({ rule: 'fall', test: true });
  });

  it('without --ca the self-signed server is not trusted, and a missing --ca file is a usage error', async () => {
    const url = platform.mqttTls?.url ?? '';
    const untrusted = await simulate(['--mqtt', url], 'sim-tls-2');
    expect(untrusted.code).toBe(1);
    expect(untrusted.errors).toMatch(/self[- ]signed certificate/i);
    const missing = await simulate(['--mqtt', url, '--ca', `${dir.path}/nowhere.pem`], 'sim-tls-3');
    expect(missing.code).toBe(2);
    expect(missing.errors).toContain('--ca: cannot read');
  });

  it('a simulated home gateway forwards over mqtts:// with the CA', async () => {
    const home = await SimulatedHome.start({
      homeId: 'sim-tls-gw',
      label: 'Simulator gateway over TLS',
      teamId: 'team-nord',
      brokerUrl: platform.mqttTls?.url ?? '',
      ca: platform.mqttTls?.caPem ?? '',
      provisioner: restProvisioner({ apiUrl: platform.dashboardUrl, ...TEST_ADMIN }),
      logger: silentLogger(),
      viaGateway: true,
    });
    try {
      const ts = Date.now();
      await home.send('smoke', 'temperature', 21.5, ts);
      await home.drain();
      const points = await eventually(async () => {
        await platform.ingest.flush();
        const found = await platform.readings.query({
          homeId: 'sim-tls-gw',
          kinds: ['temperature'],
          from: ts,
          to: ts,
        });
        return found.length > 0 && found;
      });
      expect(points[0]).toMatchObject({ deviceId: 'sim-tls-gw-smoke', value: 21.5 });
    } finally {
      await home.stop();
    }
  });
});

describe('demo homes with plain MQTT off', () => {
  const dir = tempDir();
  let platform: Platform;
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('connect over TLS, trusting the platform certificate', async () => {
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('demotls'),
      env: { MQTT_PLAIN_PORT: '0', DEMO: 'true', DEMO_HOMES: '1' },
    });
    expect(platform.mqttUrl).toMatch(/^mqtts:/);
    await eventually(() => platform.broker.connectedClients() > 0, { what: 'demo devices connected' });
  });
});
