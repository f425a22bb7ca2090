import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { DeviceConnections } from '../broker/connections.ts';
import { Metrics, silentLogger, systemClock } from '../services/runtime/index.ts';
import { registryFixture } from './harness/broker.ts';
import { cleanupAfterEach } from './harness/index.ts';

/**
 * A device's secret must not stay in memory for as long as it is connected: mqtt-packet keeps each
 * connection's CONNECT packet (its parser's `settings`), password and all. Real aedes, a real
 * mqtt.js device, our `DeviceConnections.authenticate` as the hook the broker uses.
 */
describe('a device secret is wiped from the CONNECT packet once read', () => {
  const cleanup = cleanupAfterEach();

  async function broker() {
    const f = await registryFixture(cleanup);
    const { secret } = await f.registry.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] });
    const connections = new DeviceConnections({
      registry: f.registry,
      serviceAccounts: [],
      logger: silentLogger(),
      metrics: new Metrics(),
      clock: systemClock,
      events: f.events,
      authThrottle: { firstDelayMs: 1, maxDelayMs: 1 },
    });
    const aedes = await Aedes.createBroker();
    cleanup.push(() => new Promise<void>((r) => aedes.close(() => r())));
    const handed: Array<{ client: Client; password: Buffer | undefined }> = [];
    aedes.authenticate = (client, username, password, done) => {
      handed.push({ client, password });
      connections.authenticate(client, username, password, done);
    };
    const server: Server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    return { secret, url, handed, aedes };
  }

  it('accepts the right secret, then holds neither its bytes nor the packet reference', async () => {
    const { secret, url, handed, aedes } = await broker();
    const device = await mqtt.connectAsync(url, {
      clientId: 'd1',
      username: 'd1',
      password: secret,
      reconnectPeriod: 0,
    });
    cleanup.push(() => device.endAsync(true));
    expect(handed).toHaveLength(1);
    const { client, password } = handed[0]!;
    expect(password?.length).toBe(Buffer.byteLength(secret));
    expect(password?.every((byte) => byte === 0)).toBe(true);
    const parser = (client as unknown as { _parser: { settings: Record<string, unknown> } })._parser;
    expect(parser.settings.clientId).toBe('d1'); // the packet mqtt-packet keeps, found where expected
    expect(parser.settings.password).toBeUndefined();
    // the connection still works after it: a QoS 1 publish is acknowledged (PUBACK)
    const got = new Promise<string>((resolve) =>
      aedes.once('publish', (packet, c) => c && resolve(packet.topic)),
    );
    await device.publishAsync('tryghed/v1/homes/h1/devices/d1/readings', '{}', { qos: 1 });
    expect(await got).toBe('tryghed/v1/homes/h1/devices/d1/readings');
  });

  it('still refuses a wrong secret (the check reads it before the wipe)', async () => {
    const { url, handed } = await broker();
    await expect(
      mqtt.connectAsync(url, {
        clientId: 'd1',
        username: 'd1',
        password: 'not-the-secret',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    expect(handed[0]?.password?.every((byte) => byte === 0)).toBe(true);
  });
});
