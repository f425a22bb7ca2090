import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, connected, eventually, focused, seesAlert, tabTo } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * The board by keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7): log in, tab to an alert, acknowledge it,
 * resolve it with an outcome and a note. Live updates arrive all the while, and neither focus nor
 * a half-typed note may be lost when the list re-renders.
 */
/** the card's repeat count in Danish, with the singular for one */
const repeatedText = (n: number) => new RegExp(`Gentaget ${n} ${n === 1 ? 'gang' : 'gange'}\\b`);

describe('the alert board works by keyboard alone', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;
  let fall: BoardAlert;

  beforeAll(async () => {
    // the browser first: without Chromium the file fails at once, before a platform is started
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Madsen, Amagerbrogade 3'] },
    });
    fall = await board.raise('a-1', 'fall');
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  /** the focused element, which must exist and show its focus */
  const focusedKey = async () => {
    const now = await focused(page);
    expect(now, 'focus was lost to the page').not.toBeNull();
    expect(now!.visible, `focus on ${now!.key ?? now!.tag} is not visible`).toBe(true);
    return now!.key;
  };

  it('logs in with the keyboard: the username field has focus, Tab to the password, Enter', async () => {
    await page.goto(board.url);
    await page.getByLabel('Brugernavn').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    await page.keyboard.type(TEAMS.a.staff);
    await page.keyboard.press('Tab');
    await page.keyboard.type(STAFF_PASSWORD);
    await page.keyboard.press('Enter');
    await connected(page);
    await seesAlert(page, fall.id);
  });

  it('tabs to the acknowledge button; focus stays on it through live updates, visibly', async () => {
    const presses = await tabTo(page, `ack-${fall.id}`);
    // skip link, then the header's sound, language and log-out buttons, the board's two filters
    // (home, kind of alert), then the first alert
    expect(presses).toBeLessThanOrEqual(8);
    expect(await focusedKey()).toBe(`ack-${fall.id}`);
    await screenshot(page, 'keyboard-focus-ack');

    // a new alert arrives: the list re-renders around the focused card
    const smoke = await board.raise('a-2', 'smoke');
    await seesAlert(page, smoke.id);
    expect(await focusedKey()).toBe(`ack-${fall.id}`);

    // the focused alert itself changes (the fall is seen again): its card is rebuilt
    const repeated = await board.repeat(fall);
    await card(page, fall.id).getByText(repeatedText(repeated.repeats)).waitFor();
    expect(await focusedKey()).toBe(`ack-${fall.id}`);
  });

  it('Enter acknowledges; the server has it, and focus moves to the same alert’s resolve button', async () => {
    await page.keyboard.press('Enter');
    const acknowledged = await eventually(
      async () => {
        const a = await board.alert(fall.id);
        return a.state === 'acknowledged' && a;
      },
      { what: 'the acknowledgement on the server' },
    );
    expect(acknowledged.acknowledgedBy).toBe(board.staffIds.a);
    await card(page, fall.id).getByText('Kvitteret', { exact: false }).first().waitFor();
    await eventually(async () => (await focused(page))?.key === `res-${fall.id}`, {
      what: 'focus on the resolve button',
    });
    expect(await focusedKey()).toBe(`res-${fall.id}`);
    // the acknowledgement is announced to screen readers once the server's answer is in (the live
    // event may arrive first and move focus before the request's own answer is read)
    await eventually(async () => (await page.locator('#announcer').innerText()).includes('Kvitteret'), {
      what: 'the acknowledgement announced',
    });
  });

  it('Space opens the resolve form; outcome by arrow keys, a note typed, no mouse', async () => {
    await page.keyboard.press('Space');
    await eventually(async () => (await focused(page))?.key === `outcome-${fall.id}`, {
      what: 'focus in the outcome field',
    });
    expect(await focusedKey()).toBe(`outcome-${fall.id}`);
    // nothing is preselected; the options in order: choose …, real incident, false alarm, …
    expect(await page.locator(`#outcome-${fall.id}`).inputValue()).toBe('');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator(`#outcome-${fall.id}`).inputValue()).toBe('false_alarm');

    await page.keyboard.press('Tab');
    expect(await focusedKey()).toBe(`note-${fall.id}`);
    await page.keyboard.type('Sensoren var faldet på gulvet.');

    // A live update to this very alert while typing: the fall is seen again after it was
    // acknowledged, so the platform opens it again (nobody came). The board must show that, and
    // the note, the caret and the focus stay.
    const before = await board.alert(fall.id);
    const repeated = await board.repeat(fall);
    await card(page, fall.id).getByText(repeatedText(repeated.repeats)).waitFor();
    expect(repeated.repeats).toBe(before.repeats + 1);
    expect(repeated.state).toBe('open');
    await card(page, fall.id).getByRole('button', { name: 'Kvittér' }).waitFor();
    expect(await page.locator('#announcer').innerText()).toContain('Åben igen');
    expect(await focusedKey()).toBe(`note-${fall.id}`);
    await page.keyboard.type(' Borgeren er uskadt.');
    expect(await page.locator(`#note-${fall.id}`).inputValue()).toBe(
      'Sensoren var faldet på gulvet. Borgeren er uskadt.',
    );
    expect(await page.locator(`#outcome-${fall.id}`).inputValue()).toBe('false_alarm');
    await screenshot(page, 'keyboard-resolve-form');

    await page.keyboard.press('Tab');
    expect(await focusedKey()).toBe(`save-${fall.id}`);
    await page.keyboard.press('Enter');
    const resolved = await eventually(
      async () => {
        const a = await board.alert(fall.id);
        return a.state === 'resolved' && a;
      },
      { what: 'the resolution on the server' },
    );
    expect(resolved).toMatchObject({
      outcome: 'false_alarm',
      note: 'Sensoren var faldet på gulvet. Borgeren er uskadt.',
    });
    await card(page, fall.id).waitFor({ state: 'detached' });
  });

  it('after the resolved alert leaves the board, focus goes to the next alert, not to the page top', async () => {
    const next = await eventually(async () => (await focused(page))?.key, { what: 'focus after resolve' });
    expect(next).toMatch(/^ack-/);
    expect(await focusedKey()).toBe(next);
    expect(errorsOf(page)).toEqual([]);
  });
});
