import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { horizontalOverflow } from './harness/board-page.ts';
import { errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

const PASSWORD = 'password-123';

/** Every page, as the person who uses it: the address, and something that shows it has loaded. */
const PAGES = [
  { user: 'sosu-a', hash: '#overblik', loaded: 'Udfald af alarmer de seneste 30 dage' },
  { user: 'sosu-a', hash: '#/homes', loaded: 'Fru Dahl, Lindevej 4' },
  { user: 'sosu-a', hash: '#/homes/home-a', loaded: 'Pårørende med fuldmagt' },
  { user: 'tekniker', hash: '#/technician/home-a', loaded: 'Enheder' },
  { user: 'borger-a', hash: '', loaded: 'Hent dine oplysninger' },
] as const;

/**
 * WCAG 1.4.10 reflow on every page besides the alert board (which has its own tests): at 320 px
 * width and at 200% zoom nothing needs sideways scrolling.
 */
describe('every page reflows at 320 px and at 200% zoom', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;

  const open = async (user: string, hash: string, width: number): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill(user);
    await page.getByLabel('Adgangskode').fill(PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
    if (hash) await page.goto(`${platform.dashboardUrl}/${hash}`);
    return page;
  };

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('reflow') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Dahl, Lindevej 4', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes/home-a/devices', {
      id: 'sensor-with-a-rather-long-identifier-1',
      kinds: ['temperature', 'motion', 'battery'],
    });
    for (const [username, role, teamIds, homeId] of [
      ['sosu-a', 'staff', ['team-a'], null],
      ['tekniker', 'technician', [], null],
      ['borger-a', 'citizen', [], 'home-a'],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: PASSWORD,
        displayName: username,
        role,
        teamIds,
        ...(homeId ? { homeId } : {}),
      });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  for (const p of PAGES) {
    it(`${p.hash || 'the citizen page'} as ${p.user}`, async () => {
      // 320 CSS px wide
      const narrow = await open(p.user, p.hash, 320);
      await narrow.getByText(p.loaded, { exact: false }).first().waitFor();
      const at320 = await horizontalOverflow(narrow);
      expect(at320.scrollWidth).toBeLessThanOrEqual(at320.innerWidth);
      await screenshot(narrow, `reflow-320-${p.user}-${p.hash.replace(/[#/]/g, '') || 'citizen'}`);
      // 200% zoom: 640 device px hold 320 CSS px of layout
      const zoomed = await open(p.user, p.hash, 640);
      await zoomed.getByText(p.loaded, { exact: false }).first().waitFor();
      await zoomed.evaluate(() => {
        document.documentElement.style.zoom = '2';
      });
      const at200 = await horizontalOverflow(zoomed);
      expect(at200.scrollWidth).toBeLessThanOrEqual(at200.innerWidth);
      expect([...errorsOf(narrow), ...errorsOf(zoomed)]).toEqual([]);
    });
  }
});
