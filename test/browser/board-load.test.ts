import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connected, logIn, seesAlert } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { errorsOf, TestBrowser } from './harness/chromium.ts';

/**
 * The board reads the open alerts when it connects. If that read fails (the network drops, the
 * store is down for a moment), an empty board must not say "all is calm" while alerts are open:
 * it says the read failed, in words, and tries again by itself until the open alerts are there.
 * The failures are real to the page: the browser's request is cut, then answered 503 by the route.
 */
describe('the board when its first read of the open alerts fails', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;
  let fall: BoardAlert;
  const reads: string[] = [];

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({ homes: { a: ['Fru Hansen, Nørrebrogade 12'] } });
    // open before the board is: only the list read can show it (the live feed brings what is new)
    fall = await board.raise('a-1', 'fall');
    page = await browser.newPage();
    await page.route(
      (url) => url.pathname === '/api/alerts',
      async (route) => {
        reads.push(route.request().method());
        if (reads.length === 1) return route.abort('connectionreset');
        if (reads.length === 2)
          return route.fulfill({
            status: 503,
            contentType: 'application/json',
            body: JSON.stringify({ error: 'unavailable', reason: 'store_down' }),
          });
        return route.continue();
      },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('says the read failed instead of "all is calm", keeps trying, and then shows the open alert', async () => {
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await connected(page);
    const failure = page.locator('#alerts-load-failed');
    await failure.filter({ hasText: 'De åbne alarmer kunne ikke hentes' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('#alerts-empty').innerText()).resolves.not.toContain('Alt er roligt');
    // retried by itself (1 s, then 2 s): the third read goes through to the platform
    await seesAlert(page, fall.id, 15_000);
    await failure.waitFor({ state: 'hidden' });
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#alerts-empty').isHidden()).toBe(true);
    // the failed reads were handled, not thrown
    expect(errorsOf(page)).toEqual([]);
  }, 60_000);
});
