import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../harness/receiver.ts';
import { card, eventually, logIn, seesAlert } from './harness/board-page.ts';
import { BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * Issue 7 item 11 in Chromium: a critical card says what escalation really did. With the default
 * settings (no fallback) it says plainly that only the log was written and the duty phone must be
 * called; with a fallback webhook that answers, it says it was delivered and when.
 */
describe('the alert card tells the truth about escalation', () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe('default settings: no fallback outside the board', () => {
    let board: BoardPlatform;
    let page: Page;

    beforeAll(async () => {
      board = await BoardPlatform.start({ homes: { a: ['Ellen Jensen, Skovvej 1'] } });
      page = await browser.newPage();
    });
    afterAll(async () => {
      await board?.close();
    });

    it('says the alert was only written to the log, never that it was passed on', async () => {
      // nobody of the team is on the board yet: a critical alert goes to "the fallback" at once
      const fall = await board.raise('a-1', 'fall');
      await board.platform.escalation.idle();
      await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
      await seesAlert(page, fall.id);
      const notice = card(page, fall.id).locator('.no-fallback');
      await notice.waitFor();
      expect(await notice.innerText()).toBe(
        'Der er ingen nødkanal uden for tavlen sat op — kun skrevet i loggen. Ring til vagten.',
      );
      const text = await card(page, fall.id).innerText();
      expect(text).toContain('Ikke kvitteret – der er ingen nødkanal uden for tavlen');
      expect(text).toMatch(
        /Kun skrevet i loggen kl\. \d\d[.:]\d\d — ingen nødkanal uden for tavlen er sat op/,
      );
      expect(text).not.toContain('Sendt videre');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'escalation-no-fallback');
    });

    it('in English too', async () => {
      await page.getByRole('button', { name: 'English' }).click();
      const cards = page.locator('li[data-alert-id]');
      await cards.first().locator('.no-fallback').waitFor();
      expect(await cards.first().locator('.no-fallback').innerText()).toBe(
        'No fallback channel outside the board is set up — only written to the log. Call the person on duty.',
      );
      expect(await cards.first().innerText()).not.toContain('Passed on');
      await page.getByRole('button', { name: 'Dansk' }).click();
      expect(errorsOf(page)).toEqual([]);
    });

    it('a degraded platform does not promise a fallback that is not there', async () => {
      // the broker stops: the platform cannot hear homes, so the board alone cannot be trusted
      await board.platform.broker.close();
      board.platform.health.evaluate();
      const banner = page.locator('#platform-banner');
      await banner.filter({ hasText: 'Platformen kører nedsat' }).waitFor();
      expect(await banner.innerText()).toBe(
        'Platformen kører nedsat: sensorforbindelsen (MQTT) er nede. ' +
          'Der er ingen nødkanal uden for tavlen sat op — hold øje med tavlen, og ring til vagten ved kritiske alarmer.',
      );
    });
  });

  describe('a fallback webhook that answers', () => {
    let board: BoardPlatform;
    let page: Page;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    beforeAll(async () => {
      receiver = await startReceiver();
      board = await BoardPlatform.start({
        homes: { a: ['Ellen Jensen, Skovvej 1'] },
        env: { FALLBACK_WEBHOOK_URL: `${receiver.url}/alarm-token-42` },
      });
      page = await browser.newPage();
    });
    afterAll(async () => {
      await board?.close();
      await receiver?.close();
    });

    it('says it was passed on and delivered, naming the channel but not its address', async () => {
      const fall = await board.raise('a-1', 'fall');
      await eventually(() => receiver.received.length > 0, { what: 'the fallback webhook to be called' });
      await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
      await seesAlert(page, fall.id);
      const line = card(page, fall.id).locator('.delivery-lines li');
      await line.first().waitFor();
      expect(await line.allInnerTexts()).toEqual([
        expect.stringMatching(/^Nødkanalen \(webhook\): sendt kl\. \d\d[.:]\d\d — leveret$/),
      ]);
      const text = await card(page, fall.id).innerText();
      expect(text).toContain('Sendt videre til nødkanalen uden for tavlen – ikke kvitteret');
      expect(text).not.toContain('ingen nødkanal');
      expect(text).not.toContain('token');
      expect(await card(page, fall.id).locator('.no-fallback').count()).toBe(0);
      await screenshot(page, 'escalation-delivered');
      // and a degraded platform's banner may say the fallback is told at once
      await board.platform.broker.close();
      board.platform.health.evaluate();
      await page
        .locator('#platform-banner', { hasText: 'Kritiske alarmer sendes også straks til nødkanalen.' })
        .waitFor();
    });
  });
});
