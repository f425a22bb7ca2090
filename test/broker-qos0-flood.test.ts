import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { SETTLES_LATER } from '../broker/index.ts';
import { topics } from '../services/domain/index.ts';
import { bareBroker, registryFixture } from './harness/broker.ts';
import { cleanupAfterEach, eventually } from './harness/index.ts';

describe('a device flooding QoS 0 readings is read no faster than they are handled', () => {
  const cleanup = cleanupAfterEach();

  it('at most about one socket read of its readings is in hand; none is lost or reordered', async () => {
    const f = await registryFixture(cleanup);
    const [hose] = await f.registry.provisionDevices([{ id: 'hose', homeId: 'h1', kinds: ['motion'] }]);
    const broker = await bareBroker(f, cleanup);
    // handled together every 200 ms: slower than the device sends
    const waiting: Array<() => void> = [];
    let mostInHand = 0;
    const commits = setInterval(() => {
      for (const done of waiting.splice(0)) done();
    }, 200);
    cleanup.push(() => clearInterval(commits));
    const seqs: number[] = [];
    broker.onDeviceMessage((m, settled) => {
      seqs.push((JSON.parse(String(m.payload)) as { seq: number }).seq);
      if (settled) {
        waiting.push(() => settled(true));
        mostInHand = Math.max(mostInHand, waiting.length);
        return SETTLES_LATER;
      }
      return new Promise<boolean>((resolve) => {
        waiting.push(() => resolve(true));
        mostInHand = Math.max(mostInHand, waiting.length);
      });
    });
    const client = await mqtt.connectAsync(broker.url, {
      clientId: 'hose',
      username: 'hose',
      password: hose!.secret,
      reconnectPeriod: 0,
    });
    cleanup.push(() => client.endAsync(true));
    const n = 3000;
    for (let seq = 1; seq <= n; seq++)
      client.publish(
        topics.readings('h1', 'hose'),
        JSON.stringify({ kind: 'motion', value: 1, ts: seq, seq }),
        {
          qos: 0,
        },
      );
    await eventually(() => seqs.length === n, { what: 'every reading handed on', timeoutMs: 30_000 });
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(mostInHand).toBeLessThan(1500);
  });
});
