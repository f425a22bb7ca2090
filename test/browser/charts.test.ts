import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText, type Reading } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { horizontalOverflow } from './harness/board-page.ts';
import { axeViolations, errorsOf, SCREENSHOT_DIR, screenshot, TestBrowser } from './harness/chromium.ts';

const PASSWORD = 'password-123';
const HOUR = 3_600_000;

/** Tick labels of every chart that touch each other or stick out of their chart (px boxes). */
async function labelTrouble(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const trouble: string[] = [];
    for (const chart of document.querySelectorAll('svg.chart')) {
      const frame = chart.getBoundingClientRect();
      const boxes = [...chart.querySelectorAll('text.tick')].map((t) => ({
        text: t.textContent ?? '',
        box: t.getBoundingClientRect(),
      }));
      for (const { text, box } of boxes) {
        if (
          box.left < frame.left - 0.5 ||
          box.right > frame.right + 0.5 ||
          box.top < frame.top - 0.5 ||
          box.bottom > frame.bottom + 0.5
        )
          trouble.push(`"${text}" outside its chart`);
      }
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!.box;
          const b = boxes[j]!.box;
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
            trouble.push(`"${boxes[i]!.text}" overlaps "${boxes[j]!.text}"`);
        }
    }
    return trouble;
  });
}

/**
 * The home view's charts in a real Chromium: motion as a timeline of local days with a day-by-day
 * table, temperature as a line with °C on a padded axis, a choice of period; at 1024 and 320 px
 * no tick label overlaps another or is clipped, nothing scrolls sideways, axe finds nothing.
 */
