import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { axeViolations, CHROMIUM_ARGS, CHROMIUM_PATH } from './harness/chromium.ts';

/** Every text Chromium draws inside an element, its own closed user-agent shadow tree included. */
async function drawnText(page: Page, selector: string): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
  const { node } = await cdp.send('DOM.describeNode', { nodeId, depth: -1, pierce: true });
  const texts: string[] = [];
  const walk = (n: {
    nodeType: number;
    nodeValue?: string;
    children?: unknown[];
    shadowRoots?: unknown[];
  }) => {
    if (n.nodeType === 3 && n.nodeValue) texts.push(n.nodeValue);
    for (const c of [...(n.shadowRoots ?? []), ...(n.children ?? [])]) walk(c as typeof n);
  };
  walk(node as Parameters<typeof walk>[0]);
  await cdp.detach();
  return texts.join(' ');
}

/**
 * Time inputs show 24-hour time (issue 11 point 6) even on a browser set to American English, where
 * Chromium's own `<input type=time>` shows AM/PM whatever the page's `lang` says.
 */
describe('the routine’s times are on the 24-hour clock in an en-US Chromium', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const password = 'password-123';

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, '--lang=en-US'],
      env: { ...process.env, LANG: 'en_US.UTF-8', LANGUAGE: 'en_US' },
      headless: true,
      chromiumSandbox: false,
    });
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('time24') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Lund, Skovvej 2', teamId: 'team-a' });
    await admin.ok('POST', '/api/users', {
      username: 'sosu-a',
      password,
      displayName: 'Sosu A.',
      role: 'staff',
      teamIds: ['team-a'],
    });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/New_York' });
    page = await context.newPage();
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill('sosu-a');
    await page.getByLabel('Adgangskode').fill(password);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
    await page.goto(`${platform.dashboardUrl}/#/homes/home-a`);
    await page.getByRole('heading', { name: 'Borgerens rutine' }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('the browser really is American: its own time input shows AM/PM (so the check below means something)', async () => {
    expect(await page.evaluate(() => navigator.language)).toBe('en-US');
    await page.evaluate(() => {
      const native = document.createElement('input');
      native.type = 'time';
      native.id = 'native-time';
      native.value = '22:00';
      document.getElementById('main')!.append(native);
    });
    expect(await drawnText(page, '#native-time')).toMatch(/PM/);
    await page.evaluate(() => document.getElementById('native-time')!.remove());
  });

  it('the night shows 22:00, not 10:00 PM; typing by keyboard gives 24-hour times; a wrong time is refused in Danish', async () => {
    const night = page.getByRole('group', { name: 'Nat' });
    const from = night.getByLabel('Fra');
    const drawn = await drawnText(page, '#night-start');
    expect(await from.inputValue()).toMatch(/^\d{2}:\d{2}$/);
    expect(drawn).not.toMatch(/AM|PM/);
    expect(await from.getAttribute('aria-describedby')).toBe('night-start-hint');
    await expect.poll(() => page.locator('#night-start-hint').innerText()).toContain('24-timers ur');

    // keyboard only: focus the field, type "2215", leave it with Tab
    await from.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2215');
    await page.keyboard.press('Tab');
    expect(await from.inputValue()).toBe('22:15');
    await night.getByLabel('Til').fill('6.30');
    await night.getByLabel('Til').press('Tab');
    expect(await night.getByLabel('Til').inputValue()).toBe('06:30');
    await page.getByRole('button', { name: 'Gem rutine' }).click();
    await page.getByText('Rutinen er gemt og gælder fra nu.').waitFor();
    expect(platform.registry.home('home-a')?.settings).toMatchObject({
      night: { start: '22:15', end: '06:30' },
    });

    // "10 PM" is not a time here: the field says so in Danish, and nothing is saved
    await from.fill('10 PM');
    await from.press('Tab');
    expect(await from.evaluate((i: HTMLInputElement) => i.validationMessage)).toBe(
      'Skriv et klokkeslæt som tt:mm, fx 07:30 eller 22:00.',
    );
    await page.getByRole('button', { name: 'Gem rutine' }).click();
    expect(platform.registry.home('home-a')?.settings).toMatchObject({ night: { start: '22:15' } });
    expect(await axeViolations(page)).toEqual([]);
  });
});
