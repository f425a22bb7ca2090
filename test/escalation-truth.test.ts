import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import {
  type AlertCandidate,
  type AlertDelivery,
  deliveryChannels,
  informationText,
  type NotificationAttempt,
} from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient, type LiveClient, type LiveMessage } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { startReceiver } from './harness/receiver.ts';

type ViewedAlert = { id: string; escalationLevel: number; delivery: AlertDelivery };

const fall = (at: number): AlertCandidate => ({
  homeId: 'home-a',
  rule: 'fall',
  category: 'emergency',
  severity: 'critical',
  audience: 'care',
  at,
  evidence: { readings: [], summary: 'Fall detected' },
});

/**
 * Issue 7 item 11: what the board is told about escalation is what really happened. Each case
 * runs the whole platform with real notifiers (the log, webhooks to a real HTTP receiver) and
 * reads what staff get over REST and `/live`.
 */
describe('the board is told what escalation really did', () => {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const dirs: Array<{ remove(): void }> = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  async function platformWith(env: Record<string, string>, clock = new ManualClock()) {
    const dir = tempDir();
    dirs.push(dir);
    const platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('truth'),
      env,
      clock,
    });
    opened.push(platform);
    await platform.store.teams.create({ id: 'team-a', name: 'Team A' });
    await platform.registry.createHome({ id: 'home-a', label: 'Ellen, Skovvej 1', teamId: 'team-a' });
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
    const staff = await ApiClient.newStaff(admin, ['team-a']);
    return { platform, admin, staff, clock };
  }

  const live = async (client: ApiClient): Promise<LiveClient> => {
    const feed = client.live();
    opened.push(feed);
    await feed.opened;
    await eventually(() => feed.messages.some((m) => m.type === 'platform'), { what: 'the feed to start' });
    return feed;
  };

  const latest = (feed: LiveClient, alertId: string) =>
    feed
      .alerts()
      .filter((m: LiveMessage) => m.alert?.id === alertId)
      .at(-1)?.alert as unknown as ViewedAlert | undefined;

  const boardView = async (staff: ApiClient, alertId: string): Promise<ViewedAlert> => {
    const { alerts } = await staff.ok<{ alerts: ViewedAlert[] }>('GET', '/api/alerts');
    const alert = alerts.find((a) => a.id === alertId);
    if (!alert) throw new Error(`alert ${alertId} is not on the board`);
    return alert;
  };

  /** the outbox's tries again, on the injected clock (NOTIFY_BACKOFF_MS is 1 here) */
  const retries = async (platform: Platform, clock: ManualClock) => {
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      await platform.escalation.idle();
    }
  };

  const step = async (platform: Platform, clock: ManualClock, ms: number) => {
    clock.advance(ms);
    // the ticks the clock fired on the way first, then one at the time reached
    await platform.escalation.idle();
    await platform.escalation.tick();
    await platform.escalation.idle();
  };

  it('no fallback configured: the board hears it was only written to the log, live and over REST', async () => {
    const { platform, staff, clock } = await platformWith({});
    expect(platform.warnings.join(' ')).toContain('No fallback notifier is configured');
    // staff are watching, so the alert climbs by the clock: the whole team at 60 s, the fallback at 120 s
    const feed = await live(staff);
    await eventually(() => platform.dashboard.watchingTeams().has('team-a'));
    const alert = (await platform.alerts.raise(fall(clock.now())))!;
    await platform.escalation.idle();
    expect((await boardView(staff, alert.id)).delivery).toEqual({
      fallback: 'none',
      channels: [],
      undelivered: [],
    });

    await step(platform, clock, 60_000);
    // level 1 with no team webhook: the boards show it, nothing outside them was tried
    expect((await boardView(staff, alert.id)).delivery.channels).toEqual([]);

    await step(platform, clock, 60_000);
    const expected = {
      fallback: 'none',
      undelivered: [],
      channels: [
        {
          notifier: 'log',
          target: 'log',
          level: 2,
          notices: 1,
          attempts: 1,
          delivered: true,
          at: clock.now(),
          detail: null,
        },
      ],
    };
    const view = await boardView(staff, alert.id);
    expect(view.escalationLevel).toBe(2);
    expect(view.delivery).toEqual(expected);
    // the attempt's end reaches the open board as it happens
    const pushed = await eventually(() => {
      const a = latest(feed, alert.id);
      return a && a.delivery.channels.length > 0 && a;
    });
    expect(pushed.escalationLevel).toBe(2);
    expect(pushed.delivery).toEqual(expected);
  });

  it('a fallback webhook that answers: team and fallback are named as delivered, without their URLs', async () => {
    const fallback = await startReceiver();
    const team = await startReceiver();
    opened.push(fallback, team);
    const { platform, admin, staff, clock } = await platformWith({
      FALLBACK_WEBHOOK_URL: `${fallback.url}/secret-token-123`,
      TEAM_WEBHOOKS: JSON.stringify({ 'team-a': `${team.url}/team-token` }),
    });
    expect(platform.warnings).toEqual([]);
    // an administrator's board does not count as the team watching
    const feed = await live(admin);
    // nobody of the team is on the board: a critical alert goes to the team and the fallback at once
    const alert = (await platform.alerts.raise(fall(clock.now())))!;
    await platform.escalation.idle();
    expect(fallback.received).toHaveLength(1);
    expect(team.received).toHaveLength(1);
    const view = await boardView(staff, alert.id);
    expect(view.delivery.fallback).toBe('configured');
    expect(view.delivery.channels).toEqual([
      expect.objectContaining({
        notifier: 'webhook',
        target: 'team:team-a',
        level: 1,
        attempts: 1,
        delivered: true,
      }),
      expect.objectContaining({
        notifier: 'webhook',
        target: 'fallback',
        level: 2,
        attempts: 1,
        delivered: true,
      }),
    ]);
    expect(JSON.stringify(view)).not.toContain('token');
    const pushed = await eventually(() => {
      const a = latest(feed, alert.id);
      return a && a.delivery.channels.length === 2 && a;
    });
    expect(pushed.delivery).toEqual(view.delivery);
    expect(JSON.stringify(feed.messages)).not.toContain('token');
  });

  it('a fallback webhook answering 500: tried as often as configured, and said not delivered', async () => {
    const fallback = await startReceiver(() => 500);
    opened.push(fallback);
    const { platform, admin, staff, clock } = await platformWith({
      FALLBACK_WEBHOOK_URL: fallback.url,
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_BACKOFF_MS: '1',
    });
    const feed = await live(admin);
    const alert = (await platform.alerts.raise(fall(clock.now())))!;
    await platform.escalation.idle();
    await retries(platform, clock);
    expect(fallback.received).toHaveLength(3);
    const view = await boardView(staff, alert.id);
    expect(view.delivery).toEqual({
      fallback: 'configured',
      // given up by the outbox: the card says "Besked ikke leveret" at once
      undelivered: [
        expect.objectContaining({ notifier: 'webhook', target: 'fallback', givenUp: true, attempts: 3 }),
      ],
      channels: [
        expect.objectContaining({
          notifier: 'webhook',
          target: 'fallback',
          level: 2,
          notices: 1,
          attempts: 3,
          delivered: false,
          detail: 'HTTP 500',
        }),
      ],
    });
    // every attempt's end is pushed: the open board counts up to 3 while it happens, never down
    const counts = await eventually(() => {
      const seen = feed
        .alerts()
        .filter((m) => m.alert?.id === alert.id)
        .map((m) => (m.alert as unknown as ViewedAlert).delivery.channels[0]?.attempts ?? 0);
      return seen.at(-1) === 3 && seen;
    });
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(feed.alerts().filter((m) => m.event === 'notified' && m.alert?.id === alert.id)).toHaveLength(3);
  });

  it('a fallback receiver that is down: not delivered, with the connection refused', async () => {
    const gone = await startReceiver();
    await gone.close();
    const { platform, staff, clock } = await platformWith({
      FALLBACK_WEBHOOK_URL: gone.url,
      NOTIFY_MAX_ATTEMPTS: '2',
      NOTIFY_BACKOFF_MS: '1',
    });
    const alert = (await platform.alerts.raise(fall(clock.now())))!;
    await platform.escalation.idle();
    await retries(platform, clock);
    const view = await boardView(staff, alert.id);
    expect(view.delivery.channels).toEqual([
      expect.objectContaining({ target: 'fallback', attempts: 2, delivered: false, detail: 'ECONNREFUSED' }),
    ]);
  });
});

