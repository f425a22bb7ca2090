import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText } from '../../services/domain/index.ts';
import { ManualClock } from '../../services/runtime/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { horizontalOverflow, logIn } from './harness/board-page.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

const DAY = 86_400_000;

/**
 * The staff overview in Chromium: a § 128 a decision whose review date has passed is shown as
 * overdue in words, and outcome statistics per alert kind and team, with no employee named.
 */
describe('the staff overview page', () => {
  const dir = tempDir();
  // noon UTC: the same date in Copenhagen
  const clock = new ManualClock(Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000);
  let platform: Platform;
  let browser: TestBrowser;
  let page: Page;
  const password = 'password-123';

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('oversight'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', {
      id: 'home-a',
      label: 'Fru Holm, Åboulevarden 3',
      teamId: 'team-a',
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff-a',
      password,
      displayName: 'Mette',
      role: 'staff',
      teamIds: ['team-a'],
    });
    const staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    await staff.ok('POST', '/api/homes/home-a/consent', {
      category: 'door',
      purpose: 'alerts',
      action: 'grant',
      basis: 'municipal_decision',
      reference: 'Sag 2026-128a-9',
      reviewDue: new Date(clock.now() + DAY).toISOString().slice(0, 10),
      textVersion: informationText('door', 'alerts').version,
    });
    await staff.ok('POST', '/api/homes/home-a/consent', {
      category: 'emergency',
      purpose: 'alerts',
      action: 'grant',
      basis: 'paper_form',
      reference: 'Blanket 7',
      textVersion: informationText('emergency', 'alerts').version,
    });
    // two falls handled: acknowledged after 30 s and 90 s; one was a false alarm
    for (const [ackS, outcome] of [
      [30, 'real_incident'],
      [90, 'false_alarm'],
    ] as const) {
      const opened = clock.now();
      const alert = await platform.alerts.raise({
        homeId: 'home-a',
        rule: 'fall',
        category: 'emergency',
        severity: 'critical',
        audience: 'care',
        at: opened,
        evidence: { readings: [], summary: 'fall' },
      });
      clock.set(opened + ackS * 1000);
      await platform.alerts.acknowledge(alert!.id, { id: 'someone', role: 'staff' });
      if (outcome === 'real_incident') {
        // the real one: set out at once, there after 20 minutes (the false one needed nobody there)
        await platform.alerts.setOut(alert!.id, { id: 'someone', role: 'staff' });
        clock.set(opened + 20 * 60_000);
        await platform.alerts.arrive(alert!.id, { id: 'someone', role: 'staff' });
      }
      await platform.alerts.resolve(alert!.id, { id: 'someone', role: 'staff' }, { outcome, note: '' });
      clock.set(clock.now() + 3_600_000);
    }
    // two days on: the review date has passed
    // a jump (the platform's timers fire once), not two days of rule ticks one by one
    clock.set(clock.now() + 2 * DAY);
    page = await browser.newPage();
    await logIn(page, platform.dashboardUrl, 'staff-a', password);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('shows the overdue review in words and the outcome figures, with no employee named', async () => {
    await page.getByRole('link', { name: 'Overblik' }).click();
    const review = page.locator('ul.reviews li');
    await review.waitFor();
    const text = await review.innerText();
    expect(text).toContain('Fru Holm, Åboulevarden 3');
    expect(text).toContain('dør, alarmer (Sag 2026-128a-9)');
    expect(text).toContain('Overskredet');
    const byRule = page.getByRole('table').filter({ hasText: 'Alarmtype' });
    const row = await byRule.getByRole('row', { name: /Fald registreret/ }).innerText();
    // two alerts, half of them false; half acknowledged within 60 s, median 30 s and p90 90 s to
    // acknowledge; on the way after 30 s; the one someone went to reached within 30 min, after 20
    expect(row.split('\t').map((c) => c.trim())).toEqual([
      'Fald registreret',
      '2',
      '50 %',
      '50 %',
      '30 s',
      '90 s',
      '30 s',
      '100 %',
      '20 min',
      '90 s',
    ]);
    const headers = await byRule.getByRole('columnheader').allInnerTexts();
    expect(headers).toContain('Kvitteret inden 60 s');
    expect(headers).toContain('Fremme inden 30 min');
    expect(await page.locator('main').innerText()).not.toContain('Mette');
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
    await screenshot(page, 'staff-overview');
  });

  it('works at 320 px without scrolling sideways', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await page.getByRole('link', { name: 'Alarmer' }).click();
    await page.getByRole('heading', { name: 'Alarmer' }).waitFor();
  });
});
