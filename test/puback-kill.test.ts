import { type ChildProcess, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ConsentRegistry } from '../services/consent/index.ts';
import { informationText, topics } from '../services/domain/index.ts';
import { Registry } from '../services/registry/index.ts';
import { DeviceSecretHasher, loadDeviceSecretKey, silentLogger } from '../services/runtime/index.ts';
import { openStore } from '../services/store/index.ts';
import { createInfluxV1Store } from '../services/timeseries/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';

const DEVICES = 5;
const PER_DEVICE = 2000; // 10,000 QoS 1 readings in all
const HOME = 'home-k';

/** `tryghed start` as a real child process; resolves once it says it is running. */
function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'start'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Tryghed is running')) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited (${code}):\n${out}`));
    });
  });
}

describe('PUBACK means stored: kill -9 during a stream of QoS 1 readings', () => {
  const dir = tempDir('tryghed-kill-');
  const children: ChildProcess[] = [];
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    dir.remove();
  });

  it('after a restart, every PUBACKed (device, seq) is in InfluxDB exactly once', async () => {
    // provision in the platform's own SQLite file, as a technician would have done before
    const store = await openStore({ sqlitePath: `${dir.path}/tryghed.sqlite` });
    await store.teams.create({ id: 'team-k', name: 'K' });
    // under the key the platform will find in DATA_DIR, as its own provisioning would hash them
    const deviceKey = loadDeviceSecretKey({ setting: '', dataDir: dir.path });
    const registry = await Registry.load(store, { deviceSecrets: new DeviceSecretHasher(deviceKey.key) });
    await registry.createHome({ id: HOME, label: 'K', teamId: 'team-k' });
    const secrets: string[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const { secret } = await registry.provisionDevice({
        id: `k${d}`,
        homeId: HOME,
        kinds: ['temperature'],
      });
      secrets.push(secret);
    }
    const consent = await ConsentRegistry.load(store, registry, silentLogger());
    await consent.change(
      HOME,
      {
        category: 'environment',
        purpose: 'history',
        action: 'grant',
        channel: 'web',
        textVersion: informationText('environment', 'history').version,
      },
      { id: 'c', role: 'citizen', homeId: HOME },
    );
    await store.close();

    const database = uniqueDatabase('kill');
    const mqttPort = await freePort();
    const env = {
      DATA_DIR: dir.path,
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DATABASE: database,
      INFLUX_AUTOSTART: 'false',
      HTTP_PORT: '0',
      MQTT_PORT: String(mqttPort),
      // never a fixed port: TLS's default 8883 may be taken by another test or program
      MQTT_TLS_PORT: '0',
      ADMIN_PASSWORD: 'admin-password-1',
    };
    const first = await startChild(env);
    children.push(first.child);

    // devices that keep unacknowledged readings and send them again on reconnect (mqtt.js does)
    const acked: Array<Set<number>> = [];
    const t0 = Date.now();
    for (let d = 0; d < DEVICES; d++) {
      const got = new Set<number>();
      acked.push(got);
      const client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: `k${d}`,
        username: `k${d}`,
        password: secrets[d]!,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5000,
      });
      clients.push(client);
      client.on('error', () => {});
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      // spread over time, so the kill lands mid-stream
      void (async () => {
        for (let seq = 0; seq < PER_DEVICE; seq++) {
          const payload = JSON.stringify({ kind: 'temperature', value: 20 + (seq % 7), ts: t0 + seq, seq });
          client.publish(topics.readings(HOME, `k${d}`), payload, { qos: 1 }, (err) => {
            if (!err) got.add(seq);
          });
          if (seq % 100 === 99) await new Promise((r) => setTimeout(r, 15));
        }
      })();
    }
    const total = () => acked.reduce((n, s) => n + s.size, 0);
    await eventually(() => total() >= 3000, { timeoutMs: 30_000, what: '3,000 acknowledgements' });

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const ackedBeforeKill = acked.map((s) => new Set(s));
    const countBeforeKill = total();
    expect(countBeforeKill).toBeLessThan(DEVICES * PER_DEVICE);

    const second = await startChild(env);
    children.push(second.child);
    await eventually(() => total() === DEVICES * PER_DEVICE, {
      timeoutMs: 40_000,
      intervalMs: 100,
      what: 'every reading acknowledged after the restart',
    });

    const readings = createInfluxV1Store({ url: inject('influxUrl'), database, logger: silentLogger() });
    await eventually(
      async () =>
        (await readings.query({ homeId: HOME, from: t0, to: t0 + PER_DEVICE, limit: 100_000 })).length ===
        DEVICES * PER_DEVICE,
      { timeoutMs: 10_000, what: 'every reading in InfluxDB' },
    );
    const points = await readings.query({ homeId: HOME, from: t0, to: t0 + PER_DEVICE, limit: 100_000 });
    for (let d = 0; d < DEVICES; d++) {
      const seqs = points.filter((p) => p.deviceId === `k${d}`).map((p) => p.seq);
      const counts = new Map<number, number>();
      for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
      // everything acknowledged before the kill is there, exactly once
      const missing = [...ackedBeforeKill[d]!].filter((s) => counts.get(s) !== 1);
      expect(missing, `device k${d}: acknowledged before the kill, not stored exactly once`).toEqual([]);
      // and so is everything acknowledged after it
      expect(seqs.length, `device k${d}`).toBe(PER_DEVICE);
      expect(counts.size).toBe(PER_DEVICE);
    }
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 90_000);
});