describe('deliveryChannels: the recorded attempts folded into what the card says', () => {
  const attempt = (
    n: Partial<NotificationAttempt> & Pick<NotificationAttempt, 'attempt' | 'result' | 'at'>,
  ): NotificationAttempt => ({
    id: n.at,
    alertId: 'a',
    notifier: 'sms',
    target: 'vagt',
    level: 2,
    detail: n.result === 'delivered' ? null : 'HTTP 503',
    ...n,
  });

  it('a reminder is a new notice: its own tries count, and an earlier delivery is not carried over', () => {
    const channels = deliveryChannels([
      attempt({ at: 1, attempt: 1, result: 'failed' }),
      attempt({ at: 2, attempt: 2, result: 'delivered' }),
      attempt({ at: 3, attempt: 1, result: 'failed', detail: 'timeout' }),
    ]);
    expect(channels).toEqual([
      {
        notifier: 'sms',
        target: 'vagt',
        level: 2,
        notices: 2,
        attempts: 1,
        delivered: false,
        at: 3,
        detail: 'timeout',
      },
    ]);
  });

  it('one line per notifier, name and level, lowest level first', () => {
    const channels = deliveryChannels([
      attempt({ at: 5, attempt: 1, result: 'delivered', notifier: 'webhook', target: 'fallback' }),
      attempt({ at: 5, attempt: 1, result: 'delivered' }),
      attempt({ at: 4, attempt: 1, result: 'delivered', notifier: 'webhook', target: 'team:a', level: 1 }),
    ]);
    expect(channels.map((c) => [c.level, c.notifier, c.target, c.delivered])).toEqual([
      [1, 'webhook', 'team:a', true],
      [2, 'webhook', 'fallback', true],
      [2, 'sms', 'vagt', true],
    ]);
  });
});
