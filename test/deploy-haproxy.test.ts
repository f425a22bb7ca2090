import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type LocalInfluxd, startInfluxd } from '../platform/index.ts';
import { topics } from '../services/domain/index.ts';
import {
  filledExampleEnv,
  HAPROXY_BINARY,
  HAPROXY_CFG,
  haproxyForOneMachine,
  readCompose,
} from './harness/deploy.ts';
import {
  eventually,
  freePort,
  type PlatformProcess,
  startPlatformProcess,
  TEST_ADMIN,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { provisionStore } from './harness/provision.ts';

/**
 * deploy/haproxy/haproxy.cfg at work on one machine: Debian's HAProxy in front of two real platform
 * processes (`tryghed start`), the replicas on the loopback addresses 127.0.0.2 and 127.0.0.3 in
 * place of Docker's `platform-1`/`platform-2`; only addresses and ports are rewritten.
 * Replica 2's own influxd is stopped, so it is alive but not ready; replica 1 is then killed -9.
 * HAProxy's PROXY protocol header (send-proxy-v2) gives the broker each device's own address
 * (127.0.0.x source addresses), which the guard against guessed secrets then counts by.
 */
const HOME = 'home-lb';
const DEVICES = ['lb-plain', 'lb-tls', 'lb-ws', 'lb-good'] as const;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

function publishQos1(client: MqttClient, device: string, seq: number): Promise<void> {
  const payload = JSON.stringify({ kind: 'temperature', value: 21, ts: Date.now(), seq });
  return new Promise((resolve, reject) =>
    client.publish(topics.readings(HOME, device), payload, { qos: 1 }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

describe('HAProxy in front of two platform replicas', () => {
  const dirs = [tempDir('tryghed-lb-1-'), tempDir('tryghed-lb-2-')];
  const influxDir = tempDir('tryghed-lb-influxd-');
  const replicas: PlatformProcess[] = [];
  let haproxy: ChildProcess | undefined;
  const clients: MqttClient[] = [];
  let ownInfluxd: LocalInfluxd | undefined;
  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const replica of replicas) await replica.close();
    if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) haproxy.kill('SIGKILL');
    await ownInfluxd?.stop();
    for (const d of [...dirs, influxDir]) d.remove();
  });

  it('sends devices and staff only to the ready replica, falls back to the alive one, and survives kill -9', async () => {
    // One home, three devices with consent, under one DEVICE_SECRET_KEY, in replica 1's SQLite file;
    // replica 2 gets a copy (in Docker both share PostgreSQL). Both must know the same key.
    const deviceSecretKey = randomBytes(32).toString('base64');
    const setup = await provisionStore({
      location: { sqlitePath: join(dirs[0]!.path, 'tryghed.sqlite') },
      deviceSecretKey,
    });
    await setup.store.teams.create({ id: 'team-lb', name: 'LB' });
    await setup.registry.createHome({ id: HOME, label: 'LB', teamId: 'team-lb' });
    const secrets: Record<string, string> = {};
    for (const id of DEVICES) {
      secrets[id] = (
        await setup.registry.provisionDevice({ id, homeId: HOME, kinds: ['temperature'] })
      ).secret;
    }
    await setup.grant(HOME, 'environment', ['history']);
    await setup.close();
    copyFileSync(join(dirs[0]!.path, 'tryghed.sqlite'), join(dirs[1]!.path, 'tryghed.sqlite'));

    // Docker's ports, mapped to free ones: replicas share theirs on two loopback addresses
    const [httpPort, mqttPort, tlsPort, lbHttp, lbMqtt, lbTls] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const lb = `http://127.0.0.1:${lbHttp}`;
    ownInfluxd = await startInfluxd({ dir: influxDir.path });
    const replica = (i: 0 | 1, address: string, influxUrl: string) =>
      startPlatformProcess({
        dataDir: dirs[i]!.path,
        database: uniqueDatabase('lb'),
        httpPort,
        mqttPort,
        env: {
          INFLUX_URL: influxUrl,
          HTTP_HOST: address,
          MQTT_HOST: address,
          MQTT_TLS_PORT: String(tlsPort),
          DEVICE_SECRET_KEY: deviceSecretKey,
          // HAProxy connects from 127.0.0.1; staff open the proxy's address
          TRUST_PROXY: '127.0.0.1',
          // and its PROXY protocol header (send-proxy-v2) names each device on MQTT
          MQTT_PROXY_PROTOCOL_FROM: '127.0.0.1',
          PUBLIC_URL: lb,
        },
      }).then((p) => {
        replicas.push(p);
        return p;
      });
    const started = await Promise.all([
      replica(0, '127.0.0.2', inject('influxUrl')),
      replica(1, '127.0.0.3', ownInfluxd.url),
    ]);
    const [replica1, replica2] = started as [PlatformProcess, PlatformProcess];

    const dir = tempDir('tryghed-lb-haproxy-');
    dirs.push(dir);
    const cfg = join(dir.path, 'haproxy.cfg');
    writeFileSync(
      cfg,
      haproxyForOneMachine(readFileSync(HAPROXY_CFG, 'utf8'), {
        frontendPorts: { 8080: lbHttp!, 1883: lbMqtt!, 8883: lbTls! },
        replicas: { 'platform-1': '127.0.0.2', 'platform-2': '127.0.0.3' },
        replicaPorts: { 8080: httpPort!, 1883: mqttPort!, 8883: tlsPort! },
        maxconn: 2000,
      }),
    );
    let haproxyOut = '';
    haproxy = spawn(HAPROXY_BINARY, ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const spawnError = new Promise<never>((_, reject) =>
      haproxy?.on('error', (err) =>
        reject(
          new Error(
            `cannot run ${HAPROXY_BINARY} (${err.message}): install Debian's haproxy (npm run setup)`,
          ),
        ),
      ),
    );
    haproxy.stdout?.on('data', (b: Buffer) => (haproxyOut += b.toString()));
    haproxy.stderr?.on('data', (b: Buffer) => (haproxyOut += b.toString()));
    await Promise.race([
      spawnError,
      eventually(async () => (await get(`${lb}/healthz`)).status === 200, {
        timeoutMs: 15_000,
        intervalMs: 200,
        what: 'HAProxy answering',
      }),
    ]).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${haproxyOut}`);
    });

    // replica 2 loses its InfluxDB: alive (/healthz) but not ready (/readyz 503)
    await ownInfluxd.stop();
    ownInfluxd = undefined;
    await eventually(async () => (await get(`http://127.0.0.3:${httpPort}/readyz`)).status === 503, {
      timeoutMs: 15_000,
      what: 'replica 2 not ready',
    });
    expect((await get(`http://127.0.0.3:${httpPort}/healthz`)).status).toBe(200);
    // docker-compose.yml's own health check command says the same of each replica
    const healthcheck = [readCompose(filledExampleEnv()).services['platform-1']!.healthcheck!.test].flat();
    expect(healthcheck.slice(0, 2)).toEqual(['CMD', 'node']);
    const dockerHealth = (address: string) =>
      spawnSync(
        process.execPath,
        healthcheck.slice(2).map((arg) => arg.replace('127.0.0.1:8080', `${address}:${httpPort}`)),
        { timeout: 15_000 },
      ).status;
    expect(dockerHealth('127.0.0.2')).toBe(0);
    expect(dockerHealth('127.0.0.3')).toBe(1);
    // HAProxy's checks find that out: every request goes to replica 1, none to replica 2
    await eventually(
      async () => {
        for (let i = 0; i < 8; i++) if ((await get(`${lb}/readyz`)).status !== 200) return false;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'only the ready replica answering through HAProxy' },
    );

    // What a client says about its own scheme is not passed on: the platform believes
    // X-Forwarded-Proto from HAProxy (TRUST_PROXY), so HAProxy must write it itself. A client on
    // plain HTTP claiming https gets no Secure cookie through HAProxy; straight from a trusted
    // address the same claim is believed, so the check is not empty.
    const login = (base: string) =>
      fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify(TEST_ADMIN),
        signal: AbortSignal.timeout(5000),
      });
    const viaProxy = await login(lb);
    expect(viaProxy.status).toBe(200);
    expect(viaProxy.headers.get('set-cookie') ?? '').not.toMatch(/;\s*secure/i);
    const direct = await login(`http://127.0.0.2:${httpPort}`);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('set-cookie') ?? '').toMatch(/;\s*secure/i);

    // devices through HAProxy: plain MQTT, MQTT over TLS (passed through: replica 1's own
    // certificate verifies) and MQTT over WebSocket on the dashboard's /mqtt (an upgrade in HTTP mode)
    const connect = (url: string, id: string, extra: mqtt.IClientOptions = {}) => {
      const client = mqtt.connect(url, {
        clientId: id,
        username: id,
        password: secrets[id]!,
        clean: false,
        reconnectPeriod: 300,
        connectTimeout: 5000,
        ...extra,
      });
      client.on('error', () => {});
      clients.push(client);
      return client;
    };
    const plain = connect(`mqtt://127.0.0.1:${lbMqtt}`, 'lb-plain');
    let plainConnects = 0;
    plain.on('connect', () => plainConnects++);
    const tls = connect(`mqtts://127.0.0.1:${lbTls}`, 'lb-tls', {
      ca: readFileSync(join(dirs[0]!.path, 'tls', 'mqtt-server.pem')),
    });
    const ws = connect(`ws://127.0.0.1:${lbHttp}/mqtt`, 'lb-ws');
    await eventually(() => plainConnects === 1 && tls.connected && ws.connected, {
      timeoutMs: 15_000,
      what: 'three devices connected through HAProxy',
    });
    await publishQos1(plain, 'lb-plain', 1);
    await publishQos1(tls, 'lb-tls', 1);
    await publishQos1(ws, 'lb-ws', 1);

    // replica 1 dies. No replica is ready now; HAProxy falls back to the one that is alive, so
    // staff get the platform's own "degraded" answer (not HAProxy's "no server") ...
    await replica1.kill();
    await eventually(
      async () => {
        const r = await get(`${lb}/readyz`);
        return r.status === 503 && (JSON.parse(r.body) as { status?: string }).status === 'degraded';
      },
      { timeoutMs: 30_000, intervalMs: 250, what: "replica 2's own readiness answer through HAProxy" },
    );
    expect((await get(`${lb}/healthz`)).status).toBe(200);
    // ... and the device reconnects by itself and its reading is acknowledged (spooled on replica 2)
    await eventually(() => plainConnects >= 2 && plain.connected, {
      timeoutMs: 30_000,
      what: 'the device reconnected through HAProxy',
    });
    await publishQos1(plain, 'lb-plain', 2);
    expect(replica2.running()).toBe(true);

    // Only replica 2 is left, so every connection below reaches the same broker (HAProxy's
    // redispatch covers a try at the dead one). Each device is seen there with its own address
    // through HAProxy (its PROXY protocol header), so the guard against guessed secrets locks the guesser's address, not HAProxy's: 60 wrong secrets
    // from 127.0.0.50 (over plain MQTT) lock 127.0.0.50, and a device with its right secret from
    // 127.0.0.60 (over TLS) still gets in. Without the header both would be 127.0.0.1.
    const attempt = (
      id: string,
      password: string,
      localAddress: string,
      transport: 'plain' | 'tls',
    ): Promise<'connected' | 'refused'> =>
      new Promise((resolve) => {
        const options: mqtt.IClientOptions = {
          clientId: id,
          username: id,
          password,
          reconnectPeriod: 0,
          connectTimeout: 30_000,
        };
        const client =
          transport === 'plain'
            ? new mqtt.MqttClient(
                () => createConnection({ host: '127.0.0.1', port: lbMqtt!, localAddress }),
                options,
              )
            : mqtt.connect(`mqtts://127.0.0.1:${lbTls}`, {
                ...options,
                localAddress,
                // replica 2's own self-signed certificate (in Docker every replica shares one)
                ca: readFileSync(join(dirs[1]!.path, 'tls', 'mqtt-server.pem')),
              } as mqtt.IClientOptions);
        clients.push(client);
        client.on('error', () => {});
        client.once('connect', () => {
          resolve('connected');
          client.end(true);
        });
        client.once('close', () => resolve('refused'));
      });
    const guesses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => attempt(`guess-${i}`, 'wrong-secret', '127.0.0.50', 'plain')),
    );
    expect(guesses.every((g) => g === 'refused')).toBe(true);
    // the guesser's address is locked, even with a right secret ...
    expect(await attempt('lb-good', secrets['lb-good']!, '127.0.0.50', 'plain')).toBe('refused');
    // ... another address is not, on either MQTT port
    expect(await attempt('lb-good', secrets['lb-good']!, '127.0.0.60', 'tls')).toBe('connected');
    expect(await attempt('lb-good', secrets['lb-good']!, '127.0.0.61', 'plain')).toBe('connected');
  }, 150_000);
});
