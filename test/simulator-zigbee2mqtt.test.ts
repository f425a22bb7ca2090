import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { restProvisioner, runSimulatorCli, SimulatedHome } from '../simulators/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startMosquitto } from './harness/mosquitto.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

/**
 * `simulate --via-zigbee2mqtt`: the simulator plays zigbee2mqtt on the home's mosquitto and a home
 * gateway, paired through the technician's pairing route, carries it to the platform: the path a
 * technician installs, tested without a Zigbee radio.
 */
describe('simulator through zigbee2mqtt and a paired gateway', () => {
  const dir = tempDir();
  let platform: Platform;
  let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;

  beforeAll(async () => {
    mosquitto = await startMosquitto(dir.path);
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('simz2m') });
  });
  afterAll(async () => {
    await platform?.close();
    await mosquitto?.stop();
    dir.remove();
  });

  it('`simulate --scenario fall --via-zigbee2mqtt` raises the fall alert', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const code = await runSimulatorCli(
        [
          '--scenario',
          'fall',
          '--home',
          'sim-z2m',
          '--api',
          platform.dashboardUrl,
          '--mqtt',
          platform.mqttUrl,
          '--via-zigbee2mqtt',
          mosquitto.url,
          '--user',
          TEST_ADMIN.username,
        ],
        { TRYGHED_PASSWORD: TEST_ADMIN.password, LOG_LEVEL: 'silent' },
      );
      expect(code).toBe(0);
    } finally {
      out.mockRestore();
    }
    const alerts = await eventually(async () => {
      const found = await platform.alerts.list({ homeIds: ['sim-z2m'] });
      return found.length > 0 && found;
    });
    expect(alerts[0]).toMatchObject({ rule: 'fall', test: true });
    // it came through the home's gateway, paired for the run
    expect(platform.registry.device('sim-z2m-gw')?.role).toBe('gateway');
  });

  it('a door opened in zigbee2mqtt terms (contact false) is stored as door = 1', async () => {
    const home = await SimulatedHome.start({
      homeId: 'sim-z2m-2',
      label: 'Simulator zigbee2mqtt',
      teamId: 'team-nord',
      brokerUrl: platform.mqttUrl,
      provisioner: restProvisioner({ apiUrl: platform.dashboardUrl, ...TEST_ADMIN }),
      logger: silentLogger(),
      viaZigbee2mqtt: { localUrl: mosquitto.url },
    });
    try {
      const from = Date.now();
      await home.send('door', 'door', 1);
      await home.drain();
      const points = await eventually(async () => {
        await platform.ingest.flush();
        const found = await platform.readings.query({
          homeId: 'sim-z2m-2',
          kinds: ['door'],
          from,
          to: Date.now() + 1000,
        });
        return found.length > 0 && found;
      });
      expect(points[0]).toMatchObject({ deviceId: 'sim-z2m-2-door', value: 1 });
    } finally {
      await home.stop();
    }
  });
});
