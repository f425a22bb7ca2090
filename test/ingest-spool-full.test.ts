import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics } from '../services/domain/index.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { cuttableLink, type InfluxLink } from './harness/influx-link.ts';
import { startTestPlatform } from './harness/platform.ts';

const BOUND = 6;
const DEVICES = ['spool-a', 'spool-b'];

/** the seqs InfluxDB holds for one device, as stored (a seq twice would show twice) */
async function storedSeqs(database: string, deviceId: string): Promise<number[]> {
  const q = encodeURIComponent(`SELECT "seq" FROM "reading" WHERE "device" = '${deviceId}'`);
  const res = await fetch(`${inject('influxUrl')}/query?db=${database}&q=${q}`);
  const body = (await res.json()) as {
    results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
  };
  return (body.results[0]?.series?.[0]?.values ?? []).map(([, seq]) => seq).sort((a, b) => a - b);
}

describe('InfluxDB down and the spool full: no PUBACK, nothing acknowledged is lost', () => {
  const dir = tempDir();
  let platform: Platform | undefined;
  let link: InfluxLink | undefined;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await link?.close();
    await platform?.close();
    dir.remove();
  });

  it('real devices keep what finds no room, resend it, and every acknowledged reading is stored once', async () => {
    link = await cuttableLink(inject('influxUrl'));
    const database = uniqueDatabase('spoolfull');
    platform = await startTestPlatform({
      dataDir: dir.path,
      database,
      // the bound on readings held while InfluxDB is away, the spool's included
      env: { INFLUX_URL: link.url, INGEST_MAX_BUFFERED: String(BOUND), INGEST_SPOOL: 'true' },
    });
    await platform.store.teams.create({ id: 'team-s', name: 'S' });
    await platform.registry.createHome({ id: 'home-s', label: 'S', teamId: 'team-s' });
    await platform.consent.change(
      'home-s',
      {
        category: 'environment',
        purpose: 'history',
        action: 'grant',
        channel: 'web',
        textVersion: informationText('environment', 'history').version,
      },
      { id: 'c', role: 'citizen', homeId: 'home-s' },
    );
    const devices: MqttClient[] = [];
    for (const id of DEVICES) {
      const { secret } = await platform.registry.provisionDevice({
        id,
        homeId: 'home-s',
        kinds: ['temperature'],
      });
      // as a device does: on a lost connection it reconnects and sends what was not acknowledged
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: secret,
        reconnectPeriod: 200,
      });
      clients.push(client);
      devices.push(client);
    }
    const reading = (seq: number) =>
      JSON.stringify({ kind: 'temperature', value: 20 + seq, ts: Date.now(), seq });

    link.cut();
    // InfluxDB is away: the spool takes readings up to the bound, and each is acknowledged
    for (let seq = 1; seq <= BOUND / 2; seq++)
      for (const [i, id] of DEVICES.entries())
        await devices[i]!.publishAsync(topics.readings('home-s', id), reading(seq), { qos: 1 });

    // the bound is reached: the next reading of each device gets no PUBACK
    const acked: boolean[] = DEVICES.map(() => false);
    const done = DEVICES.map(
      (id, i) =>
        new Promise<void>((resolve, reject) =>
          devices[i]!.publish(topics.readings('home-s', id), reading(BOUND / 2 + 1), { qos: 1 }, (err) => {
            if (err) return reject(err);
            acked[i] = true;
            resolve();
          }),
        ),
    );
    await eventually(
      async () =>
        (await platform!.metrics.value('tryghed_broker_refusals_total', { reason: 'not_stored' })) >= 4,
      { timeoutMs: 10_000, what: 'both devices refused, and refused again after reconnecting' },
    );
    expect(acked).toEqual([false, false]);
    expect(
      await platform.metrics.value('tryghed_ingest_dropped_total', { reason: 'buffer_full' }),
    ).toBeGreaterThanOrEqual(4);
    expect(platform.ingest.health().spooled).toBe(BOUND);
    // nothing reached InfluxDB: everything acknowledged so far is in the spool alone
    expect(await storedSeqs(database, 'spool-a')).toEqual([]);

    // InfluxDB is back: the spool is written, the devices' resends find room and are acknowledged
    link.mend();
    await Promise.all(done);
    expect(acked).toEqual([true, true]);
    for (const id of DEVICES)
      await eventually(async () => (await storedSeqs(database, id)).length === BOUND / 2 + 1, {
        timeoutMs: 20_000,
        what: `${id}'s readings in InfluxDB`,
      });
    // every acknowledged reading stored, exactly once
    for (const id of DEVICES) expect(await storedSeqs(database, id)).toEqual([1, 2, 3, 4]);
  });
});
