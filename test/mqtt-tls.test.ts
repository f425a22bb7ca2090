import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { selfSignedPaths } from '../platform/mqtt-tls.ts';
import type { Platform } from '../platform/start.ts';
import { topics } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { connectOnce, makeClientCa, runMosquitto } from './harness/tls.ts';

/** A home with one battery sensor: battery readings are technical, so they are stored without consent. */
async function provision(platform: Platform, deviceIds: string[]) {
  await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
  await platform.registry.createHome({ id: 'home-a', label: 'A', teamId: 'team-a' });
  const secrets: Record<string, string> = {};
  for (const id of deviceIds) {
    secrets[id] = (
      await platform.registry.provisionDevice({ id, homeId: 'home-a', role: 'sensor', kinds: ['battery'] })
    ).secret;
  }
  return secrets;
}

const reading = (seq: number) => JSON.stringify({ kind: 'battery', value: 50 + seq, ts: Date.now(), seq });

/** waits until InfluxDB holds the reading with this seq from this device */
const stored = (platform: Platform, deviceId: string, seq: number) =>
  eventually(
    async () =>
      (
        await platform.readings.query({
          homeId: 'home-a',
          deviceIds: [deviceId],
          from: Date.now() - 3_600_000,
          to: Date.now() + 60_000,
        })
      ).some((p) => p.seq === seq),
    { timeoutMs: 10_000, what: `reading ${seq} of ${deviceId} stored` },
  );

const refusedConnection = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });

