import { describe, expect, it } from 'vitest';
import { AckPacer } from '../broker/ack-pacer.ts';
import { topics } from '../services/domain/index.ts';
import { bareBroker, connectDevices, registryFixture } from './harness/broker.ts';
import { cleanupAfterEach, eventually } from './harness/index.ts';

/** counts what `tick` reports at each turn of the event loop until `done`; returns the largest step */
function largestStepPerTurn(count: () => number, done: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    let last = count();
    let largest = 0;
    const turn = () => {
      const now = count();
      largest = Math.max(largest, now - last);
      last = now;
      if (done()) resolve(largest);
      else setImmediate(turn);
    };
    setImmediate(turn);
  });
}

describe('PUBACKs of one group commit go out a slice per turn of the event loop', () => {
  const cleanup = cleanupAfterEach();

  it('many devices made durable at once are acknowledged in slices, in order, none lost (real aedes, real clients)', async () => {
    const f = await registryFixture(cleanup);
    const n = 120;
    const slice = 8;
    const provisioned = await f.registry.provisionDevices(
      Array.from({ length: n }, (_, i) => ({ id: `d${i}`, homeId: 'h1', kinds: ['motion' as const] })),
    );
    const broker = await bareBroker(f, cleanup, { ackSlice: slice });
    // one durable promise for every reading, as the spool's group commit gives
    let commit!: (ok: boolean) => void;
    const group = new Promise<boolean>((r) => {
      commit = r;
    });
    const heard: string[] = [];
    broker.onDeviceMessage((m) => {
      heard.push(m.deviceId);
      return group;
    });
    const clients = [...(await connectDevices(broker.url, provisioned, cleanup)).values()];
    const acked: string[] = [];
    clients.forEach((c, i) => {
      c.publish(
        topics.readings('h1', `d${i}`),
        JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq: 1 }),
        { qos: 1 },
        (err) => {
          if (!err) acked.push(`d${i}`);
        },
      );
    });
    await eventually(() => heard.length === n, { what: 'every reading handed on and held' });
    // held until durable: nobody has a PUBACK yet
    await new Promise((r) => setTimeout(r, 50));
    expect(acked).toEqual([]);

    commit(true);
    // how many PUBACKs the devices got between two turns of the event loop: all of them in one turn
    // when one commit releases every acknowledgement at once
    const largest = await largestStepPerTurn(
      () => acked.length,
      () => acked.length === n,
    );
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(2 * slice);
    // every reading acknowledged once, after it was durable
    expect([...acked].sort()).toEqual([...heard].sort());
  });

  it('releases in order, a slice per turn; one that throws holds back no other', async () => {
    const failures: unknown[] = [];
    const pacer = new AckPacer(3, (err) => failures.push(err));
    const released: number[] = [];
    const perTurn: number[] = [];
    for (let i = 0; i < 10; i++)
      pacer.release(() => {
        released.push(i);
        if (i === 4) throw new Error('a closed socket');
      });
    expect(released).toEqual([]);
    expect(pacer.waiting).toBe(10);
    while (released.length < 10) {
      const before = released.length;
      await new Promise((r) => setImmediate(r));
      perTurn.push(released.length - before);
    }
    expect(released).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(3);
    expect(failures).toHaveLength(1);
    expect(pacer.waiting).toBe(0);
    // drained: a later one goes out on the next turn
    pacer.release(() => released.push(10));
    await new Promise((r) => setImmediate(r));
    expect(released.at(-1)).toBe(10);
  });
});
