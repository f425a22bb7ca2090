import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { topics, type WireReading } from '../services/domain/index.ts';
import { openStore } from '../services/store/index.ts';
import {
  cleanupAfterEach,
  eventually,
  freePort,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { provisionStore } from './harness/provision.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

const HOMES = ['home-a', 'home-b', 'home-c'];

/**
 * Issue 13: every notice outside the dashboard is delivered, or visibly not. The receiver (a team
 * webhook and the fallback webhook) is down while a real platform process raises alarms from real
 * MQTT readings; the notices fail and wait in the outbox; the process is killed -9 (a power cut);
 * the platform starts again on the same store, then the receiver comes back: every notice arrives,
 * each exactly once.
 */
describe.each(ENGINES)('the notice outbox across a kill -9 and a receiver outage (%s)', (engine) => {
  const cleanup = cleanupAfterEach();

  it('every notice arrives exactly once after the platform restarts and the receiver comes back', async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const { location, drop } = await storeLocation(engine, dir.path, 'restart');
    cleanup.push(drop);
    const database = uniqueDatabase('outbox_restart');
    const receiverPort = await freePort();
    const base = `http://127.0.0.1:${receiverPort}`;
    const env: Record<string, string> = {
      ...('databaseUrl' in location
        ? { DATABASE_URL: location.databaseUrl }
        : { SQLITE_PATH: location.sqlitePath }),
      FALLBACK_WEBHOOK_URL: `${base}/fallback`,
      TEAM_WEBHOOKS: JSON.stringify({ 'team-a': `${base}/team` }),
      NOTIFY_MAX_ATTEMPTS: '20',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_TIMEOUT_MS: '2000',
      // no reminders during the test: only the first notices count
      ESCALATE_CRITICAL_S: '3600',
      ESCALATION_RENOTIFY_MIN_S: '3600',
      NOTICE_LATE_S: '1',
    };

    // 1. set up homes, fall sensors and consent (in the store, under the key in the data folder)
    const setup = await provisionStore({ location, dataDir: dir.path });
    const secrets = new Map<string, string>();
    try {
      await setup.store.teams.create({ id: 'team-a', name: 'Team A' });
      for (const homeId of HOMES) {
        await setup.registry.createHome({ id: homeId, label: `Borger ${homeId}`, teamId: 'team-a' });
        const { secret } = await setup.registry.provisionDevice({
          id: `fall-${homeId}`,
          homeId,
          kinds: ['fall'],
        });
        secrets.set(homeId, secret);
        await setup.grant(homeId, 'emergency', ['alerts']);
      }
    } finally {
      await setup.close();
    }

    // 2. the platform as a real process, the receiver down: falls over MQTT raise alerts whose notices fail
    const child = await startPlatformProcess({ dataDir: dir.path, database, env });
    cleanup.push(() => child.close());
    for (const homeId of HOMES) {
      const device = await mqtt.connectAsync(child.mqttUrl!, {
        clientId: `fall-${homeId}`,
        username: `fall-${homeId}`,
        password: secrets.get(homeId)!,
        reconnectPeriod: 0,
      });
      const reading: WireReading = { kind: 'fall', value: 1, ts: Date.now(), seq: 1 };
      await device.publishAsync(topics.readings(homeId, `fall-${homeId}`), JSON.stringify(reading), {
        qos: 1,
      });
      await device.endAsync();
    }
    // a team notice (level 1) and a fallback notice (level 2) per alarm, each tried and failed
    const watcher = await openStore(location);
    const keys = HOMES.flatMap((_, i) => [`team-${i}`, `fallback-${i}`]).length;
    const failedRows = await eventually(
      async () => {
        const rows = await watcher.noticeOutbox.undelivered({
          since: 0,
          pendingBefore: Number.MAX_SAFE_INTEGER,
          homeIds: null,
          limit: 100,
        });
        return rows.length === keys && rows.every((r) => r.attempts >= 1) && rows;
      },
      { what: 'every notice tried and failed', timeoutMs: 60_000 },
    );
    await watcher.close();
    expect(new Set(failedRows.map((r) => r.lastError))).toEqual(new Set(['ECONNREFUSED']));
    expect(failedRows.every((r) => r.state === 'pending')).toBe(true);

    // 3. the power cut
    await child.kill();

    // 4. the platform starts again on the same store; then the receiver comes back on its address
    const again: Platform = await startTestPlatform({ dataDir: dir.path, database, env });
    cleanup.push(() => again.close());
    // what staff see meanwhile: "ikke leveret", on the list and on each alert, once each notice is
    // older than NOTICE_LATE_S (a start can take less than that second: the list is looked at until
    // they are, not once)
    const late = await eventually(
      async () => {
        const rows = await again.outbox.undelivered({ since: 0, homeIds: null, limit: 100 });
        return rows.length === keys && rows;
      },
      { what: 'every notice shown as not delivered', timeoutMs: 10_000 },
    );
    expect(late).toHaveLength(keys);
    const receiver: Receiver = await startReceiver(() => 200, { port: receiverPort });
    cleanup.push(() => receiver.close());

    await eventually(() => receiver.received.length >= keys, {
      what: 'every notice delivered',
      timeoutMs: 60_000,
    });
    await eventually(
      async () => (await again.outbox.undelivered({ since: 0, homeIds: null, limit: 100 })).length === 0,
      {
        what: 'the outbox to mark them delivered',
      },
    );
    // one more look of each part that sends (rather than a moment's wait, which may hold no
    // look: the outbox polls every 2 s): nothing arrives twice
    await again.escalation.tick();
    await again.escalation.idle();
    await again.outbox.dispatch();
    await again.outbox.idle();

    const byKey = new Map<string, number>();
    const byBody = new Map<string, number>();
    for (const r of receiver.received) {
      const key = String(r.headers['idempotency-key']);
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      const body = `${r.path} ${r.body.alertId} ${r.body.level} ${r.body.reminder}`;
      byBody.set(body, (byBody.get(body) ?? 0) + 1);
    }
    expect(receiver.received).toHaveLength(keys);
    expect([...byKey.values()]).toEqual(Array(keys).fill(1));
    expect([...byBody.values()]).toEqual(Array(keys).fill(1));
    expect(new Set(failedRows.map((r) => r.idempotencyKey))).toEqual(new Set(byKey.keys()));
    // one per home and path: the team's webhook and the fallback each heard of every alarm
    const paths = receiver.received.map((r) => `${r.path} ${r.body.homeId}`).sort();
    expect(paths).toEqual(HOMES.flatMap((h) => [`/fallback ${h}`, `/team ${h}`]).sort());
  }, 240_000);
});
