import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText } from '../services/domain/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase, type LocalPostgres, startPostgres } from './harness/postgres.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';

const PASSWORD = 'staff-password-1';

/**
 * A care worker presses "Kvittér" or "Afslut" while PostgreSQL does not answer (a private server,
 * stopped and started again on the same data and port). The answer says plainly that nothing was
 * saved (503 `store_down`, worded on the card as "Kunne ikke gemmes – prøv igen"), the alert is not
 * acknowledged anywhere, and its escalation goes on. Once the database is back, the same press works.
 */
describe('acknowledging or resolving while the store is down', () => {
  const dir = tempDir();
  let postgres: LocalPostgres;
  let drop: () => Promise<void>;
  let platform: Platform;
  let fallback: Receiver;
  let staff: ApiClient;
  let live: LiveClient;

  beforeAll(async () => {
    postgres = await startPostgres();
    const db = await createPostgresDatabase(postgres.adminUrl, 'handling_outage');
    drop = db.drop;
    fallback = await startReceiver(() => 200);
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('handling_outage'),
      env: { DATABASE_URL: db.url, FALLBACK_WEBHOOK_URL: `${fallback.url}/fallback` },
    });
    await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
    await platform.registry.createHome({ id: 'home-a', label: 'Fru Lund', teamId: 'team-a' });
    await platform.registry.provisionDevice({ id: 'button-a', homeId: 'home-a', kinds: ['alarm_button'] });
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
    staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', PASSWORD);
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

  it('says "not saved", shows nothing as done, and keeps escalating; the same press works once it is back', async () => {
    const payload = Buffer.from(JSON.stringify({ kind: 'alarm_button', value: 1, ts: Date.now(), seq: 1 }));
    await platform.ingest.handleReadings('home-a', 'button-a', payload);
    const stored = await eventually(
      () =>
        live
          .alerts()
          .find((m) => m.event === 'opened' && (m.seq ?? 0) > 0 && m.alert?.rule === 'alarm_button'),
      { what: 'the stored alarm on the board' },
    );
    const alertId = stored.alert!.id;
    await eventually(() => platform.escalation.armedAlerts().some((a) => a.id === alertId), {
      what: 'the alarm being escalated',
    });

    await postgres.pause();
    const ack = await staff.request('POST', `/api/alerts/${alertId}/acknowledge`, {});
    expect(ack.status).toBe(503);
    expect(ack.body).toMatchObject({ error: 'unavailable', reason: 'store_down' });
    expect(JSON.stringify(ack.body)).toMatch(/nothing was changed/);
    const res = await staff.request('POST', `/api/alerts/${alertId}/resolve`, {
      outcome: 'false_alarm',
      note: '',
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'unavailable', reason: 'store_down' });
    const step = await staff.request('POST', `/api/alerts/${alertId}/en-route`, {});
    expect(step.body).toMatchObject({ error: 'unavailable', reason: 'store_down' });

    // nothing says it was taken on, and the escalation still runs
    const handled = (m: { alert?: { id: string; state: string } }) =>
      m.alert?.id === alertId && m.alert.state !== 'open';
    expect(live.alerts().filter(handled)).toEqual([]);
    expect(platform.escalation.armedAlerts().map((a) => a.id)).toContain(alertId);

    await postgres.resume();
    const taken = await eventually(
      async () => {
        const again = await staff.request('POST', `/api/alerts/${alertId}/acknowledge`, {});
        return again.status === 200 && (again.body as { alert: { state: string } }).alert;
      },
      { what: 'the acknowledgement once the database is back', timeoutMs: 20_000 },
    );
    expect(taken).toMatchObject({ state: 'acknowledged', acknowledgedByName: 'Sosu Anna' });
    await eventually(() => !platform.escalation.armedAlerts().some((a) => a.id === alertId), {
      what: 'escalation stopped by the acknowledgement',
    });
  }, 90_000);
});