describe('MQTT over TLS and WebSocket, plain MQTT switched off', () => {
  const dir = tempDir();
  const database = uniqueDatabase('tls');
  let platform: Platform;
  let plainPort: number;
  let secret: string;
  let caPem: string;
  let seq = 0;

  beforeAll(async () => {
    plainPort = await freePort();
    platform = await startTestPlatform({
      dataDir: dir.path,
      database,
      env: { MQTT_PORT: String(plainPort), MQTT_PLAIN_PORT: '0', MQTT_WS_PORT: '0' },
    });
    secret = (await provision(platform, ['bat-1']))['bat-1'] ?? '';
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('makes a self-signed pair under DATA_DIR on first start and says its fingerprint', () => {
    const paths = selfSignedPaths(dir.path);
    caPem = readFileSync(paths.cert, 'utf8');
    expect(statSync(paths.key).mode & 0o777).toBe(0o600);
    const tls = platform.mqttTls;
    expect(tls).not.toBeNull();
    expect(tls?.selfSigned).toBe(true);
    expect(tls?.caPem).toBe(caPem);
    expect(tls?.fingerprint256).toBe(new X509Certificate(caPem).fingerprint256);
    expect(tls?.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.mqttUrl).toBe(tls?.url);
  });

  it('a device that trusts the CA connects over mqtts:// and its reading is stored', async () => {
    const device = await connectOnce(platform.mqttTls?.url ?? '', {
      clientId: 'bat-1',
      username: 'bat-1',
      password: secret,
      ca: caPem,
      rejectUnauthorized: true,
    });
    const s = ++seq;
    await device.publishAsync(topics.readings('home-a', 'bat-1'), reading(s), { qos: 1 });
    await device.endAsync();
    await stored(platform, 'bat-1', s);
  });

  it('a client that does not trust the CA refuses the server', async () => {
    await expect(
      connectOnce(platform.mqttTls?.url ?? '', {
        clientId: 'bat-1',
        username: 'bat-1',
        password: secret,
        rejectUnauthorized: true,
      }),
    ).rejects.toThrow(/self[- ]signed certificate/i);
    // the refusal happened in the handshake, and is counted
    await eventually(
      async () =>
        (await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'tls_handshake' })) >= 1,
    );
  });

  it('with MQTT_PLAIN_PORT=0 nothing listens on the plain port', async () => {
    expect(platform.mqttEndpoints.plain).toBeNull();
    expect(await refusedConnection(plainPort)).toBe('ECONNREFUSED');
  });

  it('mosquitto_pub publishes over TLS with --cafile (a third-party client)', async () => {
    const cafile = join(dir.path, 'ca-copy.pem');
    writeFileSync(cafile, caPem);
    const s = ++seq;
    const port = new URL(platform.mqttTls?.url ?? '').port;
    const { code, out } = await runMosquitto('mosquitto_pub', [
      ...['-h', 'localhost', '-p', port, '-V', 'mqttv311', '--cafile', cafile],
      ...['-i', 'bat-1', '-u', 'bat-1', '-P', secret, '-q', '1'],
      ...['-t', topics.readings('home-a', 'bat-1'), '-m', reading(s)],
    ]);
    expect(code, out).toBe(0);
    await stored(platform, 'bat-1', s);
  });

  it("MQTT over WebSocket on the dashboard's /mqtt path stores a reading", async () => {
    const url = platform.mqttEndpoints.webSocketPath ?? '';
    expect(url).toBe(`${platform.dashboardUrl.replace('http', 'ws')}/mqtt`);
    const device = await connectOnce(url, { clientId: 'bat-1', username: 'bat-1', password: secret });
    const s = ++seq;
    await device.publishAsync(topics.readings('home-a', 'bat-1'), reading(s), { qos: 1 });
    await device.endAsync();
    await stored(platform, 'bat-1', s);
  });

  it('a browser page of a foreign origin cannot open MQTT over WebSocket; /live still answers', async () => {
    const status = (url: string, origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, ['mqtt'], { headers: { origin } });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    const mqttPath = platform.mqttEndpoints.webSocketPath ?? '';
    expect(await status(mqttPath, 'https://evil.example')).toBe(403);
    expect(
      await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'websocket_origin' }),
    ).toBe(1);
    expect(await status(mqttPath, platform.dashboardUrl)).toBe(101);
    // the board's channel is untouched: no session, so 401, not 404
    expect(await status(`${platform.dashboardUrl.replace('http', 'ws')}/live`, platform.dashboardUrl)).toBe(
      401,
    );
  });

  it('MQTT over WebSocket on its own port speaks TLS with the same certificate (wss://)', async () => {
    const url = platform.mqttEndpoints.webSocket ?? '';
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    await expect(
      connectOnce(url, { clientId: 'bat-1', username: 'bat-1', password: secret, rejectUnauthorized: true }),
    ).rejects.toThrow(/self[- ]signed certificate/i);
    const device = await connectOnce(url, {
      clientId: 'bat-1',
      username: 'bat-1',
      password: secret,
      ca: caPem,
      rejectUnauthorized: true,
    });
    const s = ++seq;
    await device.publishAsync(topics.readings('home-a', 'bat-1'), reading(s), { qos: 1 });
    await device.endAsync();
    await stored(platform, 'bat-1', s);
  });

  it('technicians read the URLs, fingerprint and CA for pairing a gateway; care staff may not', async () => {
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/users', {
      username: 'tech',
      password: 'password-123',
      displayName: 'T',
      role: 'technician',
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff',
      password: 'password-123',
      displayName: 'S',
      role: 'staff',
      teamIds: ['team-a'],
    });
    const tech = await ApiClient.login(platform.dashboardUrl, 'tech', 'password-123');
    const connection = await tech.ok<{
      endpoints: Record<string, string | null>;
      tls: Record<string, unknown>;
    }>('GET', '/api/broker/connection');
    expect(connection.endpoints).toEqual({
      plain: null,
      tls: platform.mqttTls?.url,
      webSocketPath: platform.mqttEndpoints.webSocketPath,
      webSocket: platform.mqttEndpoints.webSocket,
    });
    expect(connection.tls).toMatchObject({
      fingerprint256: platform.mqttTls?.fingerprint256,
      caPem: caPem,
      selfSigned: true,
      clientCertificates: 'off',
    });
    const staff = await ApiClient.login(platform.dashboardUrl, 'staff', 'password-123');
    expect((await staff.request('GET', '/api/broker/connection')).status).toBe(403);
  });

  it('a second start reuses the pair: same fingerprint, so paired gateways keep working', async () => {
    const before = platform.mqttTls?.fingerprint256;
    await platform.close();
    platform = await startTestPlatform({
      dataDir: dir.path,
      database,
      env: { MQTT_PORT: String(plainPort), MQTT_PLAIN_PORT: '0' },
    });
    expect(platform.mqttTls?.fingerprint256).toBe(before);
    expect(readFileSync(selfSignedPaths(dir.path).cert, 'utf8')).toBe(caPem);
  });
});

