import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../platform/bootstrap.ts';
import type { Platform } from '../platform/start.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';

/**
 * `npm start -- --demo`: whoever opens the dashboard as a demo care worker sees alerts arrive live
 * within a minute, for their own team's demo homes only.
 */
describe('demo mode', () => {
  const dir = tempDir();
  let platform: Platform;
  let nord: LiveClient;
  let syd: LiveClient;

  beforeAll(async () => {
    platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('demo'),
      env: { DEMO: 'true', DEMO_HOMES: '2' },
    });
    nord = (await ApiClient.login(platform.dashboardUrl, 'sosu-nord', DEMO_PASSWORD)).live();
    syd = (await ApiClient.login(platform.dashboardUrl, 'sosu-syd', DEMO_PASSWORD)).live();
    await Promise.all([nord.opened, syd.opened]);
  });

  afterAll(async () => {
    await nord?.close();
    await syd?.close();
    await platform?.close();
    dir.remove();
  });

  it("each team's care worker sees a live alert from their own demo home within seconds", async () => {
    const first = await eventually(() => nord.alerts().find((m) => m.event === 'opened'), {
      what: 'a demo alert for team Nord',
      timeoutMs: 20_000,
    });
    expect(first.alert?.homeId).toBe('demo-1');
    expect(first.alert?.test).toBe(false);
    const second = await eventually(() => syd.alerts().find((m) => m.event === 'opened'), {
      what: 'a demo alert for team Syd',
      timeoutMs: 20_000,
    });
    expect(second.alert?.homeId).toBe('demo-2');
    expect(nord.alerts().every((m) => m.alert?.homeId === 'demo-1')).toBe(true);
    expect(syd.alerts().every((m) => m.alert?.homeId === 'demo-2')).toBe(true);
  }, 30_000);

  it('the demo relative acts for the citizen of demo-1 only, under a recorded power of attorney', async () => {
    const relative = await ApiClient.login(platform.dashboardUrl, 'paaroerende', DEMO_PASSWORD);
    const { homes } = await relative.ok<{ homes: Array<{ id: string }> }>('GET', '/api/homes');
    expect(homes.map((h) => h.id)).toEqual(['demo-1']);
    expect((await relative.request('GET', '/api/homes/demo-2/consent')).status).toBe(404);
  });

  it("demo-1 has a responder's card whose numbers ring nobody real", async () => {
    const staff = await ApiClient.login(platform.dashboardUrl, 'sosu-nord', DEMO_PASSWORD);
    const { card } = await staff.ok<{ card: { citizenPhone: string; contacts: Array<{ phone: string }> } }>(
      'GET',
      '/api/homes/demo-1/responder-card',
    );
    // no Danish number starts with 0
    for (const phone of [card.citizenPhone, ...card.contacts.map((c) => c.phone)])
      expect(phone).toMatch(/^\+450/);
  });
});
