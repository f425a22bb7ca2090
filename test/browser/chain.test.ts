import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, horizontalOverflow, logIn, seesAlert } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

interface ChainAlert extends BoardAlert {
  enRouteAt: number | null;
  enRouteBy: string | null;
  arrivedAt: number | null;
  arrivedBy: string | null;
  arrivalDueAt: number | null;
}

/**
 * Issue 13 point 1 on a phone: the care worker taps "På vej" and "Fremme" on the board at 320 px,
 * the server records who and when, and an alert nobody has reached past the arrival target
 * (ARRIVAL_TARGET_MIN, here 1 minute) is marked on the board in words.
 */
describe('på vej and fremme on a phone', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;
  let fall: BoardAlert;
  let button: BoardAlert;

  const stored = async (id: string) =>
    (await board.admin.ok<{ alert: ChainAlert }>('GET', `/api/alerts/${id}`)).alert;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Madsen, Amagerbrogade 3'] },
      env: { ARRIVAL_TARGET_MIN: '1' },
    });
    fall = await board.raise('a-1', 'fall');
    button = await board.raise('a-2', 'alarm_button');
    page = await browser.newPage({ viewport: { width: 320, height: 640 }, touch: true });
    // the board's own clock, moved on below to pass the arrival target without waiting a minute
    await page.clock.install();
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('one tap each: på vej, then fremme, stamped by the server with the person logged in', async () => {
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await seesAlert(page, fall.id);
    await seesAlert(page, button.id);
    const onWay = card(page, fall.id).getByRole('button', { name: 'På vej' });
    // a touch target a thumb finds: at least 44 × 44 css px
    const box = (await onWay.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    expect(box.width).toBeGreaterThanOrEqual(44);

    const before = Date.now();
    await onWay.tap();
    await card(page, fall.id).getByText(`${TEAMS.a.displayName} er på vej`, { exact: false }).waitFor();
    const out = await stored(fall.id);
    expect(out.state).toBe('acknowledged');
    expect(out.enRouteBy).toBe(board.staffIds.a);
    expect(out.enRouteAt).toBeGreaterThanOrEqual(before);
    // once set out, the card offers the next step only
    expect(await card(page, fall.id).getByRole('button', { name: 'På vej' }).count()).toBe(0);

    await card(page, fall.id).getByRole('button', { name: 'Fremme' }).tap();
    await card(page, fall.id).getByText(`${TEAMS.a.displayName} er fremme`, { exact: false }).waitFor();
    const there = await stored(fall.id);
    expect(there.arrivedBy).toBe(board.staffIds.a);
    expect(there.arrivedAt).toBeGreaterThanOrEqual(out.enRouteAt!);
    expect(there.arrivalDueAt).toBeNull();
    expect(await card(page, fall.id).getByRole('button', { name: 'Fremme' }).count()).toBe(0);

    const overflow = await horizontalOverflow(page);
    expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.innerWidth);
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it('an alert nobody has reached past the arrival target is marked in words; a reached one is not', async () => {
    const due = (await stored(button.id)).arrivalDueAt!;
    expect(due).toBeGreaterThan(0);
    const mark = card(page, button.id).locator('[data-overdue-mark]');
    expect(await mark.count()).toBe(0);
    // the board's clock passes the due time: the mark appears by itself, without a reload
    await page.clock.fastForward(Math.max(0, due - Date.now()) + 5_000);
    await mark.waitFor({ timeout: 10_000 });
    expect(await mark.innerText()).toContain('Ingen fremme efter 1 min');
    expect(await card(page, fall.id).locator('[data-overdue-mark]').count()).toBe(0);
    await screenshot(page, 'chain-phone-overdue');
    expect(await axeViolations(page)).toEqual([]);

    // arriving takes the mark away
    await card(page, button.id).getByRole('button', { name: 'Fremme' }).tap();
    await card(page, button.id).getByText('er fremme', { exact: false }).waitFor();
    expect(await mark.count()).toBe(0);
    expect(errorsOf(page)).toEqual([]);
  });
});
