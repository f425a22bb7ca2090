import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EscalationService } from '../services/escalation/index.ts';
import { PlatformHealth } from '../services/health/index.ts';
import {
  type AlertNotice,
  type DeliveryAttempt,
  LogNotifier,
  type RetryDeps,
  type RetryPolicy,
  realRetryDeps,
  SmsNotifier,
  WebhookNotifier,
} from '../services/notify/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { servicesFixture } from './harness/services.ts';

const notice: AlertNotice = {
  alertId: 'a-1',
  homeId: 'home-7',
  rule: 'alarm_button',
  severity: 'critical',
  level: 2,
  openedAt: Date.UTC(2026, 0, 5, 9, 0, 0),
  at: Date.UTC(2026, 0, 5, 9, 2, 0),
  reason: { kind: 'unacknowledged' },
  reminder: 0,
  link: 'https://tryghed.example/?alert=a-1',
};

/** real waits, each one recorded, so a test can check the backoff it asked for */
function recordingDeps(random = Math.random): RetryDeps & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    random,
    sleep: (ms, signal) => {
      waits.push(ms);
      return realRetryDeps.sleep(ms, signal);
    },
  };
}

/** pino writing JSON lines into an array */
function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe('notifiers over real HTTP', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('webhook: retries with exponential backoff and jitter until the receiver answers 200', async () => {
    receiver = await startReceiver((n) => (n <= 2 ? 503 : 200));
    const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 40, maxDelayMs: 1000, timeoutMs: 2000 };
    const deps = recordingDeps();
    const attempts: DeliveryAttempt[] = [];
    const result = await new WebhookNotifier({
      target: 'fallback',
      url: `${receiver.url}/hook`,
      retry: policy,
      logger: silentLogger(),
      deps,
    }).send(notice, { onAttempt: (a) => void attempts.push(a) });

    expect(result).toEqual({ delivered: true, attempts: 3, detail: 'HTTP 200' });
    expect(attempts).toEqual([
      { attempt: 1, result: 'failed', detail: 'HTTP 503' },
      { attempt: 2, result: 'failed', detail: 'HTTP 503' },
      { attempt: 3, result: 'delivered', detail: 'HTTP 200' },
    ]);
    // equal jitter: the n-th wait lies in [step/2, step] with step = 40 ms · 2^(n-1)
    expect(deps.waits).toHaveLength(2);
    expect(deps.waits[0]).toBeGreaterThanOrEqual(20);
    expect(deps.waits[0]).toBeLessThanOrEqual(40);
    expect(deps.waits[1]).toBeGreaterThanOrEqual(40);
    expect(deps.waits[1]).toBeLessThanOrEqual(80);
    // and the receiver really saw the gaps (timers fire late, never early; 2 ms for clock granularity)
    const [r1, r2, r3] = receiver.received;
    expect(r2!.at - r1!.at).toBeGreaterThanOrEqual(deps.waits[0]! - 2);
    expect(r3!.at - r2!.at).toBeGreaterThanOrEqual(deps.waits[1]! - 2);
    expect(r1!.path).toBe('/hook');
    expect(r1!.headers['content-type']).toBe('application/json');
    expect(r1!.body).toMatchObject({
      type: 'tryghed.alert',
      alertId: 'a-1',
      homeId: 'home-7',
      rule: 'alarm_button',
      level: 2,
      link: notice.link,
    });
    expect(r1!.body.text).toBe(
      'Alarm (kritisk): alarmknap trykket i hjem home-7, ikke kvitteret efter 2 min. Se https://tryghed.example/?alert=a-1',
    );
  });

  it('webhook: a 4xx other than 408/429 fails at once; 408 and 429 are retried; it gives up at max attempts', async () => {
    const fast: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000 };
    receiver = await startReceiver(() => 400);
    const refused = await new WebhookNotifier({
      target: 'fallback',
      url: receiver.url,
      retry: fast,
      logger: silentLogger(),
    }).send(notice);
    // final: another try cannot help, so the outbox gives the notice up at once
    expect(refused).toEqual({ delivered: false, attempts: 1, detail: 'HTTP 400', final: true });
    expect(receiver.received).toHaveLength(1);
    await receiver.close();

    receiver = await startReceiver((n) => [408, 429, 200][n - 1] ?? 500);
    const retried = await new WebhookNotifier({
      target: 'fallback',
      url: receiver.url,
      retry: fast,
      logger: silentLogger(),
    }).send(notice);
    expect(retried).toEqual({ delivered: true, attempts: 3, detail: 'HTTP 200' });
    await receiver.close();

    receiver = await startReceiver(() => 500);
    const exhausted = await new WebhookNotifier({
      target: 'fallback',
      url: receiver.url,
      retry: fast,
      logger: silentLogger(),
    }).send(notice);
    expect(exhausted).toEqual({ delivered: false, attempts: 4, detail: 'HTTP 500' });
    expect(receiver.received).toHaveLength(4);
  });

  it('webhook: a receiver that never answers is a timeout; nobody listening is a connection error', async () => {
    receiver = await startReceiver(() => 0);
    const policy: RetryPolicy = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 100 };
    const attempts: DeliveryAttempt[] = [];
    const hung = await new WebhookNotifier({
      target: 'fallback',
      url: receiver.url,
      retry: policy,
      logger: silentLogger(),
    }).send(notice, { onAttempt: (a) => void attempts.push(a) });
    expect(hung).toEqual({ delivered: false, attempts: 2, detail: 'timeout' });
    expect(attempts.map((a) => a.detail)).toEqual(['timeout', 'timeout']);
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    const gone = await new WebhookNotifier({
      target: 'fallback',
      url,
      retry: policy,
      logger: silentLogger(),
    }).send(notice);
    expect(gone).toMatchObject({ delivered: false, attempts: 2, detail: 'ECONNREFUSED' });
  });

  it('log: writes ids and the Danish text, and counts as delivered', async () => {
    const { logger, lines } = capturedLogger();
    const result = await new LogNotifier(logger).send(notice);
    expect(result.delivered).toBe(true);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ alertId: 'a-1', homeId: 'home-7', level: 2, target: 'log' });
    expect(entry.msg).toContain('alarmknap trykket i hjem home-7');
  });
});

