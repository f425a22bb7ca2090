import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText } from '../services/domain/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase, type LocalPostgres, startPostgres } from './harness/postgres.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';

const PASSWORD = 'staff-password-1';
const METRICS_TOKEN = 'metrics-token-for-the-outage-test';

/**
 * An alarm must always reach a human, also while PostgreSQL is down: the alert goes to the board
 * over `/live` and (critical, the platform degraded) to the fallback notifier, is kept in memory
 * and is written, once and in order, when the database is back. Meanwhile the platform says it is
 * degraded (`store_down`, `alerts_not_stored`) and `/readyz` answers 503. A private PostgreSQL,
 * stopped and started again on the same data and port.
 */
describe('an alert raised while the store is down', () => {
  const dir = tempDir();
  let postgres: LocalPostgres;
  let drop: () => Promise<void>;
  let platform: Platform;
  let fallback: Receiver;
  let live: LiveClient;
  let seq = 0;

  const press = async () => {
    const payload = Buffer.from(
      JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq: ++seq }),
    );
    await platform.ingest.handleReadings('home-a', 'button-a', payload);
  };
  const readyz = async () =>
    (
      await fetch(`${platform.dashboardUrl}/readyz`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).status;

  beforeAll(async () => {
    postgres = await startPostgres();
    const db = await createPostgresDatabase(postgres.adminUrl, 'outage');
    drop = db.drop;
    fallback = await startReceiver(() => 200);
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('outage'),
      env: { DATABASE_URL: db.url, FALLBACK_WEBHOOK_URL: `${fallback.url}/fallback`, METRICS_TOKEN },
    });
    await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
    await platform.registry.createHome({ id: 'home-a', label: 'Fru Lund', teamId: 'team-a' });
    await platform.registry.provisionDevice({ id: 'button-a', homeId: 'home-a', kinds: ['alarm_button'] });
    await platform.registry.provisionDevice({ id: 'fall-a', homeId: 'home-a', kinds: ['fall'] });
    await platform.consent.change(
      'home-a',
      {
        category: 'emergency',
        purpose: 'alerts',
        action: 'grant',
        channel: 'web',
        textVersion: informationText('emergency', 'alerts').version,
      },
      { id: 'citizen', role: 'citizen', homeId: 'home-a' },
    );
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/users', {
      username: 'staff-a',
      displayName: 'Sosu Anna',
      role: 'staff',
      teamIds: ['team-a'],
      password: PASSWORD,
    });
    const staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', PASSWORD);
    live = staff.live();
    await live.opened;
  }, 120_000);

  afterAll(async () => {
    await live?.close();
    await platform?.close();
    await fallback?.close();
    await postgres?.resume().catch(() => undefined);
    await drop?.().catch(() => undefined);
    await postgres?.stop();
    dir.remove();
  });

  it('reaches the board and the fallback at once, and is stored once the database is back', async () => {
    expect(await readyz()).toBe(200);
    await postgres.pause();

    await press();
    // on the board at once, not stored (seq 0)
    const shown = await eventually(
      () => live.alerts().find((m) => m.event === 'opened' && m.alert?.rule === 'alarm_button'),
      { what: 'the alarm on the board' },
    );
    expect(shown.seq).toBe(0);
    const alertId = shown.alert!.id;
    // pressed again: counted on the same alert, no second one
    await press();
    expect(platform.alerts.unsavedCount()).toBe(1);

    // the platform says why it is degraded, and the load balancer hears it
    await eventually(
      () => {
        const last = live.messages.filter((m) => m.type === 'platform').at(-1);
        return last?.degraded?.includes('store_down') && last.degraded.includes('alerts_not_stored');
      },
      { what: 'store_down and alerts_not_stored on the board', timeoutMs: 10_000 },
    );
    expect(await readyz()).toBe(503);
    // critical, platform degraded: the fallback is told about this alert
    await eventually(() => fallback.received.some((r) => JSON.stringify(r.body).includes(alertId)), {
      what: 'the fallback notice',
      timeoutMs: 15_000,
    });

    // Longer than the lease's time to live (6 s) without the store: nobody can take the home over
    // through a store that does not answer, so this process still acts for it (a fall, raised)
    await new Promise((r) => setTimeout(r, 7000));
    const fall = Buffer.from(JSON.stringify({ kind: 'fall', value: 1, ts: Date.now(), seq: ++seq }));
    await platform.ingest.handleReadings('home-a', 'fall-a', fall);
    await eventually(
      () => live.alerts().some((m) => m.event === 'opened' && m.alert?.rule === 'fall' && m.seq === 0),
      { what: 'a fall raised after the lease ran out, while the store is down' },
    );

    await postgres.resume();
    // written once, with its own id and both presses, and the board hears the stored event
    const stored = await eventually(
      async () => (await platform.alerts.list({ limit: 10 }).catch(() => [])).find((a) => a.id === alertId),
      { what: 'the alert in the store', timeoutMs: 15_000 },
    );
    expect(stored).toMatchObject({ rule: 'alarm_button', state: 'open', repeats: 1 });
    expect((await platform.alerts.list({ limit: 10 })).filter((a) => a.rule === 'alarm_button')).toHaveLength(
      1,
    );
    await eventually(
      async () => (await platform.alerts.list({ limit: 10 })).filter((a) => a.rule === 'fall').length === 1,
      { what: 'the fall stored once', timeoutMs: 15_000 },
    );
    await eventually(() => live.alerts().some((m) => m.alert?.id === alertId && (m.seq ?? 0) > 0), {
      what: 'the stored event on the board',
    });
    // on PostgreSQL another connection can see a row committed before the writer has read the
    // commit's answer: the alert leaves the waiting list a moment after the list above shows it
    await eventually(() => platform.alerts.unsavedCount() === 0, { what: 'no alert left waiting' });
    await eventually(
      () => {
        const last = live.messages.filter((m) => m.type === 'platform').at(-1);
        return last?.degraded?.length === 0;
      },
      { what: 'healthy again', timeoutMs: 10_000 },
    );
    expect(await readyz()).toBe(200);
    // a press now is an ordinary repeat on the stored alert
    await press();
    await eventually(async () => (await platform.alerts.get(alertId))?.repeats === 2, {
      what: 'a third press',
    });
  }, 90_000);
});
