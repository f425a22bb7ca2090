import { type ChildProcess, spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics, type WireReading } from '../services/domain/index.ts';
import { openStore } from '../services/store/index.ts';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

const HOMES = ['home-a', 'home-b', 'home-c'];

/** `tryghed start` as a real child process; resolves once it says it is running. */
function startChild(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'start'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Tryghed is running')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited (${code}):\n${out}`));
    });
  });
}

/**
 * Issue 13: every notice outside the dashboard is delivered, or visibly not. The receiver (a team
 * webhook and the fallback webhook) is down while a real platform process raises alarms from real
 * MQTT readings; the notices fail and wait in the outbox; the process is killed -9 (a power cut);
 * the platform starts again on the same store, then the receiver comes back: every notice arrives,
 * each exactly once.
 */
describe.each(ENGINES)('the notice outbox across a kill -9 and a receiver outage (%s)', (engine) => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

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

    // 1. set up homes, fall sensors and consent (the platform in this process, then stopped)
    const setup = await startTestPlatform({ dataDir: dir.path, database, env });
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
        await setup.consent.change(
          homeId,
          {
            category: 'emergency',
            purpose: 'alerts',
            action: 'grant',
            channel: 'web',
            textVersion: informationText('emergency', 'alerts').version,
          },
          { id: 'citizen', role: 'citizen', homeId },
        );
      }
    } finally {
      await setup.close();
    }

    // 2. the platform as a real process, the receiver down: falls over MQTT raise alerts whose notices fail
    const mqttPort = await freePort();
    const child = await startChild({
      ...env,
      DATA_DIR: dir.path,
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DATABASE: database,
      INFLUX_AUTOSTART: 'false',
      HTTP_PORT: '0',
      MQTT_PORT: String(mqttPort),
      MQTT_TLS_PORT: '0',
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
    });
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    for (const homeId of HOMES) {
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
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
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    // 4. the platform starts again on the same store; then the receiver comes back on its address
    const again: Platform = await startTestPlatform({ dataDir: dir.path, database, env });
    cleanup.push(() => again.close());
    // what staff see meanwhile: "ikke leveret", on the list and on each alert
    const late = await again.outbox.undelivered({ since: 0, homeIds: null, limit: 100 });
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
    // a moment more: nothing arrives twice
    await new Promise((r) => setTimeout(r, 1500));
    await again.escalation.idle();

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