describe('client certificates (MQTT_TLS_CLIENT_CERT)', () => {
  const dir = tempDir();
  let platform: Platform;
  let secrets: Record<string, string>;
  let ca: Awaited<ReturnType<typeof makeClientCa>>;
  let serverCa: string;
  let tlsUrl: string;

  const files = (f: { cert: string; key: string }) => ({
    cert: readFileSync(f.cert, 'utf8'),
    key: readFileSync(f.key, 'utf8'),
  });

  beforeAll(async () => {
    ca = await makeClientCa(dir.path);
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('tlscert'),
      env: { MQTT_TLS_CLIENT_CERT: 'required', MQTT_TLS_CA: ca.cert },
    });
    secrets = await provision(platform, ['bat-1', 'bat-2']);
    serverCa = platform.mqttTls?.caPem ?? '';
    tlsUrl = platform.mqttTls?.url ?? '';
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  const login = (id: string) => ({ clientId: id, username: id, password: secrets[id] ?? '', ca: serverCa });

  it('required: a client without a certificate is refused in the TLS handshake', async () => {
    await expect(connectOnce(tlsUrl, login('bat-1'))).rejects.toThrow(
      /certificate|socket hang up|ECONNRESET/i,
    );
  });

  it('required: a certificate naming the device, with its password, gets in and its reading is stored', async () => {
    const device = await connectOnce(tlsUrl, { ...login('bat-1'), ...files(await ca.issue('bat-1')) });
    await device.publishAsync(topics.readings('home-a', 'bat-1'), reading(1), { qos: 1 });
    await device.endAsync();
    await stored(platform, 'bat-1', 1);
  });

  it("a certificate of one device cannot carry another device's password", async () => {
    await expect(
      connectOnce(tlsUrl, { ...login('bat-2'), ...files(await ca.issue('bat-1')) }),
    ).rejects.toThrow(/not authorized/i);
    expect(
      await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'certificate_mismatch' }),
    ).toBe(1);
  });

  it('a certificate from another CA is refused', async () => {
    const other = await makeClientCa(dir.path, 'other');
    await expect(
      connectOnce(tlsUrl, { ...login('bat-1'), ...files(await other.issue('bat-1')) }),
    ).rejects.toThrow(/certificate|closed by the server/i);
  });

  it('required holds on every door: plain MQTT and WebSocket without a certificate are refused', async () => {
    await expect(connectOnce(platform.mqttEndpoints.plain ?? '', login('bat-1'))).rejects.toThrow(
      /not authorized/i,
    );
    await expect(connectOnce(platform.mqttEndpoints.webSocketPath ?? '', login('bat-1'))).rejects.toThrow(
      /not authorized/i,
    );
    expect(
      await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'certificate_missing' }),
    ).toBeGreaterThanOrEqual(2);
  });
});

describe('optional client certificates', () => {
  const dir = tempDir();
  let platform: Platform;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    const ca = await makeClientCa(dir.path);
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('tlsopt'),
      env: { MQTT_TLS_CLIENT_CERT: 'optional', MQTT_TLS_CA: ca.cert },
    });
    secrets = await provision(platform, ['bat-1']);
  });
  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('a device without a certificate logs in with its password; one with a certificate we cannot verify is refused', async () => {
    const login = {
      clientId: 'bat-1',
      username: 'bat-1',
      password: secrets['bat-1'] ?? '',
      ca: platform.mqttTls?.caPem ?? '',
    };
    const device = await connectOnce(platform.mqttTls?.url ?? '', login);
    await device.endAsync();
    const stranger = await makeClientCa(dir.path, 'stranger');
    const forged = await stranger.issue('bat-1');
    await expect(
      connectOnce(platform.mqttTls?.url ?? '', {
        ...login,
        cert: readFileSync(forged.cert, 'utf8'),
        key: readFileSync(forged.key, 'utf8'),
      }),
    ).rejects.toThrow(/not authorized/i);
    expect(
      await platform.metrics.value('tryghed_broker_refusals_total', { reason: 'certificate_invalid' }),
    ).toBe(1);
  });
});
