import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, horizontalOverflow, logIn, seesAlert } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * WCAG 2.1 AA in a real Chromium: axe-core on every page state staff meet (login, a board with
 * alerts, the open resolve form, English), and the board at 320 px width and at 200% zoom without
 * horizontal scrolling. The citizen view promised in DOMAIN.md gets its own tests when it exists.
 */
describe('the alert board is accessible (WCAG 2.1 AA)', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  const alerts: BoardAlert[] = [];
  const opened: Page[] = [];

  beforeAll(async () => {
    // the browser first: without Chromium the file fails at once, before a platform is started
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: {
        a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Østergård-Christiansen, Sønder Boulevard 148, 3. tv.'],
      },
    });
    alerts.push(await board.raise('a-1', 'fall'));
    alerts.push(await board.raise('a-2', 'smoke'));
    alerts.push(await board.raise('a-2', 'alarm_button'));
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  const newPage = async (options: Parameters<TestBrowser['newPage']>[0] = {}) => {
    const page = await browser.newPage(options);
    opened.push(page);
    return page;
  };

  it('the login page has no WCAG 2.1 AA violations, in Danish and in English', async () => {
    const page = await newPage();
    await page.goto(board.url);
    await page.getByLabel('Brugernavn').waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('da');
    await screenshot(page, 'login-da');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByLabel('Username').waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await screenshot(page, 'login-en');
    expect(await axeViolations(page)).toEqual([]);

    // a failed login shows its message, and that state passes too
    await page.getByLabel('Username').fill(TEAMS.a.staff);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByLabel('Password').press('Enter');
    await page.getByText('Wrong username or password.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it('the alert board with alerts has no violations, in Danish and in English', async () => {
    const page = await newPage();
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    for (const a of alerts) await seesAlert(page, a.id);
    await screenshot(page, 'board-da');
    expect(await axeViolations(page)).toEqual([]);

    // the resolve form, open
    await card(page, alerts[0]!.id).getByRole('button', { name: 'Afslut' }).click();
    await page.getByLabel('Udfald').waitFor();
    await screenshot(page, 'board-resolve-form-da');
    expect(await axeViolations(page)).toEqual([]);

    // the English toggle: every text and the page's language change with it
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await screenshot(page, 'board-en');
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it('at 320 px width the board does not scroll sideways and every acknowledge button is visible', async () => {
    const page = await newPage({ viewport: { width: 320, height: 640 } });
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    for (const a of alerts) await seesAlert(page, a.id);
    await screenshot(page, 'board-320px');
    await expectReflow(page);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('at 200% zoom (640 px wide) the board does not scroll sideways and the buttons are visible', async () => {
    const page = await newPage({ viewport: { width: 640, height: 800 } });
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    for (const a of alerts) await seesAlert(page, a.id);
    // 200% browser zoom: CSS pixels twice as large, so 640 device pixels hold 320 CSS pixels of layout
    await page.evaluate(() => {
      document.documentElement.style.zoom = '2';
    });
    expect(await page.evaluate(() => window.innerWidth)).toBeLessThanOrEqual(640);
    await screenshot(page, 'board-zoom-200');
    await expectReflow(page);
  });

  it('the checks themselves catch a broken page (so a pass above means something)', async () => {
    const page = await newPage({ viewport: { width: 640, height: 800 } });
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await seesAlert(page, alerts[0]!.id);
    await page.evaluate(() => {
      document.documentElement.style.zoom = '2';
      const main = document.getElementById('main')!;
      const faint = document.createElement('p');
      faint.textContent = 'Svag tekst';
      faint.style.color = '#c0c0c0';
      const unlabelled = document.createElement('input');
      const wide = document.createElement('div');
      wide.style.width = '400px';
      wide.textContent = 'bred';
      main.append(faint, unlabelled, wide);
    });
    const ids = (await axeViolations(page)).map((v) => v.id);
    expect(ids).toContain('color-contrast');
    expect(ids).toContain('label');
    // 400 CSS px at 200% is wider than 640 device pixels
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    expect(scrollWidth).toBeGreaterThan(innerWidth);
  });

  /** WCAG 1.4.10 reflow: no sideways scrolling, and each acknowledge button fully in view across */
  async function expectReflow(page: Page): Promise<void> {
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    const buttons = page.getByRole('button', { name: 'Kvittér' });
    expect(await buttons.count()).toBe(alerts.length);
    for (const button of await buttons.all()) {
      expect(await button.isVisible()).toBe(true);
      const box = await button.evaluate((b) => {
        const r = b.getBoundingClientRect();
        return { left: r.left, right: r.right, width: window.innerWidth };
      });
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(box.width);
    }
  }
});
