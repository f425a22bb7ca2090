import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../platform/config.ts';
import { startPlatform } from '../platform/start.ts';
import { Metrics, StartError } from '../services/runtime/index.ts';
import { freePort, tempDir, uniqueDatabase } from './harness/index.ts';

/** true when something accepts a TCP connection on the port */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** true if the socket is closed now or within `ms` */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('a failed start closes what it opened', () => {
  const dir = tempDir('tryghed-start-failure-');
  const database = uniqueDatabase('startfail');
  let blocker: Server;
  let takenPort: number;
  let deviceSecret = '';

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    takenPort = (blocker.address() as { port: number }).port;
    // A first, good start leaves a home and a device behind, so a real device can connect later.
    const first = await startPlatform(config({ HTTP_PORT: '0', MQTT_PORT: '0' }), {
      logger: pino({ level: 'silent' }),
      metrics: new Metrics(),
    });
    await first.store.teams.create({ id: 't', name: 'T' });
    await first.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
    deviceSecret = (await first.registry.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] }))
      .secret;
    await first.close();
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    dir.remove();
  });

  function config(env: Record<string, string>) {
    return loadConfig({
      DATA_DIR: dir.path,
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DATABASE: database,
      INFLUX_AUTOSTART: 'false',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'admin-password-1',
      // never a fixed port: TLS's default 8883 may be taken
      MQTT_TLS_PORT: '0',
      ...env,
    });
  }

  it('a taken dashboard port, with devices already connected to the broker: rejects within 5 s, no port stays open', async () => {
    const mqttPort = await freePort();
    const sockets: Socket[] = [];
    const clients: mqtt.MqttClient[] = [];
    let connected = false;
    let brokerUpAt = 0;
    // The moment the broker listens (the dashboard is not up yet), a device connects and a
    // half-open TCP connection arrives that never sends CONNECT: both are accepted sockets.
    const watcher = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (chunk.toString().includes('MQTT broker listening') && sockets.length === 0) {
          brokerUpAt = Date.now();
          sockets.push(connect(mqttPort, '127.0.0.1'));
          const client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
            clientId: 'd1',
            username: 'd1',
            password: deviceSecret,
            reconnectPeriod: 0,
          });
          client.on('connect', () => {
            connected = true;
          });
          client.on('error', () => {});
          clients.push(client);
        }
        done();
      },
    });
    let failure: unknown;
    const outcome = await startPlatform(
      config({ HTTP_PORT: String(takenPort), MQTT_PORT: String(mqttPort) }),
      {
        logger: pino({ level: 'info' }, watcher),
        metrics: new Metrics(),
      },
    ).then(
      () => 'started',
      (err: Error) => {
        failure = err;
        return err.message;
      },
    );
    expect(outcome).toContain('HTTP_PORT');
    // one start-error type for every part, naming the setting to change
    expect(failure).toBeInstanceOf(StartError);
    expect((failure as StartError).setting).toBe('HTTP_PORT');
    // not a speed check: a hang bound (before the fix, start waited on the open sockets)
    expect(Date.now() - brokerUpAt).toBeLessThan(5000);
    expect(sockets).toHaveLength(1);
    // everything the broker accepted is closed, and nothing listens any more
    // (aedes itself drops a socket without CONNECT only after its connect timeout)
    expect(await closedWithin(sockets[0]!, 500)).toBe(true);
    for (const client of clients) {
      // a device that got in is disconnected by the broker (not by us)
      if (connected && client.connected) await new Promise<void>((r) => client.once('close', () => r()));
      expect(client.connected).toBe(false);
      client.end(true);
    }
    expect(await listening(mqttPort)).toBe(false);
  }, 15_000);
});
