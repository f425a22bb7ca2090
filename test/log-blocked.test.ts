import { createConnection } from 'node:net';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import {
  cleanupAfterEach,
  eventually,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { TEST_ADMIN } from './harness/platform-process.ts';
import { provisionStore } from './harness/provision.ts';

/**
 * Connections to the TLS port that say something that is not TLS: each handshake fails, and each
 * failure is a debug line. Resolves how many the broker answered (closed).
 */
async function failedHandshakes(port: number, count: number, deadlineMs: number): Promise<number> {
  const one = () =>
    new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const timer = setTimeout(() => done(false), 2000);
      const done = (answered: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answered);
      };
      socket.once('error', () => done(true));
      socket.once('connect', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
      socket.once('close', () => done(true));
    });
  const end = Date.now() + deadlineMs;
  let answered = 0;
  for (let sent = 0; sent < count && Date.now() < end; sent += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, one));
    answered += batch.filter(Boolean).length;
  }
  return answered;
}

/**
 * Issue 12, point 3 ("an alarm is never stuck behind routine work"): writing the log is routine
 * work. When whatever reads the platform's output stops reading (a stalled log shipper, a paused
 * terminal, `docker logs` behind), the log must not hold up the event loop: lines beyond a bounded
 * buffer are dropped, counted and reported once the output moves again, and alarms go on.
 */
describe('a log output that nobody reads', () => {
  const cleanup = cleanupAfterEach();

  it('holds up no alarm: a flood of log lines is dropped beyond the buffer, counted, and reported later', async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const location = { sqlitePath: `${dir.path}/store.sqlite` };
    const setup = await provisionStore({ location, dataDir: dir.path });
    let secret: string;
    try {
      await setup.store.teams.create({ id: 'team-a', name: 'Team A' });
      await setup.registry.createHome({ id: 'home-a', label: 'Borger A', teamId: 'team-a' });
      ({ secret } = await setup.registry.provisionDevice({
        id: 'button-a',
        homeId: 'home-a',
        kinds: ['alarm_button'],
      }));
      await setup.grant('home-a', 'emergency', ['alerts']);
    } finally {
      await setup.close();
    }
    const platform = await startPlatformProcess({
      dataDir: dir.path,
      database: uniqueDatabase('log_blocked'),
      store: location,
      // debug: every failed TLS handshake is a line (refusals at warn are logged up to a budget, so a
      // flood of them cannot fill the log: test/log-budget.test.ts)
      env: { LOG_BUFFER_BYTES: String(64 * 1024), LOG_LEVEL: 'debug' },
    });
    cleanup.push(() => platform.close());
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const staff = await ApiClient.newStaff(admin, ['team-a']);
    const live = staff.live();
    cleanup.push(() => live.close());
    await live.opened;
    const tls = /MQTT \(TLS\):\s+(\S+)/.exec(platform.output())?.[1];
    expect(tls).toBeDefined();
    const port = Number(new URL(tls!).port);

    // the reader stops: the pipe to it fills, then the platform's log lines have nowhere to go
    platform.child.stdout!.pause();
    platform.child.stderr!.pause();
    const answered = await failedHandshakes(port, 6000, 30_000);
    // far more than the pipe and the buffer hold (a failed handshake's line is ~150 bytes)
    expect(answered).toBeGreaterThan(3000);

    const button = await mqtt.connectAsync(platform.mqttUrl!, {
      clientId: 'button-a',
      username: 'button-a',
      password: secret!,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    cleanup.push(() => button.endAsync(true));
    const press: WireReading = { kind: 'alarm_button', value: 1, ts: Date.now(), seq: 1 };
    await button.publishAsync(topics.readings('home-a', 'button-a'), JSON.stringify(press), { qos: 1 });
    await eventually(() => live.alerts().some((m) => m.event === 'opened' && m.alert?.homeId === 'home-a'), {
      what: 'the alarm on the staff socket while the log output is blocked',
      timeoutMs: 10_000,
    });
    const dropped = await platform.metric('tryghed_log_lines_dropped_total');
    expect(dropped).toBeGreaterThan(0);

    // the reader comes back: what was dropped is said in the log itself
    platform.child.stdout!.resume();
    platform.child.stderr!.resume();
    const out = await platform.waitForOutput(
      /"msg":"log lines dropped while the log output was blocked"/,
      15_000,
    );
    const line = out.split('\n').find((l) => l.includes('log lines dropped while'))!;
    expect(JSON.parse(line).dropped).toBeGreaterThan(0);
  });
});
