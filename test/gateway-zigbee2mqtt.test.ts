import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePairing } from '../gateway/index.ts';
import type { Platform } from '../platform/start.ts';
import { buildGateway } from '../scripts/build-gateway.ts';
import { CONSENT_CATEGORIES, informationText, type PairingBundle } from '../services/domain/index.ts';
import { AVAILABILITY, bridgeDevices, DEVICES, STATE } from './fixtures/zigbee2mqtt.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { mosquittoPub, mosquittoPubLines, startMosquitto } from './harness/mosquitto.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

const HOME = 'z2m-home';
const id = (suffix: keyof typeof DEVICES) => `${HOME}-${suffix}`;
/** the platform device of each fixture device, with the kinds it declares */
const KINDS: Record<keyof typeof DEVICES, string[]> = {
  button: ['alarm_button', 'battery', 'heartbeat'],
  fall: ['fall', 'heartbeat'],
  smoke: ['smoke', 'temperature', 'battery', 'heartbeat'],
  co: ['co', 'battery', 'heartbeat'],
  leak: ['water_leak', 'battery', 'heartbeat'],
  temperature: ['temperature', 'battery', 'heartbeat'],
  motion: ['motion', 'battery', 'heartbeat'],
  door: ['door', 'battery', 'heartbeat'],
  bed: ['bed', 'heartbeat'],
};

/**
 * The gateway on real parts: Debian's mosquitto as the home's broker, zigbee2mqtt-shaped messages
 * published with mosquitto_pub (test/fixtures/zigbee2mqtt.ts cites each), the gateway as a child
 * process (the bundle a home's box runs), and the whole platform with the harness's influxd.
 */
