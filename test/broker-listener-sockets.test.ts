import { connect, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceListeners, openListeners } from '../broker/listeners.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';
import { eventually } from './harness/index.ts';

/**
 * The broker keeps every accepted socket until it closes, so a stop can end the ones aedes does not
 * know yet (point 8 of issue 12). A closed socket must leave that list, or each connection ever made
 * would stay in memory for as long as the broker runs.
 */
describe('the broker forgets a socket once it closes', () => {
  let doors: DeviceListeners | undefined;
  let aedes: Aedes | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await doors?.close();
    await new Promise<void>((resolve) => (aedes ? aedes.close(() => resolve()) : resolve()));
  });

  it('counts open sockets, forgets closed ones, and closes the rest at stop', async () => {
    aedes = await Aedes.createBroker();
    doors = await openListeners(
      aedes,
      {
        host: '127.0.0.1',
        plainPort: 0,
        tls: null,
        webSocketPort: null,
        maxPayloadBytes: 1024,
        metrics: new Metrics(),
      },
      silentLogger(),
    );
    const port = Number(new URL(doors.endpoints.plain!).port);
    const dial = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
        sockets.push(s);
      });
    // no CONNECT sent: aedes does not know these yet, only the listener does
    const [a, b, c] = await Promise.all([dial(), dial(), dial()]);
    const open = doors;
    await eventually(() => expect(open.openSockets()).toBe(3));
    a!.destroy();
    b!.destroy();
    await eventually(() => expect(open.openSockets()).toBe(1));
    // the one left is ended by the stop, and forgotten too
    const ended = new Promise<void>((resolve) => c!.once('close', () => resolve()));
    await open.close();
    await ended;
    await eventually(() => expect(open.openSockets()).toBe(0));
  });
});
