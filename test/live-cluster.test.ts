import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type AlertCandidate, informationText } from '../services/domain/index.ts';
import { markOrigin } from '../services/events/index.ts';
import { ApiClient, LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * Two dashboards on one PostgreSQL and one Redis, as two replicas behind a load balancer: a staff
 * member's board gets every alert event of their teams whichever process raised it and whichever
 * process their socket lands on, in seq order and each once; after a reconnect to the other
 * process it resumes from its last seq without missing or repeating an event.
 */
describe('stateless dashboards: one board, any process', () => {
  const dirs = [tempDir(), tempDir()];
  const homes = ['h1', 'h2', 'h3', 'h4'];
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let a: Platform;
  let b: Platform;
  let staff: ApiClient;
  const feeds: LiveClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'live');
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
      METRICS_TOKEN: 'operator-token-0123456789',
    };
    a = await startTestPlatform({ dataDir: dirs[0]!.path, database: uniqueDatabase('live'), env });
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database: uniqueDatabase('live'), env });
    await a.store.teams.create({ id: 't', name: 'T' });
    for (const id of homes) {
      await a.registry.createHome({ id, label: id.toUpperCase(), teamId: 't' });
      await a.consent.change(
        id,
        {
          category: 'emergency',
          purpose: 'alerts',
          action: 'grant',
          channel: 'web',
          textVersion: informationText('emergency', 'alerts').version,
        },
        { id: 'c', role: 'citizen', homeId: id },
      );
    }
    for (const id of homes)
      await eventually(() => b.consent.allows(id, 'emergency', 'alerts'), { what: `consent of ${id} on B` });
    const admin = await ApiClient.login(a.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/users', {
      username: 'staff-t',
      password: 'password-123',
      displayName: 'Staff',
      role: 'staff',
      teamIds: ['t'],
    });
    staff = await ApiClient.login(a.dashboardUrl, 'staff-t', 'password-123');
  }, 60_000);
  afterAll(async () => {
    for (const f of feeds) await f.close();
    await b?.close();
    await a?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  /** the session made on A, used on `p`'s dashboard: sessions live in the shared store */
  const board = async (p: Platform, since?: number) => {
    const feed = new LiveClient(p.dashboardUrl, staff.sessionCookie, since);
    feeds.push(feed);
    await feed.opened;
    await eventually(() => feed.messages.some((m) => m.type === 'platform'), { what: 'the feed to start' });
    return feed;
  };
  const candidate = (homeId: string, rule: 'fall' | 'alarm_button'): AlertCandidate => ({
    homeId,
    rule,
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: Date.now(),
    evidence: { readings: [], summary: rule },
  });
  const storedSeqs = async (after = 0) =>
    (await a.store.alerts.eventsSince(after, { limit: 10_000 })).map((e) => e.seq);
  const seqsOf = (feed: LiveClient) => feed.alerts().map((m) => m.seq!);
  /** as a person would: escalation (in the raising process) may have changed the alert a moment before */
  const retried = async <T>(act: () => Promise<T>): Promise<T> => {
    for (let i = 0; ; i++) {
      try {
        return await act();
      } catch (err) {
        if (i >= 5 || (err as { code?: string }).code !== 'conflict') throw err;
      }
    }
  };

  it('a board on B gets the alerts raised in A and in B at once, in seq order, each once', async () => {
    const feed = await board(b);
    // raised at the same moment in both processes: their events commit interleaved
    const raised = await Promise.all([
      a.alerts.raise(candidate('h1', 'fall')),
      b.alerts.raise(candidate('h3', 'fall')),
      a.alerts.raise(candidate('h2', 'fall')),
      b.alerts.raise(candidate('h4', 'fall')),
      a.alerts.raise(candidate('h1', 'alarm_button')),
      b.alerts.raise(candidate('h3', 'alarm_button')),
    ]);
    expect(raised.every((r) => r !== null)).toBe(true);
    // taken on in the other process than the one that raised it
    await retried(() => b.alerts.acknowledge(raised[0]!.id, { id: staff.user!.id, role: 'staff' }));
    await retried(() => a.alerts.acknowledge(raised[1]!.id, { id: staff.user!.id, role: 'staff' }));
    const expected = await eventually(
      async () => {
        const stored = await storedSeqs();
        return JSON.stringify(seqsOf(feed)) === JSON.stringify(stored) ? stored : null;
      },
      { what: 'every stored event on the board on B, in order', timeoutMs: 10_000 },
    );
    expect(expected.length).toBeGreaterThanOrEqual(8);
    // the alerts A raised are there, as A wrote them
    const opened = feed.alerts().filter((m) => m.event === 'opened');
    expect(new Set(opened.map((m) => m.alert!.homeId))).toEqual(new Set(homes));
    expect(
      feed.alerts().find((m) => m.alert!.id === raised[0]!.id && m.event === 'acknowledged'),
    ).toBeDefined();
  });

  it('after a reconnect to the other process the board resumes from its last seq: nothing missed, nothing repeated', async () => {
    const first = await board(b);
    await a.alerts.raise(candidate('h2', 'alarm_button'));
    await eventually(() => first.alerts().length > 0, { what: 'an event on the first board' });
    const last = seqsOf(first).at(-1)!;
    await first.close();
    // while the page is away: events in both processes
    const more = await Promise.all([
      a.alerts.raise(candidate('h4', 'alarm_button')),
      b.alerts.resolve(
        (await a.store.alerts.findActive('h1', 'fall'))!.id,
        { id: staff.user!.id, role: 'staff' },
        {
          outcome: 'no_action_needed',
          note: 'resolved while the page was away',
        },
      ),
    ]);
    expect(more[0]).not.toBeNull();
    // the page comes back through the balancer to A
    const second = await board(a, last);
    const missed = await storedSeqs(last);
    await eventually(
      () => JSON.stringify(seqsOf(second).slice(0, missed.length)) === JSON.stringify(missed),
      {
        what: `exactly the missed events on the board on A (${JSON.stringify(missed)})`,
      },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the board has ${JSON.stringify(seqsOf(second))}`);
    });
    // and live from here on, from both processes, each once
    await b.alerts.raise(candidate('h2', 'fall'));
    await retried(() => a.alerts.acknowledge(more[0]!.id, { id: staff.user!.id, role: 'staff' }));
    await eventually(async () => JSON.stringify(seqsOf(second)) === JSON.stringify(await storedSeqs(last)), {
      what: 'the live events on the resumed board',
    });
    const seqs = seqsOf(second);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.min(...seqs)).toBeGreaterThan(last);
  });

  it('an event heard before a lower one: the board gets both from the store, in order; one the store lacks goes nowhere', async () => {
    const feed = await board(b);
    const base = (await retried(() => a.alerts.raise(candidate('h4', 'fall'))))!;
    // two alerts written in A whose events B has not heard (as when the relay is slow)
    const write = (homeId: string) =>
      a.store.alerts.open({
        ...base,
        id: randomUUID(),
        homeId,
        rule: 'smoke',
        category: 'environment',
        state: 'open',
      });
    const first = await write('h1');
    const second = await write('h2');
    // B hears the second first
    b.events.emit('alert/changed', markOrigin(second, 'another-process'));
    await eventually(() => seqsOf(feed).includes(second.seq), { what: 'the later event on the board' });
    expect(seqsOf(feed).slice(-2)).toEqual([first.seq, second.seq]);
    // the lower one, heard late, is not sent again
    b.events.emit('alert/changed', markOrigin(first, 'another-process'));
    // an event another process only claims (not in the store) goes nowhere; a real one after it does
    b.events.emit('alert/changed', markOrigin({ ...second, seq: second.seq + 1000 }, 'another-process'));
    const third = await retried(() => b.alerts.raise(candidate('h3', 'fall')));
    await eventually(() => feed.alerts().some((m) => m.alert!.id === third!.id), {
      what: 'the next real event',
    });
    const seqs = seqsOf(feed);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).not.toContain(second.seq + 1000);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });
});