describe('charts people can read', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;
  const now = Date.now();

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('charts') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Hr. Holm, Egevej 2', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes/home-a/devices', { id: 'pir-1', kinds: ['motion', 'temperature'] });
    await admin.ok('POST', '/api/homes/home-a/devices', { id: 'door-1', kinds: ['door'] });
    for (const [username, role, homeId] of [
      ['sosu-a', 'staff', null],
      ['borger-a', 'citizen', 'home-a'],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: PASSWORD,
        displayName: username,
        role,
        teamIds: role === 'staff' ? ['team-a'] : [],
        ...(homeId ? { homeId } : {}),
      });
    }
    const citizen = await ApiClient.login(platform.dashboardUrl, 'borger-a', PASSWORD);
    for (const category of ['activity', 'door', 'environment'] as const) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category,
        purpose: 'history',
        action: 'grant',
        channel: 'web',
        textVersion: informationText(category, 'history').version,
      });
    }
    let seq = 0;
    const reading = (
      deviceId: string,
      kind: Reading['kind'],
      category: Reading['category'],
      ts: number,
      value: number,
    ): Reading => ({
      homeId: 'home-a',
      deviceId,
      kind,
      category,
      value,
      ts,
      seq: ++seq,
      receivedAt: ts,
    });
    const readings: Reading[] = [];
    // ten days of life: motion every 40 minutes while awake, the door open twice a day for a while,
    // the temperature within a tenth of a degree
    for (let t = now - 10 * 24 * HOUR; t < now; t += 40 * 60_000) {
      const hour = new Date(t).getUTCHours();
      if (hour >= 5 && hour <= 21) readings.push(reading('pir-1', 'motion', 'activity', t, 1));
      readings.push(reading('pir-1', 'temperature', 'environment', t + 1000, 21.3 + (hour % 2) * 0.1));
    }
    for (let d = 10; d >= 1; d--) {
      const day = now - d * 24 * HOUR;
      readings.push(
        reading('door-1', 'door', 'door', day, 1),
        reading('door-1', 'door', 'door', day + 12 * 60_000, 0),
      );
      readings.push(
        reading('door-1', 'door', 'door', day + 6 * HOUR, 1),
        reading('door-1', 'door', 'door', day + 6 * HOUR + 3 * 60_000, 0),
      );
    }
    await platform.readings.write(readings);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  for (const width of [1024, 320]) {
    it(`a motion timeline and a temperature chart with units, readable at ${width} px`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(platform.dashboardUrl);
      await page.getByLabel('Brugernavn').fill('sosu-a');
      await page.getByLabel('Adgangskode').fill(PASSWORD);
      await page.getByLabel('Adgangskode').press('Enter');
      await page.getByRole('button', { name: /Log ud/ }).waitFor();
      await page.goto(`${platform.dashboardUrl}/#/homes/home-a`);

      const motion = page.locator('section.kind-readings[data-kind="motion"]');
      const motionChart = motion.getByRole('img');
      await motionChart.waitFor();
      // the last 24 hours touch two local days: two rows, and the table says the same in words
      expect(await motionChart.getAttribute('aria-label')).toMatch(
        /^Bevægelse for pir-1, sidste 24 timer: \d+ bevægelser på 2 dage\.$/,
      );
      const days = motion.getByRole('table');
      expect(await days.getByRole('columnheader').allInnerTexts()).toEqual([
        'Dag',
        'Bevægelser',
        'Første',
        'Sidste',
      ]);
      expect(await days.locator('tbody tr').count()).toBe(2);
      // a day with motion says when it began and ended; a day without (the window's evening part
      // of yesterday, late in the UTC day, when the readings' awake hours are over) says so
      const rows = await days.locator('tbody tr').allInnerTexts();
      for (const row of rows)
        expect(row).toMatch(/^\p{Lu}\p{Ll}+dag \d+\.\d+\s+([1-9]\d*\s+\d\d:\d\d\s+\d\d:\d\d|0\s+–\s+–)$/u);
      expect(rows.filter((row) => /\d\d:\d\d/.test(row)).length).toBeGreaterThan(0);
      // a timeline, not a line: one tick per motion
      expect(await motionChart.locator('rect.event').count()).toBeGreaterThan(5);
      expect(await motionChart.locator('path').count()).toBe(0);

      // the door: open periods as bars, how long in all per day
      const door = page.locator('section.kind-readings[data-kind="door"]');
      await door.getByRole('img').waitFor();
      expect(await door.getByRole('img').locator('rect.bar').count()).toBeGreaterThan(0);
      expect(await door.getByRole('columnheader').allInnerTexts()).toContain('Åben i alt');

      // temperature: a tenth of a degree is not stretched; the axis speaks °C, at least 2 °C tall
      const temperature = page.locator('section.kind-readings[data-kind="temperature"]');
      await temperature.getByRole('img').waitFor();
      const valueTicks = await temperature.locator('text.tick').allTextContents();
      const degrees = valueTicks
        .filter((t) => t.endsWith('°C'))
        .map((t) => Number(t.replace(' °C', '').replace(',', '.')));
      expect(degrees.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...degrees) - Math.min(...degrees)).toBeGreaterThanOrEqual(2);
      // and the time axis is local clock time
      expect(valueTicks.some((t) => /^\d\d:\d\d$/.test(t))).toBe(true);
      expect(await temperature.getByRole('table').innerText()).toMatch(/21,3 °C\s+21,4 °C/);

      expect(await labelTrouble(page)).toEqual([]);
      const overflow = await horizontalOverflow(page);
      expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.innerWidth);
      await screenshot(page, `charts-24h-${width}`);
      await page
        .locator('.charts')
        .screenshot({ path: join(SCREENSHOT_DIR, `charts-section-24h-${width}.png`) });
      expect(await axeViolations(page)).toEqual([]);

      // 7 days: eight local days, ticks at day starts on the temperature axis
      await page.getByRole('radio', { name: '7 dage' }).check();
      await expect.poll(() => motion.getByRole('table').locator('tbody tr').count()).toBe(8);
      expect(await motion.getByRole('img').getAttribute('aria-label')).toMatch(
        /sidste 7 dage: \d+ bevægelser på 8 dage/,
      );
      expect(await labelTrouble(page)).toEqual([]);

      // 30 days
      await page.getByRole('radio', { name: '30 dage' }).check();
      await expect.poll(() => motion.getByRole('table').locator('tbody tr').count()).toBe(31);
      expect(await labelTrouble(page)).toEqual([]);
      expect((await horizontalOverflow(page)).scrollWidth).toBeLessThanOrEqual(width);
      await screenshot(page, `charts-30d-${width}`);
      await page
        .locator('.charts')
        .screenshot({ path: join(SCREENSHOT_DIR, `charts-section-30d-${width}.png`) });

      // a chosen period: the wrong way round is said in words; three whole days are three rows
      await page.getByRole('radio', { name: 'Vælg periode' }).check();
      const iso = (ms: number) =>
        new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen' }).format(ms);
      await page.getByLabel('Fra dato').fill(iso(now - 2 * 24 * HOUR));
      await page.getByLabel('Til dato (med)').fill(iso(now - 4 * 24 * HOUR));
      await page.getByRole('button', { name: 'Vis perioden' }).click();
      await page.getByRole('alert').filter({ hasText: 'Fra-datoen skal ligge før til-datoen.' }).waitFor();
      await page.getByLabel('Fra dato').fill(iso(now - 4 * 24 * HOUR));
      await page.getByLabel('Til dato (med)').fill(iso(now - 2 * 24 * HOUR));
      await page.getByRole('button', { name: 'Vis perioden' }).click();
      await expect.poll(() => motion.getByRole('table').locator('tbody tr').count()).toBe(3);
      expect(await labelTrouble(page)).toEqual([]);
      await screenshot(page, `charts-custom-${width}`);
      expect(await axeViolations(page)).toEqual([]);
      expect(errorsOf(page)).toEqual([]);
    }, 90_000);
  }
});
