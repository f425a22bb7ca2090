import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { silentLogger } from '../services/runtime/index.ts';
import {
  HOME_KIT,
  restProvisioner,
  routineDay,
  runSimulatorCli,
  SimulatedHome,
} from '../simulators/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

describe('simulator: scenarios', () => {
  it('a routine day is the same for the same seed, different for another, and uses only kit kinds', () => {
    expect(routineDay(7)).toEqual(routineDay(7));
    expect(routineDay(7)).not.toEqual(routineDay(8));
    const day = routineDay(7);
    expect(day.map((s) => s.at)).toEqual([...day.map((s) => s.at)].sort((a, b) => a - b));
    for (const step of day) {
      const kit = HOME_KIT.find((k) => k.suffix === step.device);
      expect(kit?.kinds, `${step.device}/${step.kind}`).toContain(step.kind);
    }
  });
});

describe('simulator: command line', () => {
  it('prints help, and refuses bad arguments with exit code 2 and a reason', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runSimulatorCli(['--help'], {})).toBe(0);
      expect(await runSimulatorCli(['--scenario', 'earthquake', '--password', 'x'], {})).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toContain('--scenario must be one of');
      expect(await runSimulatorCli(['--scenario', 'fall'], {})).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toContain('--password');
      expect(await runSimulatorCli(['--bogus'], {})).toBe(2);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('simulator against the real platform', () => {
  const dir = tempDir();
  let platform: Platform;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('sim') });
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('`simulate --scenario fall` provisions a home over REST and raises a fall alert', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const code = await runSimulatorCli(
        [
          '--scenario',
          'fall',
          '--home',
          'sim-cli',
          '--api',
          platform.dashboardUrl,
          '--mqtt',
          platform.mqttUrl,
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
      const found = await platform.alerts.list({ homeIds: ['sim-cli'] });
      return found.length > 0 && found;
    });
    // the simulator's home is a test home unless told otherwise: its alert never pages staff
    expect(alerts[0]).toMatchObject({ rule: 'fall', state: 'open', test: true });
    // consent was recorded as a paper form from the simulator, openly
    const history = await platform.consent.history('sim-cli');
    expect(history[0]).toMatchObject({ channel: 'paper', reference: 'simulator' });
  });

  it('through a home gateway with the broker’s gateway ACL, readings reach InfluxDB', async () => {
    const home = await SimulatedHome.start({
      homeId: 'sim-gw',
      label: 'Simulator gateway',
      teamId: 'team-nord',
      brokerUrl: platform.mqttUrl,
      provisioner: restProvisioner({ apiUrl: platform.dashboardUrl, ...TEST_ADMIN }),
      logger: silentLogger(),
      viaGateway: true,
    });
    try {
      const ts = Date.now();
      await home.send('smoke', 'temperature', 19.5, ts);
      await home.drain();
      const points = await eventually(async () => {
        await platform.ingest.flush();
        const found = await platform.readings.query({
          homeId: 'sim-gw',
          kinds: ['temperature'],
          from: ts,
          to: ts,
        });
        return found.length > 0 && found;
      });
      expect(points[0]).toMatchObject({ deviceId: 'sim-gw-smoke', value: 19.5 });
    } finally {
      await home.stop();
    }
  });

  it('a second run of the same home gets fresh secrets (never shown twice) and works', async () => {
    const provisioner = restProvisioner({ apiUrl: platform.dashboardUrl, ...TEST_ADMIN });
    const first = await provisioner.provisionDevice({
      id: 'sim-cli-button',
      homeId: 'sim-cli',
      kinds: ['alarm_button'],
    });
    const second = await provisioner.provisionDevice({
      id: 'sim-cli-button',
      homeId: 'sim-cli',
      kinds: ['alarm_button'],
    });
    expect(first.secret).not.toBe(second.secret);
    const connect = (password: string) =>
      mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'sim-cli-button',
        username: 'sim-cli-button',
        password,
        reconnectPeriod: 0,
      });
    await expect(connect(first.secret)).rejects.toThrow(/Bad username or password/i);
    const ok = await connect(second.secret);
    await ok.endAsync();
  });
});
