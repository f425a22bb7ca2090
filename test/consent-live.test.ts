import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText } from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface ConsentMessage {
  type: 'consent';
  homeId: string;
  homeLabel: string;
  alertsOff: Array<{ category: string; since: number; actorRole: string; onBehalfOfCitizen: boolean }>;
}

/**
 * Issue 7 item 12: a citizen switching emergency alerts off is never silent. The home's care team
 * hears it on `/live` at once, with since when and by whom; another team hears nothing; the list
 * and the home's per-category state are there over REST for a board that (re)loads.
 */
describe('switching alerts off is told to the home’s team, and only to it', () => {
  const dir = tempDir();
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 9, 0, 0));
  const password = 'password-123';
  let platform: Platform;
  let citizen: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let liveA: LiveClient;
  let liveB: LiveClient;
  const consentMessages = (live: LiveClient) =>
    live.messages.filter((m) => m.type === 'consent') as unknown as ConsentMessage[];

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('consentlive'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const team of ['team-a', 'team-b']) await admin.ok('POST', '/api/teams', { id: team, name: team });
    await admin.ok('POST', '/api/homes', { id: 'demo-1', label: 'Ellen (demo-1)', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'demo-2', label: 'Bo (demo-2)', teamId: 'team-b' });
    for (const [username, teamIds] of [
      ['staff-a', ['team-a']],
      ['staff-b', ['team-b']],
    ] as const)
      await admin.ok('POST', '/api/users', {
        username,
        password,
        displayName: username,
        role: 'staff',
        teamIds,
      });
    await admin.ok('POST', '/api/users', {
      username: 'ellen',
      password,
      displayName: 'Ellen',
      role: 'citizen',
      homeId: 'demo-1',
    });
    citizen = await ApiClient.login(platform.dashboardUrl, 'ellen', password);
    staffA = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    staffB = await ApiClient.login(platform.dashboardUrl, 'staff-b', password);
    for (const purpose of ['alerts', 'history'] as const)
      await citizen.ok('POST', '/api/homes/demo-1/consent', {
        category: 'emergency',
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: informationText('emergency', purpose).version,
      });
    liveA = staffA.live();
    liveB = staffB.live();
    await Promise.all([liveA.opened, liveB.opened]);
    await eventually(() => [liveA, liveB].every((l) => l.messages.some((m) => m.type === 'platform')));
  });

  afterAll(async () => {
    await liveA?.close();
    await liveB?.close();
    await platform?.close();
    dir.remove();
  });

  it('nothing is off while the citizen has said yes', async () => {
    expect(await staffA.ok('GET', '/api/consent/alerts-off')).toEqual({ homes: [] });
  });

  it('a withdrawal reaches team A live with since when and by whom; team B gets nothing', async () => {
    clock.set(Date.UTC(2026, 10, 28, 9, 12, 0));
    await citizen.ok('POST', '/api/homes/demo-1/consent', {
      category: 'emergency',
      purpose: 'alerts',
      action: 'withdraw',
      channel: 'web',
      textVersion: informationText('emergency', 'alerts').version,
    });
    const expected = {
      type: 'consent',
      homeId: 'demo-1',
      homeLabel: 'Ellen (demo-1)',
      alertsOff: [
        {
          category: 'emergency',
          since: Date.UTC(2026, 10, 28, 9, 12, 0),
          actorRole: 'citizen',
          onBehalfOfCitizen: false,
          channel: 'web',
        },
      ],
    };
    await eventually(() => consentMessages(liveA).length > 0, { what: 'the consent message to team A' });
    expect(consentMessages(liveA)).toEqual([expected]);
    // a change in team B's own home does reach B, so B's silence about A's home means something
    await staffB.ok('POST', '/api/homes/demo-2/consent', {
      category: 'door',
      purpose: 'alerts',
      action: 'withdraw',
      channel: 'phone',
      textVersion: informationText('door', 'alerts').version,
    });
    await eventually(() => consentMessages(liveB).length > 0, { what: 'B’s own consent message' });
    expect(consentMessages(liveB).map((m) => m.homeId)).toEqual(['demo-2']);
    expect(JSON.stringify(liveB.messages)).not.toContain('Ellen');
    expect(consentMessages(liveA).map((m) => m.homeId)).toEqual(['demo-1']);

    // the same over REST, for a board that loads or reconnects
    expect(await staffA.ok('GET', '/api/consent/alerts-off')).toEqual({
      homes: [{ homeId: 'demo-1', homeLabel: 'Ellen (demo-1)', alertsOff: expected.alertsOff }],
    });
    // team B sees its own home's "no", recorded by staff from a phone call, and nothing of team A's
    expect(await staffB.ok('GET', '/api/consent/alerts-off')).toEqual({
      homes: [
        {
          homeId: 'demo-2',
          homeLabel: 'Bo (demo-2)',
          alertsOff: [
            {
              category: 'door',
              since: Date.UTC(2026, 10, 28, 9, 12, 0),
              actorRole: 'staff',
              onBehalfOfCitizen: true,
              channel: 'phone',
            },
          ],
        },
      ],
    });
    const { categories } = await staffA.ok<{ categories: Array<{ category: string; on: boolean }> }>(
      'GET',
      '/api/homes/demo-1/alerts-consent',
    );
    expect(categories.find((c) => c.category === 'emergency')).toEqual({
      category: 'emergency',
      on: false,
      since: Date.UTC(2026, 10, 28, 9, 12, 0),
      actorRole: 'citizen',
      onBehalfOfCitizen: false,
    });
    expect(categories.find((c) => c.category === 'door')).toMatchObject({ on: false, since: null });
    expect((await staffB.request('GET', '/api/homes/demo-1/alerts-consent')).status).toBe(404);
  });

  it('keeping readings is not an alert: changing it sends nothing; switching alerts on again clears it', async () => {
    const before = consentMessages(liveA).length;
    await citizen.ok('POST', '/api/homes/demo-1/consent', {
      category: 'emergency',
      purpose: 'history',
      action: 'withdraw',
      channel: 'web',
      textVersion: informationText('emergency', 'history').version,
    });
    await citizen.ok('POST', '/api/homes/demo-1/consent', {
      category: 'emergency',
      purpose: 'alerts',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('emergency', 'alerts').version,
    });
    await eventually(() => consentMessages(liveA).length > before);
    expect(consentMessages(liveA).slice(before)).toEqual([
      { type: 'consent', homeId: 'demo-1', homeLabel: 'Ellen (demo-1)', alertsOff: [] },
    ]);
    expect(await staffA.ok('GET', '/api/consent/alerts-off')).toEqual({ homes: [] });
  });
});