describe('gateway: zigbee2mqtt in a home → the platform', () => {
  const dir = tempDir('tryghed-gw-');
  const database = uniqueDatabase('gwz2m');
  let mqttPort: number;
  let mqttTlsPort: number;
  let platform: Platform;
  let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
  let bundlePath: string;
  let gateway: ChildProcess | null = null;
  let gatewayLog = '';
  let metricsPort: number;
  let staff: ApiClient;
  let admin: ApiClient;
  let live: LiveClient;
  const configPath = join(dir.path, 'tryghed-gateway.json');
  const z2m = (name: string) => `zigbee2mqtt/${name}`;
  const pub = (device: keyof typeof DEVICES, state: unknown) =>
    mosquittoPub(mosquitto.port, z2m(DEVICES[device].friendlyName), JSON.stringify(state));

  const startPlatform = async () => {
    platform = await startTestPlatform({
      dataDir: dir.path,
      database,
      env: { MQTT_PORT: String(mqttPort), MQTT_TLS_PORT: String(mqttTlsPort) },
    });
  };
  const startGateway = () => {
    const child = spawn(process.execPath, [bundlePath, '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    child.stdout?.on('data', (d) => {
      gatewayLog += String(d);
    });
    child.stderr?.on('data', (d) => {
      gatewayLog += String(d);
    });
    gateway = child;
    return child;
  };
  const killGateway = async () => {
    const child = gateway;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
  };
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const temperatures = async (): Promise<number[]> => {
    const points = await platform.readings.query({
      homeId: HOME,
      deviceIds: [id('temperature')],
      kinds: ['temperature'],
      from: 0,
      to: Date.now() + 60_000,
      limit: 100_000,
    });
    return points.map((p) => p.value);
  };
  const deviceStatus = async (deviceId: string) => {
    const { devices } = await admin.ok<{ devices: Array<{ id: string; status: string }> }>(
      'GET',
      `/api/homes/${HOME}/devices`,
    );
    return devices.find((d) => d.id === deviceId)?.status;
  };

  beforeAll(async () => {
    bundlePath = await buildGateway(resolve('test-output', 'gateway', 'tryghed-gateway.mjs'));
    mqttPort = await freePort();
    mqttTlsPort = await freePort();
    metricsPort = await freePort();
    mosquitto = await startMosquitto(dir.path);
    await startPlatform();
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-z', name: 'Team Z' });
    await admin.ok('POST', '/api/homes', { id: HOME, label: 'Borger Z', teamId: 'team-z' });
    for (const [suffix, kinds] of Object.entries(KINDS)) {
      await admin.ok('POST', `/api/homes/${HOME}/devices`, { id: `${HOME}-${suffix}`, kinds });
    }
    await admin.ok('POST', '/api/users', {
      username: 'staff-z',
      password: 'password-123',
      displayName: 'Z',
      role: 'staff',
      teamIds: ['team-z'],
    });
    staff = await ApiClient.login(url, 'staff-z', 'password-123');
    live = staff.live();
    await live.opened;
    // every category but sleep: the bed sensor's readings must never leave the home
    for (const category of CONSENT_CATEGORIES.filter((c) => c !== 'sleep')) {
      for (const purpose of ['alerts', 'history'] as const) {
        await platform.consent.change(
          HOME,
          {
            category,
            purpose,
            action: 'grant',
            channel: 'system',
            textVersion: informationText(category, purpose).version,
          },
          { id: 'test', role: 'system' },
        );
      }
    }
    // The technician pairs the gateway in one step and pastes the code on the box.
    const pairing = await admin.ok<{ bundle: PairingBundle; code: string }>(
      'POST',
      `/api/homes/${HOME}/gateway-pairing`,
      {},
    );
    expect(decodePairing(pairing.code)).toEqual(pairing.bundle);
    // the gateway speaks TLS to the platform and trusts exactly the broker's certificate
    expect(pairing.bundle.platformUrl).toBe(`mqtts://127.0.0.1:${mqttTlsPort}`);
    expect(pairing.bundle.ca).toBe(platform.mqttTls?.caPem);
    const paired = spawn(process.execPath, [bundlePath, '--pair', pairing.code, '--config', configPath]);
    expect(await new Promise((r) => paired.once('exit', r))).toBe(0);
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    config.local = { url: mosquitto.url };
    config.dataDir = join(dir.path, 'gateway-data');
    config.metricsPort = metricsPort;
    config.devices = Object.fromEntries(
      Object.entries(DEVICES).map(([suffix, d]) => [
        d.ieee,
        {
          deviceId: id(suffix as keyof typeof DEVICES),
          kinds: KINDS[suffix as keyof typeof DEVICES],
          ...(suffix === 'bed' ? { keys: [{ kind: 'bed', key: 'contact', on: [false], off: [true] }] } : {}),
        },
      ]),
    );
    writeFileSync(configPath, JSON.stringify(config));
    // zigbee2mqtt's retained device list: names are resolved to IEEE addresses through it
    await mosquittoPub(mosquitto.port, 'zigbee2mqtt/bridge/devices', JSON.stringify(bridgeDevices()), {
      retain: true,
    });
    await mosquittoPub(mosquitto.port, 'zigbee2mqtt/bridge/state', '{"state":"online"}', { retain: true });
    startGateway();
    await eventually(async () => (await metric('tryghed_gateway_platform_connected')) === 1, {
      timeoutMs: 15_000,
      what: `the gateway connected (${gatewayLog.slice(-500)})`,
    });
  }, 60_000);

  afterAll(async () => {
    await killGateway();
    await live?.close();
    await platform?.close();
    await mosquitto?.stop();
    dir.remove();
  });

  it('the pairing wrote the config for the gateway only (0600), with its own id as client id', () => {
    const { mode } = statSync(configPath);
    expect(mode & 0o777).toBe(0o600);
    expect(gatewayLog).toContain(`"gatewayId":"${HOME}-gw"`);
  });

  it('each alarm kind reaches the staff board; a smoke alarm test button does not', async () => {
    await pub('smoke', STATE.smokeFirst);
    await pub('smoke', STATE.smokeClear);
    await pub('smoke', STATE.smokeTestButton);
    await eventually(
      async () => (await metric('tryghed_gateway_local_messages_total', 'outcome="self_test"')) === 1,
    );
    await pub('button', STATE.buttonPress);
    await pub('button', STATE.buttonCleared);
    await pub('fall', STATE.fallNone);
    await pub('fall', STATE.fallMaybe);
    await pub('fall', STATE.fall);
    await pub('co', STATE.coClear);
    await pub('co', STATE.co);
    await pub('leak', STATE.leakDry);
    await pub('leak', STATE.leak);
    const rules = () =>
      new Set(
        live
          .alerts()
          .filter((m) => m.alert?.homeId === HOME)
          .map((m) => m.alert?.rule),
      );
    await eventually(() => ['alarm_button', 'fall', 'co', 'water_leak'].every((r) => rules().has(r)), {
      timeoutMs: 15_000,
      what: `alarms on the board (${[...rules()].join(', ')})`,
    });
    // the self test came before all of them, and raised nothing
    expect(rules().has('smoke')).toBe(false);
    await pub('smoke', STATE.smoke);
    await eventually(() => rules().has('smoke'), { timeoutMs: 10_000, what: 'the smoke alarm' });
    const opened = live.alerts().filter((m) => m.alert?.homeId === HOME && m.event === 'opened');
    expect(opened.every((m) => m.alert?.test !== true)).toBe(true);
  });

  it('motion, door, temperature and battery arrive as their readings', async () => {
    const from = Date.now();
    await pub('motion', STATE.still);
    await pub('motion', STATE.motion);
    await pub('door', STATE.doorOpen);
    await pub('temperature', STATE.temperature(18.5));
    const stored = async (deviceId: string, kind: 'motion' | 'door' | 'battery' | 'temperature') =>
      (
        await platform.readings.query({
          homeId: HOME,
          deviceIds: [deviceId],
          kinds: [kind],
          from,
          to: Date.now() + 1000,
        })
      ).map((p) => p.value);
    await eventually(
      async () =>
        (await stored(id('motion'), 'motion')).includes(1) &&
        (await stored(id('motion'), 'battery')).includes(77) &&
        (await stored(id('door'), 'door')).includes(1) &&
        (await stored(id('temperature'), 'temperature')).includes(18.5),
      { timeoutMs: 10_000, what: 'motion 1, battery 77 %, door open, 18.5 °C in InfluxDB' },
    );
  });

  it('a category without consent never leaves the home', async () => {
    const before = await metric('tryghed_gateway_consent_dropped_total', 'category="sleep"');
    await pub('bed', STATE.inBed);
    await pub('bed', STATE.outOfBed);
    await eventually(
      async () => (await metric('tryghed_gateway_consent_dropped_total', 'category="sleep"')) === before + 2,
      { what: 'both bed readings kept in the home' },
    );
    // the platform never saw them: nothing refused for consent, nothing stored
    expect(await platform.metrics.value('tryghed_ingest_rejected_total', { reason: 'no_consent' })).toBe(0);
    const stored = await platform.readings.query({
      homeId: HOME,
      kinds: ['bed'],
      from: 0,
      to: Date.now() + 1000,
    });
    expect(stored).toEqual([]);
    expect(gatewayLog).toMatch(/"category":"sleep".*no consent/);
  });

  it('zigbee2mqtt availability (2.x and 1.x payloads) becomes device offline/online', async () => {
    const door = id('door');
    await pub('door', STATE.doorClosed);
    await eventually(async () => (await deviceStatus(door)) === 'online', { what: 'door online' });
    await mosquittoPub(
      mosquitto.port,
      z2m(`${DEVICES.door.friendlyName}/availability`),
      AVAILABILITY.v2Offline,
      {
        retain: true,
      },
    );
    await eventually(async () => (await deviceStatus(door)) === 'offline', { what: 'door offline' });
    await mosquittoPub(
      mosquitto.port,
      z2m(`${DEVICES.door.friendlyName}/availability`),
      AVAILABILITY.v1Online,
      {
        retain: true,
      },
    );
    await eventually(async () => (await deviceStatus(door)) === 'online', { what: 'door online again' });
  });

  it('an unknown device is counted and logged, never forwarded as something else', async () => {
    await mosquittoPub(mosquitto.port, z2m('hall/lamp'), JSON.stringify({ state: 'ON', brightness: 200 }));
    await eventually(
      async () => (await metric('tryghed_gateway_local_messages_total', 'outcome="unknown_device"')) >= 1,
    );
    expect(gatewayLog).toContain('0x00178801000000aa');
  });

  it('a kill -9 of the gateway mid-stream loses nothing it had taken', async () => {
    const values = Array.from({ length: 150 }, (_, i) => 15 + i / 100);
    let killed: Promise<void> | null = null;
    await mosquittoPubLines(
      mosquitto.port,
      z2m(DEVICES.temperature.friendlyName),
      values.map((t) => JSON.stringify(STATE.temperature(t))),
      8,
      (i) => {
        if (i === 60) killed = killGateway();
      },
    );
    await killed;
    // mosquitto kept what came while the gateway was dead (a persistent session, QoS 1)
    startGateway();
    await eventually(
      async () => {
        const stored = new Set(await temperatures());
        return values.every((v) => stored.has(v));
      },
      { timeoutMs: 20_000, what: 'all 150 temperatures in InfluxDB' },
    );
  });

  it('a platform outage of 30 s loses nothing, and an alarm in it arrives', async () => {
    const values = Array.from({ length: 40 }, (_, i) => 30 + i / 100);
    const down = Date.now();
    await platform.close();
    await eventually(async () => (await metric('tryghed_gateway_platform_connected')) === 0);
    await mosquittoPubLines(
      mosquitto.port,
      z2m(DEVICES.temperature.friendlyName),
      values.map((t) => JSON.stringify(STATE.temperature(t))),
      50,
    );
    await pub('button', STATE.buttonPress);
    expect(await metric('tryghed_gateway_outbox_rows')).toBeGreaterThanOrEqual(values.length);
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - down))));
    await startPlatform();
    await eventually(
      async () => {
        const stored = new Set(await temperatures());
        return values.every((v) => stored.has(v));
      },
      { timeoutMs: 20_000, what: 'the 40 temperatures sent during the outage' },
    );
    await eventually(async () => (await metric('tryghed_gateway_outbox_rows')) === 0);
    const presses = await platform.readings.query({
      homeId: HOME,
      kinds: ['alarm_button'],
      from: down,
      to: Date.now() + 1000,
    });
    expect(presses.length).toBe(1);
  }, 90_000);

  it('stays under 100 MB of memory, and idle when the home is quiet', async () => {
    const pid = gateway?.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    expect(rssKb).toBeGreaterThan(0);
    expect(rssKb).toBeLessThan(100 * 1024);
    // utime + stime in clock ticks (100 per second): over 3 quiet seconds, at most 0.1 s of CPU
    const cpuTicks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = cpuTicks();
    await new Promise((r) => setTimeout(r, 3000));
    expect(cpuTicks() - before).toBeLessThanOrEqual(10);
  });

  it('lists zigbee2mqtt’s devices as a device map for the technician to fill in', async () => {
    const child = spawn(process.execPath, [bundlePath, '--list-devices', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    const printed = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as {
      devices: Record<string, unknown>;
    };
    // mapped ones as they are, the rest as a skeleton naming the model
    expect(printed.devices[DEVICES.door.ieee]).toMatchObject({ deviceId: id('door') });
    expect(printed.devices['0x00178801000000aa']).toMatchObject({
      _model: 'Philips 9290012573A',
      _name: 'hall/lamp',
    });
    expect(printed.devices['0x00124b00c0ffee00']).toBeUndefined();
  });
});
