import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ManualClock } from '../../services/runtime/index.ts';
import { ApiClient } from '../harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { card, logIn, seesAlert } from './harness/board-page.ts';
import { axeViolations, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * A device that falls silent reaches a human: the technician's alert board shows it live, and
 * the care staff's board does not (it is not theirs to handle).
 */
describe('technical alerts reach the technician', () => {
  const dir = tempDir();
  const clock = new ManualClock(Date.now());
  let platform: Platform;
  let browser: TestBrowser;
  let tech: Page;
  let staff: ApiClient;
  const password = 'password-123';

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('technical'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Hr. Berg, Havnegade 1', teamId: 'team-a' });
    await admin.ok('POST', '/api/users', {
      username: 'tech',
      password,
      displayName: 'Tekniker',
      role: 'technician',
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff-a',
      password,
      displayName: 'Staff',
      role: 'staff',
      teamIds: ['team-a'],
    });
    await admin.ok('POST', '/api/homes/home-a/devices', {
      id: 'motion-a',
      kinds: ['motion', 'heartbeat'],
      reportIntervalS: 60,
    });
    staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    tech = await browser.newPage();
    await logIn(tech, `${platform.dashboardUrl}/#alarmer`, 'tech', password);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('a silent device becomes a technical alert on the technician’s board, not on the care board', async () => {
    await tech.getByRole('heading', { name: 'Alarmer' }).waitFor();
    // 2.5 x 60 s without a word from the device
    clock.advance(150_000);
    const alert = await eventually(
      async () =>
        (await platform.alerts.list({ homeIds: ['home-a'] })).find((a) => a.rule === 'device_offline'),
      { what: 'the device_offline alert' },
    );
    expect(alert).toMatchObject({ audience: 'technical', severity: 'medium' });
    await seesAlert(tech, alert.id);
    expect(await card(tech, alert.id).innerText()).toContain('Enhed svarer ikke');
    expect(await axeViolations(tech)).toEqual([]);
    await screenshot(tech, 'technician-alert-board');
    // the care staff are not paged with it
    const { alerts } = await staff.ok<{ alerts: Array<{ id: string }> }>('GET', '/api/alerts');
    expect(alerts.map((a) => a.id)).not.toContain(alert.id);
    // the technician takes it on
    await card(tech, alert.id).getByRole('button', { name: 'Kvittér' }).click();
    await expect
      .poll(async () => (await platform.alerts.get(alert.id))?.state, { timeout: 5000 })
      .toBe('acknowledged');
  });
});
