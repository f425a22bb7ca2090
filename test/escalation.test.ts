import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { careRecordNotice } from '../services/care-record/index.ts';
import type { AlertCandidate, Severity } from '../services/domain/index.ts';
import { EscalationService } from '../services/escalation/index.ts';
import { PlatformHealth } from '../services/health/index.ts';
import { type RetryPolicy, WebhookNotifier } from '../services/notify/index.ts';
import type { NoticeOutbox } from '../services/outbox/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { servicesFixture } from './harness/services.ts';
import { ENGINES } from './harness/store.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

const SECOND = 1000;
/** one try per call: the outbox tries again (3 in all, 5 then 10 ms apart with no jitter) */
const retry: RetryPolicy = { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 2000 };
const outboxRetry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
const staff = { id: 'u-anna', role: 'staff' };

/**
 * Escalation on real SQLite with a manual clock, telling real HTTP receivers: one for the team's
 * webhook (level 1), one for the fallback (level 2), one for technicians.
 */
describe.each(ENGINES)('escalation: never silent (%s)', (engine) => {
  let f: Fixture;
  let fallback: Receiver;
  let team: Receiver;
  let technician: Receiver;
  let escalation: EscalationService;
  let outbox: NoticeOutbox;
  let health: PlatformHealth;
  let watching: Set<string>;
  let degraded: boolean;
  let t0: number;

  const candidate = (
    severity: Severity = 'critical',
    extra: Partial<AlertCandidate> = {},
  ): AlertCandidate => ({
    homeId: 'h',
    rule: severity === 'critical' ? 'fall' : 'inactivity',
    category: severity === 'critical' ? 'emergency' : 'activity',
    severity,
    audience: 'care',
    at: f.clock.now(),
    evidence: { readings: [], summary: 'test' },
    ...extra,
  });

  /** sets the clock to t0 + ms, ticks, and waits for every send to finish */
  const at = async (ms: number) => {
    f.clock.set(t0 + ms);
    await escalation.tick();
    await escalation.idle();
  };

  const start = async (options: { renotifyMinMs?: number; tickIntervalMs?: number } = {}) => {
    outbox = testOutbox(f, outboxRetry);
    await outbox.start();
    escalation = new EscalationService({
      outbox,
      alerts: f.alerts,
      store: f.store,
      events: f.events,
      registry: f.registry,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      deadlines: { critical: 60 * SECOND, high: 180 * SECOND, medium: 900 * SECOND, low: null },
      renotifyMinMs: options.renotifyMinMs ?? 60 * SECOND,
      notifiers: {
        fallback: [
          new WebhookNotifier({ target: 'fallback', url: fallback.url, retry, logger: silentLogger() }),
        ],
        team: (teamId) =>
          teamId === 't'
            ? [new WebhookNotifier({ target: 'team:t', url: team.url, retry, logger: silentLogger() })]
            : [],
        technician: [
          new WebhookNotifier({ target: 'technician', url: technician.url, retry, logger: silentLogger() }),
        ],
      },
      watchingTeams: () => watching,
      health,
      link: (id) => `https://tryghed.example/?alert=${id}`,
    });
    await escalation.start(options.tickIntervalMs);
  };

  const raise = async (c: AlertCandidate) => {
    const alert = await f.alerts.raise(c);
    await escalation.idle();
    return alert!;
  };

  beforeEach(async () => {
    f = await servicesFixture(undefined, { engine });
    await f.registry.createHome({ id: 'h', label: 'Fru Jensen, Vestergade 3', teamId: 't' });
    await f.setConsent('h', 'emergency', 'alerts');
    await f.setConsent('h', 'activity', 'alerts');
    t0 = f.clock.now();
    [fallback, team, technician] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    watching = new Set(['t']);
    degraded = false;
    health = new PlatformHealth(silentLogger(), f.metrics, f.events);
    health.addCheck('readings_not_stored', () => degraded);
    health.evaluate();
  });

  afterEach(async () => {
    await escalation?.stop();
    await outbox?.stop();
    await Promise.all([fallback.close(), team.close(), technician.close()]);
    await f.close();
  });

  it('its own tick runs on the injected clock: time passing escalates without anyone calling tick()', async () => {
    await start({ tickIntervalMs: 1000 });
    const alert = await raise(candidate('critical'));
    await f.clock.advanceAsync(59_000);
    await escalation.idle();
    expect(team.received).toHaveLength(0);
    await f.clock.advanceAsync(1_000);
    await escalation.idle();
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(1);
    expect(team.received.map((r) => r.body.level)).toEqual([1]);
    // stopped, its timer is gone from the clock
    const timers = f.clock.pending;
    await escalation.stop();
    expect(f.clock.pending).toBe(timers - 1);
  });

  it('goes to the whole team at the deadline and to the fallback a deadline later, not before', async () => {
    await start();
    const alert = await raise(candidate('critical'));
    await at(59_999);
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(0);
    expect(team.received).toHaveLength(0);

    await at(60_000);
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(1);
    expect(team.received).toHaveLength(1);
    expect(team.received[0]?.body).toMatchObject({ alertId: alert.id, level: 1, reason: 'unacknowledged' });
    expect(team.received[0]?.body.text).toBe(
      `Alarm (kritisk): fald i hjem h, ikke kvitteret efter 60 s. Eskaleret til hele teamet. Se https://tryghed.example/?alert=${alert.id}`,
    );
    expect(team.received[0]?.body.textEn).toMatch(
      /^Alert \(critical\): fall in home h, not acknowledged after 60 s/,
    );
    expect(fallback.received).toHaveLength(0);

    await at(119_999);
    expect(fallback.received).toHaveLength(0);
    await at(120_000);
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(2);
    expect(fallback.received).toHaveLength(1);
    const body = fallback.received[0]!.body;
    expect(body).toMatchObject({
      alertId: alert.id,
      homeId: 'h',
      rule: 'fall',
      level: 2,
      severity: 'critical',
    });
    // Danish first, with a link; the home's label (personal data) never leaves the dashboard
    expect(body.text).toMatch(/^Alarm \(kritisk\): fald i hjem h, ikke kvitteret efter 2 min\. Se /);
    expect(body.text).toContain(`https://tryghed.example/?alert=${alert.id}`);
    expect(JSON.stringify(body)).not.toContain('Jensen');
    // a high alert runs on its own, longer deadline
    const high = await raise(candidate('high'));
    await at(120_000 + 179_999);
    expect((await f.alerts.get(high.id))?.escalationLevel).toBe(0);
    await at(120_000 + 180_000);
    expect((await f.alerts.get(high.id))?.escalationLevel).toBe(1);
  });

  it('reminds the fallback every deadline until someone acknowledges, then stops', async () => {
    await start();
    const alert = await raise(candidate('critical'));
    await at(60_000);
    await at(120_000);
    expect(fallback.received).toHaveLength(1);
    for (const [i, ms] of [180_000, 240_000, 300_000].entries()) {
      await at(ms - 1);
      expect(fallback.received).toHaveLength(1 + i);
      await at(ms);
      expect(fallback.received).toHaveLength(2 + i);
      expect(fallback.received.at(-1)?.body).toMatchObject({ level: 2, reminder: i + 1 });
    }
    await f.alerts.acknowledge(alert.id, staff);
    for (const ms of [360_000, 420_000, 3_600_000]) await at(ms);
    expect(fallback.received).toHaveLength(4);
    expect(escalation.armedAlerts()).toEqual([]);
  });

  it("a page sent by another process's outbox does not hold back the reminders", async () => {
    await start();
    // this process's outbox sends nothing: another process (same store) claims and sends the pages,
    // as any process of a cluster may
    await outbox.stop();
    const other = testOutbox(f, outboxRetry, { owner: 'the-other-process' });
    const sender = new WebhookNotifier({
      target: 'fallback',
      url: fallback.url,
      retry,
      logger: silentLogger(),
    });
    other.registerChannel('webhook:fallback', (job) =>
      sender.send(job.payload as never, { signal: job.signal, idempotencyKey: job.idempotencyKey }),
    );
    const alert = await raise(candidate('critical'));
    await at(60_000);
    await at(120_000);
    await other.dispatch();
    expect(fallback.received).toHaveLength(1);
    for (const [i, ms] of [180_000, 240_000].entries()) {
      await at(ms);
      await other.dispatch();
      expect(fallback.received).toHaveLength(2 + i);
      expect(fallback.received.at(-1)?.body).toMatchObject({ alertId: alert.id, level: 2, reminder: i + 1 });
    }
    await other.stop();
  });

  it('no reminder while the last page to the fallback still waits in the outbox', async () => {
    await start();
    await outbox.stop();
    const alert = await raise(candidate('critical'));
    await at(60_000);
    await at(120_000);
    await at(180_000);
    await at(240_000);
    // one page waits (nobody sends it); no reminders pile up behind it
    const waiting = (await outbox.notDelivered(alert.id)).filter((r) => r.channel === 'webhook:fallback');
    expect(waiting.map((r) => r.state)).toEqual(['pending']);
  });

  it('an alarm pressed again after acknowledgement is open again and escalates anew', async () => {
    await start();
    const alert = await raise(candidate('critical', { rule: 'alarm_button' }));
    await at(10_000);
    await f.alerts.acknowledge(alert.id, staff);
    await at(600_000);
    expect(team.received).toHaveLength(0);
    // the citizen presses again: nobody came
    await raise(candidate('critical', { rule: 'alarm_button', at: f.clock.now() }));
    expect(await f.alerts.get(alert.id)).toMatchObject({ state: 'open', repeats: 1, acknowledgedBy: null });
    await at(659_999);
    expect(team.received).toHaveLength(0);
    await at(660_000);
    expect(team.received).toHaveLength(1);
    await at(720_000);
    expect(fallback.received).toHaveLength(1);
    // a repeat of an acknowledged alert that is not critical stays with whoever took it
    const high = await raise(candidate('high'));
    await f.alerts.acknowledge(high.id, staff);
    await raise(candidate('high', { at: f.clock.now() }));
    expect(await f.alerts.get(high.id)).toMatchObject({ state: 'acknowledged', repeats: 1 });
  });

  it('an alert taken on before its first deadline writes nothing of its escalation to the store', async () => {
    await start();
    const cancel = vi.spyOn(outbox, 'cancelForAlert');
    const alert = await raise(candidate('critical', { rule: 'alarm_button' }));
    // its first deadline is what a restart works out from the alert itself: not written
    expect(await f.store.escalationDeadlines.all()).toEqual([]);
    await at(10_000);
    await f.alerts.acknowledge(alert.id, staff);
    await escalation.idle();
    // nothing was paged, so there is nothing to cancel
    expect(cancel).not.toHaveBeenCalled();
    expect(await f.store.escalationDeadlines.all()).toEqual([]);
    // still never silent: pressed again, it is armed again and kept (it counts from the repeat)
    await raise(candidate('critical', { rule: 'alarm_button', at: f.clock.now() }));
    expect(await f.store.escalationDeadlines.all()).toMatchObject([
      { alertId: alert.id, dueAt: t0 + 70_000 },
    ]);
    await at(70_000);
    expect(team.received).toHaveLength(1);
    await f.alerts.resolve(alert.id, staff, { outcome: 'false_alarm', note: '' });
    await escalation.idle();
    // paged now: its pages still waiting are cancelled, and its kept deadline is gone
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(await f.store.escalationDeadlines.all()).toEqual([]);
  });

  it('after a restart, an alarm open again after acknowledgement still counts from its repeat', async () => {
    await start();
    const alert = await raise(candidate('critical', { rule: 'alarm_button' }));
    await at(10_000);
    await f.alerts.acknowledge(alert.id, staff);
    await at(600_000);
    await raise(candidate('critical', { rule: 'alarm_button', at: f.clock.now() }));
    // the platform restarts before the repeat's deadline; the alert says it opened at 0
    await escalation.stop();
    await outbox.stop();
    f.clock.set(t0 + 610_000);
    await start();
    await at(659_999);
    expect(team.received).toHaveLength(0);
    await at(660_000);
    expect(team.received).toHaveLength(1);
  });

  it('after a restart, handling an alert cancels the pages it had waiting from before', async () => {
    await fallback.close();
    fallback = await startReceiver(() => 503);
    watching = new Set(['another-team']);
    await start();
    const alert = await raise(candidate('critical'));
    const page = (await outbox.notDelivered(alert.id)).find((r) => r.channel === 'webhook:fallback');
    expect(page).toMatchObject({ state: 'pending', alertId: alert.id });
    await escalation.stop();
    await outbox.stop();
    await start();
    await f.alerts.resolve(alert.id, staff, { outcome: 'real_incident', note: '' });
    await escalation.idle();
    expect((await outbox.byKey(page!.idempotencyKey))?.state).toBe('cancelled');
  });

  it('caps how often the fallback is reminded, but keeps reminding', async () => {
    await start({ renotifyMinMs: 150 * SECOND });
    await raise(candidate('critical'));
    await at(60_000);
    await at(120_000);
    await at(269_999);
    expect(fallback.received).toHaveLength(1);
    await at(270_000);
    await at(420_000);
    await at(570_000);
    expect(fallback.received).toHaveLength(4);
  });

  it('acknowledging before the deadline stops escalation; resolving stops it at the fallback', async () => {
    await start();
    const first = await raise(candidate('critical'));
    await at(30_000);
    await f.alerts.acknowledge(first.id, staff);
    await at(60_000);
    await at(600_000);
    expect((await f.alerts.get(first.id))?.escalationLevel).toBe(0);
    expect(team.received).toHaveLength(0);
    expect(fallback.received).toHaveLength(0);

    const second = await raise(candidate('critical', { rule: 'alarm_button' }));
    await at(660_000);
    await at(720_000);
    expect(fallback.received).toHaveLength(1);
    await f.alerts.resolve(second.id, staff, { outcome: 'false_alarm', note: '' });
    await at(780_000);
    await at(1_800_000);
    expect(fallback.received).toHaveLength(1);
  });

  it('handling an alert cancels its pages still waiting, never its care-record notice', async () => {
    await fallback.close();
    fallback = await startReceiver(() => 503);
    watching = new Set(['another-team']);
    await start();
    // the care-record endpoint is down too: its notice waits in the outbox like the page does
    outbox.registerChannel('care-record', async () => ({
      delivered: false,
      attempts: 1,
      detail: 'HTTP 503',
    }));
    const alert = await raise(candidate('critical'));
    const page = (await outbox.notDelivered(alert.id)).find((r) => r.channel === 'webhook:fallback');
    expect(page).toMatchObject({ state: 'pending', alertId: alert.id });
    // heard by another process first: the care-record notice is in the outbox before this one disarms
    const notice = careRecordNotice(
      { seq: 1, type: 'resolved', alert: { ...alert, state: 'resolved' } },
      { mayShare: () => true },
    );
    expect(notice).toMatchObject({ alertId: alert.id });
    await outbox.enqueue(notice!);
    await escalation.idle();
    await f.alerts.resolve(alert.id, staff, { outcome: 'real_incident', note: '' });
    await escalation.idle();
    expect((await outbox.byKey(page!.idempotencyKey))?.state).toBe('cancelled');
    expect(await outbox.byKey(`care-record:${alert.id}`)).toMatchObject({
      state: 'pending',
      alertId: alert.id,
    });
    // and it still shows under the alert as not delivered
    expect((await outbox.notDelivered(alert.id)).map((r) => r.channel)).toEqual(['care-record']);
  });

  it('sends a critical alert to the fallback at once when nobody of its team is watching', async () => {
    watching = new Set(['another-team']);
    await start();
    const alert = await raise(candidate('critical'));
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(2);
    expect(fallback.received).toHaveLength(1);
    expect(fallback.received[0]?.body).toMatchObject({ alertId: alert.id, level: 2, reason: 'unwatched' });
    expect(String(fallback.received[0]?.body.text)).toContain('ingen fra teamet er logget på alarmtavlen');
    // the team's own channel is told as well: its screens are empty
    expect(team.received).toHaveLength(1);
    // a high alert waits for its deadline even so
    const high = await raise(candidate('high'));
    expect((await f.alerts.get(high.id))?.escalationLevel).toBe(0);
    // and the critical one is reminded a deadline later
    await at(59_999);
    expect(fallback.received).toHaveLength(1);
    await at(60_000);
    expect(fallback.received).toHaveLength(2);
  });

  it('sends a critical alert to the fallback as soon as its team stops watching', async () => {
    await start();
    const alert = await raise(candidate('critical'));
    await at(10_000);
    expect(fallback.received).toHaveLength(0);
    watching = new Set();
    await at(11_000);
    expect(fallback.received).toHaveLength(1);
    expect(fallback.received[0]?.body).toMatchObject({ alertId: alert.id, reason: 'unwatched' });
  });

  it('sends a critical alert to the fallback at once while the platform is degraded', async () => {
    await start();
    degraded = true;
    health.evaluate();
    const alert = await raise(candidate('critical'));
    expect(fallback.received).toHaveLength(1);
    expect(fallback.received[0]?.body).toMatchObject({
      alertId: alert.id,
      reason: 'degraded',
      degraded: ['readings_not_stored'],
    });
    expect(String(fallback.received[0]?.body.text)).toContain('målinger gemmes ikke');
  });

  it('sends open critical alerts to the fallback the moment the platform becomes degraded', async () => {
    await start();
    const alert = await raise(candidate('critical'));
    const high = await raise(candidate('high'));
    expect(fallback.received).toHaveLength(0);
    degraded = true;
    health.evaluate(); // no tick: the change itself sends
    await escalation.idle();
    expect(fallback.received.map((r) => r.body.alertId)).toEqual([alert.id]);
    expect((await f.alerts.get(high.id))?.escalationLevel).toBe(0);
  });

  it('never lets a test alert reach a receiver, whatever happens', async () => {
    watching = new Set();
    degraded = true;
    health.evaluate();
    await start();
    const alert = await raise(candidate('critical', { test: true }));
    for (const ms of [60_000, 120_000, 180_000, 3_600_000]) await at(ms);
    expect(alert.test).toBe(true);
    expect((await f.alerts.get(alert.id))?.escalationLevel).toBe(0);
    expect(await f.alerts.notifications(alert.id)).toEqual([]);
    expect([...fallback.received, ...team.received, ...technician.received]).toEqual([]);
  });

  it('sends technical alerts to technicians only, once', async () => {
    watching = new Set();
    await start();
    const alert = await raise(
      candidate('high', { rule: 'device_offline', category: 'technical', audience: 'technical' }),
    );
    for (const ms of [180_000, 360_000, 3_600_000]) await at(ms);
    expect(technician.received.map((r) => r.body.alertId)).toEqual([alert.id]);
    expect(technician.received[0]?.body).toMatchObject({ reason: 'technical', level: 0 });
    expect([...fallback.received, ...team.received]).toEqual([]);
  });

  it('records every attempt on the alert, delivered or not', async () => {
    await fallback.close();
    let n = 0;
    fallback = await startReceiver(() => (++n <= 2 ? 503 : 200));
    watching = new Set();
    await start();
    const alert = await raise(candidate('critical'));
    // the outbox tries again on the injected clock: 5 ms, then 10 ms later (backoff, no jitter)
    expect(fallback.received).toHaveLength(1);
    f.clock.set(f.clock.now() + 4);
    await escalation.idle();
    expect(fallback.received).toHaveLength(1);
    await f.clock.advanceAsync(1);
    await escalation.idle();
    expect(fallback.received).toHaveLength(2);
    await f.clock.advanceAsync(10);
    await escalation.idle();
    expect(fallback.received).toHaveLength(3);
    // every try carries the notice's one key, so a receiver can drop repeats
    const keys = new Set(fallback.received.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(new RegExp(`^${alert.id}:`));
    const attempts = await f.alerts.notifications(alert.id);
    const toFallback = attempts.filter((a) => a.target === 'fallback');
    expect(toFallback.map((a) => [a.notifier, a.level, a.attempt, a.result, a.detail])).toEqual([
      ['webhook', 2, 1, 'failed', 'HTTP 503'],
      ['webhook', 2, 2, 'failed', 'HTTP 503'],
      ['webhook', 2, 3, 'delivered', 'HTTP 200'],
    ]);
    expect(attempts.filter((a) => a.target === 'team:t').map((a) => a.result)).toEqual(['delivered']);
  });

  it('records a notifier that throws as a failed attempt, so the board never shows it as on its way', async () => {
    watching = new Set();
    outbox = testOutbox(f, outboxRetry);
    await outbox.start();
    escalation = new EscalationService({
      outbox,
      alerts: f.alerts,
      store: f.store,
      events: f.events,
      registry: f.registry,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      deadlines: { critical: 60 * SECOND, high: null, medium: null, low: null },
      renotifyMinMs: 60 * SECOND,
      notifiers: {
        fallback: [
          {
            kind: 'sms',
            target: 'vagt',
            send: () => Promise.reject(new Error('gateway client bug')),
          },
        ],
        team: () => [],
        technician: [],
      },
      watchingTeams: () => watching,
      health,
      link: (id) => `https://tryghed.example/?alert=${id}`,
    });
    await escalation.start();
    const alert = await raise(candidate('critical'));
    const attempts = await f.alerts.notifications(alert.id);
    expect(attempts.map((a) => [a.notifier, a.target, a.level, a.attempt, a.result, a.detail])).toEqual([
      ['sms', 'vagt', 2, 1, 'failed', 'notifier_error'],
    ]);
  });
});
