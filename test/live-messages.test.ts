import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Dashboard } from '../dashboard/server/index.ts';
import { LiveQuery } from '../dashboard/server/live-schema.ts';
import { parseLiveMessage } from '../dashboard/web/src/live.ts';
import type { AlertCandidate } from '../services/domain/index.ts';
import { LIVE_ALERT_EVENTS, liveQueryString } from '../services/domain/shared/live-messages.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { eventually } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';

/**
 * The /live messages are described once (services/domain/shared/live-messages.ts): the server
 * sends those shapes, validates the browser's connect query with a zod schema of the same type, and
 * the browser reads only messages of a known type.
 */
describe('the /live message schema', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let url: string;
  let anna: ApiClient;
  const open: LiveClient[] = [];

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.home('home-a', ['fall']);
    await f.setConsent('home-a', 'emergency', 'alerts');
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    dashboard = await startTestDashboard(f);
    url = dashboard.url;
    anna = await ApiClient.login(url, 'anna', PASSWORD);
  });
  afterAll(async () => {
    for (const l of open) await l.close();
    await dashboard?.close();
    await f?.close();
  });

  const upgrade = (query: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/live${query}`, {
        headers: { cookie: anna.sessionCookie, origin: url },
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('error', () => undefined);
    });

  it('refuses a connect query that is not the shared LiveConnectQuery, and takes one that is', async () => {
    for (const bad of ['?since=abc', '?since=-1', '?since=1.5', '?since=1e400'])
      expect(await upgrade(bad), bad).toBe(400);
    expect(await upgrade(liveQueryString({ since: 0 }))).toBe(101);
    expect(await upgrade(liveQueryString({}))).toBe(101);
    expect(LiveQuery.safeParse({ since: '12' }).data).toEqual({ since: 12 });
  });

  it('sends hello, platform and alert messages with exactly the fields the shared types name', async () => {
    const live = anna.live();
    open.push(live);
    await live.opened;
    await eventually(() => live.messages.length >= 2, { what: 'hello and platform' });
    const [hello, platform] = JSON.parse(JSON.stringify(live.messages)) as Array<Record<string, unknown>>;
    expect(Object.keys(hello!).sort()).toEqual(['fallback', 'lastSeq', 'type', 'user']);
    expect(Object.keys(hello!.user as object).sort()).toEqual(
      ['displayName', 'homeId', 'id', 'mustChangePassword', 'role', 'teamIds', 'username'].sort(),
    );
    expect(platform).toEqual({ type: 'platform', degraded: [] });
    const fall: AlertCandidate = {
      homeId: 'home-a',
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: f.clock.now(),
      evidence: { readings: [], summary: 'Fall detected' },
    };
    await f.alerts.raise(fall);
    await eventually(() => live.alerts().length === 1, { what: 'the alert message' });
    const message = live.alerts()[0]!;
    expect(Object.keys(message).sort()).toEqual(['alert', 'event', 'seq', 'type']);
    expect(LIVE_ALERT_EVENTS).toContain(message.event);
    // and the browser reads what the server sent
    expect(parseLiveMessage(JSON.stringify(message))?.type).toBe('alert');
    expect(parseLiveMessage(JSON.stringify(hello))?.type).toBe('hello');
  });

  it('the browser skips what is not a message of a known type', () => {
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('42')).toBeNull();
    expect(parseLiveMessage('null')).toBeNull();
    expect(parseLiveMessage('{"type":"shutdown"}')).toBeNull();
    expect(parseLiveMessage('{"seq":1}')).toBeNull();
    expect(parseLiveMessage('{"type":"platform","degraded":[]}')).toEqual({ type: 'platform', degraded: [] });
  });
});
