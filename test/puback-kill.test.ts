import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { topics } from '../services/domain/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { createInfluxV1Store } from '../services/timeseries/index.ts';
import {
  eventually,
  freePort,
  type PlatformProcess,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { provisionStore } from './harness/provision.ts';

const DEVICES = 5;
const PER_DEVICE = 2000; // 10,000 QoS 1 readings in all
const HOME = 'home-k';

describe('PUBACK means stored: kill -9 during a stream of QoS 1 readings', () => {
  const dir = tempDir('tryghed-kill-');
  const children: PlatformProcess[] = [];
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const child of children) await child.close();
    dir.remove();
  });

  it('after a restart, every PUBACKed (device, seq) is in InfluxDB exactly once', async () => {
    // provision in the platform's own SQLite file, as a technician would have done before, under
    // the key the platform will find in DATA_DIR
    const setup = await provisionStore({
      location: { sqlitePath: `${dir.path}/tryghed.sqlite` },
      dataDir: dir.path,
    });
    await setup.store.teams.create({ id: 'team-k', name: 'K' });
    await setup.registry.createHome({ id: HOME, label: 'K', teamId: 'team-k' });
    const secrets: string[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const { secret } = await setup.registry.provisionDevice({
        id: `k${d}`,
        homeId: HOME,
        kinds: ['temperature'],
      });
      secrets.push(secret);
    }
    await setup.grant(HOME, 'environment', ['history']);
    await setup.close();

    const database = uniqueDatabase('kill');
    // a fixed port: the devices reconnect to the same address after the restart
    const mqttPort = await freePort();
    const start = async () => {
      const child = await startPlatformProcess({ dataDir: dir.path, database, mqttPort, timeoutMs: 30_000 });
      children.push(child);
      return child;
    };
    const first = await start();

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

    await first.kill();
    const ackedBeforeKill = acked.map((s) => new Set(s));
    const countBeforeKill = total();
    expect(countBeforeKill).toBeLessThan(DEVICES * PER_DEVICE);

    const second = await start();
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
    await second.stop();
  }, 90_000);
});