describe('SMS gateway adapter through escalation', () => {
  it('posts {to, text} with the bearer token, records attempts by name and never logs the number', async () => {
    const gateway = await startReceiver((n) => (n === 1 ? 502 : 200));
    const f = await servicesFixture();
    const { logger, lines } = capturedLogger();
    const number = '+4512345678';
    const retry: RetryPolicy = { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };
    const outbox = testOutbox(f, { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 });
    await outbox.start();
    const escalation = new EscalationService({
      outbox,
      alerts: f.alerts,
      events: f.events,
      registry: f.registry,
      clock: f.clock,
      logger: logger.child({ part: 'escalation' }),
      metrics: f.metrics,
      deadlines: { critical: 60_000, high: null, medium: null, low: null },
      renotifyMinMs: 60_000,
      notifiers: {
        fallback: [
          new SmsNotifier({
            target: 'vagttelefon',
            to: number,
            gatewayUrl: `${gateway.url}/send`,
            token: 'gateway-token-1',
            retry,
            logger: logger.child({ part: 'notify' }),
          }),
        ],
        team: () => [],
        technician: [],
      },
      watchingTeams: () => new Set(),
      health: new PlatformHealth(silentLogger(), f.metrics, f.events),
      link: (id) => `https://tryghed.example/?alert=${id}`,
    });
    try {
      await escalation.start();
      await f.registry.createHome({ id: 'home-9', label: 'Hr. Hansen', teamId: 't' });
      await f.setConsent('home-9', 'emergency', 'alerts');
      const alert = (await f.alerts.raise({
        homeId: 'home-9',
        rule: 'fall',
        category: 'emergency',
        severity: 'critical',
        audience: 'care',
        at: f.clock.now(),
        evidence: { readings: [], summary: 'Fall detected' },
      }))!;
      await escalation.idle();
      // the outbox's second try, on the injected clock
      await f.clock.advanceAsync(5);
      await escalation.idle();

      expect(gateway.received).toHaveLength(2);
      for (const r of gateway.received) {
        expect(r.path).toBe('/send');
        expect(r.headers.authorization).toBe('Bearer gateway-token-1');
        expect(Object.keys(r.body).sort()).toEqual(['text', 'to']);
        expect(r.body.to).toBe(number);
      }
      const text = String(gateway.received[0]!.body.text);
      expect(text.startsWith('Alarm (kritisk): fald i hjem home-9')).toBe(true);
      expect(text).toContain('\nAlert (critical): fall in home home-9');
      expect(text).toContain(`https://tryghed.example/?alert=${alert.id}`);
      expect(text).not.toContain('Hansen');

      const attempts = await f.alerts.notifications(alert.id);
      expect(attempts.map((a) => [a.notifier, a.target, a.attempt, a.result, a.detail])).toEqual([
        ['sms', 'vagttelefon', 1, 'failed', 'HTTP 502'],
        ['sms', 'vagttelefon', 2, 'delivered', 'HTTP 200'],
      ]);

      const log = lines.join('\n');
      expect(log).toContain('vagttelefon');
      expect(log).toContain('notification delivered');
      expect(log).not.toContain('12345678');
      expect(log).not.toContain('gateway-token-1');
      expect(log).not.toContain('Hansen');
    } finally {
      await escalation.stop();
      await outbox.stop();
      await gateway.close();
      await f.close();
    }
  });
});
