import type { Locator, Page } from 'playwright-core';
import { eventually } from '../../harness/index.ts';

/**
 * Logs in on the page the way a person does: typing into the labelled fields and pressing Enter.
 * Typing is also the user gesture that browsers ask for before a page may play sound.
 */
export async function logIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel(/^(Brugernavn|Username)$/).fill(username);
  await page.getByLabel(/^(Adgangskode|Password)$/).fill(password);
  await page.getByLabel(/^(Adgangskode|Password)$/).press('Enter');
  await connected(page);
}

/** the connection indicator's text */
export const connectionText = (page: Page) => page.locator('#connection').innerText();

/** waits until the board says, in words, that it is connected */
export async function connected(page: Page): Promise<void> {
  await page.locator('#connection', { hasText: /^(Forbundet|Connected)$/ }).waitFor({ timeout: 10_000 });
}

/** the card of one alert on the board */
export const card = (page: Page, alertId: string): Locator => page.locator(`li[data-alert-id="${alertId}"]`);

/** the ids of every alert card on the board, in order, duplicates included */
export const cardIds = (page: Page): Promise<string[]> =>
  page
    .locator('li[data-alert-id]')
    .evaluateAll((items) => items.map((li) => li.getAttribute('data-alert-id')!));

/**
 * What has focus: its key (the board's `data-focus-key`, e.g. `ack-<alert id>`, else its id) and
 * tag, and whether its focus is shown.
 */
export function focused(page: Page): Promise<{ key: string | null; tag: string; visible: boolean } | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {
      key: el.getAttribute('data-focus-key') ?? (el.id || null),
      tag: el.tagName.toLowerCase(),
      // focus shown: the :focus-visible ring of styles.css, at least 2 px and not transparent
      visible:
        el.matches(':focus-visible') &&
        style.outlineStyle !== 'none' &&
        Number.parseFloat(style.outlineWidth) >= 2 &&
        style.outlineColor !== 'rgba(0, 0, 0, 0)',
    };
  });
}

/** presses Tab (or Shift+Tab) until the element with `key` has focus; fails after `max` presses */
export async function tabTo(
  page: Page,
  key: string,
  options: { backwards?: boolean; max?: number } = {},
): Promise<number> {
  const max = options.max ?? 40;
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(options.backwards ? 'Shift+Tab' : 'Tab');
    const now = await focused(page);
    if (now?.key === key) return presses;
  }
  throw new Error(`${key} was not reached with ${max} presses of Tab`);
}

/** how many alert sounds the page has started (the board's own counter, see sound.ts) */
export const soundsPlayed = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __tryghedSoundsPlayed?: number }).__tryghedSoundsPlayed ?? 0);

/** waits until the page has an alert card for `alertId` */
export async function seesAlert(page: Page, alertId: string, timeoutMs = 10_000): Promise<void> {
  await card(page, alertId).waitFor({ timeout: timeoutMs });
}

/** no horizontal scrolling: the page's content fits the viewport's width */
export function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

export { eventually };
