import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

const HOMES = 150;
const homeIds = Array.from({ length: HOMES }, (_, i) => `home-${String(i).padStart(3, '0')}`);

/**
 * A power cut, a fire in a block of flats: many smoke alarms go off in the same moment. Every one
 * must reach a human, once: on the whole platform in this process (real aedes, real influxd, real
 * SQLite, a real staff socket), 150 homes' smoke sensors publish at once, beside a sensor sending
 * routine readings as fast as it can.
 */
describe('an alarm storm: many homes alarm in the same moment', () => {
  const dir = tempDir();
  let platform: Platform;
  let live: LiveClient;
  const sensors: MqttClient[] = [];
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('storm') });
    await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
    for (const homeId of homeIds) {
      await platform.registry.createHome({ id: homeId, label: `Borger ${homeId}`, teamId: 'team-a' });
      await platform.consent.change(
        homeId,
        {
          category: 'environment',
          purpose: 'alerts',
          action: 'grant',
          channel: 'web',
          textVersion: informationText('environment', 'alerts').version,
        },
        { id: 'citizen', role: 'citizen', homeId },
      );
      const { secret } = await platform.registry.provisionDevice({
        id: `smoke-${homeId}`,
        homeId,
        kinds: ['smoke', 'temperature'],
      });
      secrets.set(homeId, secret);
    }
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const staff = await ApiClient.newStaff(admin, ['team-a']);
    live = staff.live();
    await live.opened;
    for (const homeId of homeIds)
      sensors.push(
        await mqtt.connectAsync(platform.mqttUrl, {
          clientId: `smoke-${homeId}`,
          username: `smoke-${homeId}`,
          password: secrets.get(homeId)!,
          reconnectPeriod: 0,
        }),
      );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sensors.map((s) => s.endAsync(true)));
    await live?.close();
    await platform?.close();
    dir.remove();
  });

  it('every alarm is acknowledged as stored, and every home is on the staff board once', async () => {
    const now = Date.now();
    // one home also sends routine readings as fast as its acknowledgements come back, throughout
    let routine = true;
    let seq = 10;
    const background = (async () => {
      while (routine) {
        const reading: WireReading = { kind: 'temperature', value: 21, ts: Date.now(), seq: seq++ };
        await sensors[0]!.publishAsync(
          topics.readings(homeIds[0]!, `smoke-${homeIds[0]}`),
          JSON.stringify(reading),
          {
            qos: 1,
          },
        );
      }
    })();
    const smoke: WireReading = { kind: 'smoke', value: 1, ts: now, seq: 1 };
    // all at once: every PUBACK means the alarm reading is stored
    await Promise.all(
      sensors.map((sensor, i) =>
        sensor.publishAsync(topics.readings(homeIds[i]!, `smoke-${homeIds[i]}`), JSON.stringify(smoke), {
          qos: 1,
        }),
      ),
    );
    const openedHomes = () =>
      live
        .alerts()
        .filter((m) => m.event === 'opened' && m.alert?.rule === 'smoke')
        .map((m) => m.alert!.homeId);
    await eventually(() => new Set(openedHomes()).size === HOMES, {
      what: `all ${HOMES} smoke alarms on the staff board`,
      timeoutMs: 30_000,
    });
    routine = false;
    await background;
    // once each: a second look finds no home twice
    await new Promise((r) => setTimeout(r, 300));
    expect(openedHomes().sort()).toEqual([...homeIds].sort());
    // and each is an open alert in the store, one per home
    const open = await platform.alerts.list({ states: ['open', 'acknowledged'], limit: 1000 });
    const smokeAlerts = open.filter((a) => a.rule === 'smoke');
    expect(smokeAlerts.map((a) => a.homeId).sort()).toEqual([...homeIds].sort());
  });
});
