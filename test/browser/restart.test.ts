import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { connected, connectionText, eventually, logIn } from './harness/board-page.ts';
import { errorsOf, TestBrowser } from './harness/chromium.ts';

const PASSWORD = 'password-123';

/**
 * The team's board on the wall while the platform restarts (an update, a power cut): it must come
 * back by itself, still logged in, not fall to the login page.
 */
describe('the board on the wall through a restart of the platform', () => {
  const dir = tempDir('tryghed-browser-');
  const database = uniqueDatabase('browser');
  let browser: TestBrowser;
  let platform: Platform | undefined;
  let page: Page;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Hjemmepleje Nord' });
    await admin.ok('POST', '/api/users', {
      username: 'sosu-a',
      password: PASSWORD,
      displayName: 'Anna Sørensen',
      role: 'staff',
      teamIds: ['team-a'],
    });
    page = await browser.newPage();
    await logIn(page, platform.dashboardUrl, 'sosu-a', PASSWORD);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('reconnects by itself after the restart, still logged in', async () => {
    const port = platform!.dashboard.port;
    await platform!.close();
    platform = undefined;
    await eventually(async () => (await connectionText(page)) !== 'Forbundet', { what: 'the drop shown' });
    // the same address (port) as before, the same database
    platform = await startTestPlatform({ dataDir: dir.path, database, env: { HTTP_PORT: String(port) } });
    await connected(page);
    expect(page.url()).not.toContain('session=ended');
    expect(await page.getByLabel(/^(Brugernavn|Username)$/).count()).toBe(0);
    expect(errorsOf(page)).toEqual([]);
  });

  it('an address with a malformed %-escape is a page that says what it can, not a script error', async () => {
    await page.evaluate(() => {
      location.hash = '#/homes/%zz';
    });
    await eventually(() => page.url().endsWith('#/homes/%zz'), { what: 'the new address' });
    await page.waitForTimeout(300);
    expect(errorsOf(page)).toEqual([]);
  });
});
