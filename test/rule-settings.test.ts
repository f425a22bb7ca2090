import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { ApiClient } from './harness/api.ts';
import { tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface ErrorBody {
  error: string;
  issues?: Array<{ path: string; message: string }>;
}
type Settings = { settings: { inactivity: { minutes: number; windows: unknown[] }; [k: string]: unknown } };

/** A home's rule settings over REST: staff of its team change its routine; bad values are refused by field. */
describe('rule settings of a home', () => {
  const dir = tempDir();
  let platform: Platform;
  let staffA: ApiClient;
  let staffB: ApiClient;
  const password = 'password-123';

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('settings') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const t of ['a', 'b']) {
      await admin.ok('POST', '/api/teams', { id: `team-${t}`, name: t });
      await admin.ok('POST', '/api/homes', { id: `home-${t}`, label: t, teamId: `team-${t}` });
      await admin.ok('POST', '/api/users', {
        username: `staff-${t}`,
        password,
        displayName: t,
        role: 'staff',
        teamIds: [`team-${t}`],
      });
    }
    staffA = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    staffB = await ApiClient.login(platform.dashboardUrl, 'staff-b', password);
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('shows the defaults, takes a new routine, and the platform uses it', async () => {
    const before = await staffA.ok<Settings>('GET', '/api/homes/home-a/rule-settings');
    expect(before.settings.inactivity.minutes).toBe(120);
    const routine = {
      inactivity: {
        minutes: 90,
        windows: [
          { start: '07:30', end: '12:00' },
          { start: '13:30', end: '21:00' },
        ],
      },
    };
    const after = await staffA.ok<Settings>('PUT', '/api/homes/home-a/rule-settings', routine);
    expect(after.settings.inactivity).toEqual(routine.inactivity);
    expect(platform.registry.home('home-a')?.settings).toEqual(routine);
    // what was left out keeps its default
    expect(after.settings).toHaveProperty('temperature');
    expect(
      (await staffA.ok<Settings>('GET', '/api/homes/home-a/rule-settings')).settings.inactivity.minutes,
    ).toBe(90);
  });

  it('refuses a bad value with the field and the reason, and keeps what was there', async () => {
    const res = (await staffA.request('PUT', '/api/homes/home-a/rule-settings', {
      inactivity: { minutes: 2, windows: [{ start: '22:00', end: '07:00' }] },
      nonsense: true,
    })) as { status: number; body: ErrorBody };
    expect(res.status).toBe(400);
    const paths = (res.body.issues ?? []).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['inactivity.minutes']));
    expect(platform.registry.home('home-a')?.settings).toMatchObject({ inactivity: { minutes: 90 } });
  });

  it("staff of another team can neither read nor change the home's routine", async () => {
    expect((await staffB.request('GET', '/api/homes/home-a/rule-settings')).status).toBe(404);
    expect((await staffB.request('PUT', '/api/homes/home-a/rule-settings', {})).status).toBe(404);
  });
});
