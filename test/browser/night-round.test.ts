import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsentCategory, informationText, type SensorKind } from '../../services/domain/index.ts';
import { ManualClock } from '../../services/runtime/index.ts';
import { ApiClient } from '../harness/api.ts';
import { TEST_ADMIN } from '../harness/platform.ts';
import { eventually, horizontalOverflow, logIn } from './harness/board-page.ts';
import { BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

const MIN = 60_000;
/** 28 November 2026, 23:50 in Copenhagen (UTC+1) */
const EVENING = Date.UTC(2026, 10, 28, 22, 50);
/** the 00:00 round, as an instant */
const MIDNIGHT = Date.UTC(2026, 10, 28, 23, 0);
const CATEGORIES: ConsentCategory[] = ['sleep', 'door', 'environment'];
/** the lines of an element's text, without the blank ones between paragraphs */
const linesOf = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/**
 * Issue 13 point 4 in Chromium, on a phone: a night care worker's round of three homes at 00:00.
 * Fru Hansen is in bed with the door closed ("Alt roligt"); Hr. Jensen's front door is open ("Se
 * nærmere", with the reason next to it); nobody looks at Fru Madsen, so after 15 minutes she is
 * re-listed at the top and marked. Every look is a line in the citizen's "Hvem har set dine
 * oplysninger", in Danish.
 */
describe('the night round in the browser', () => {
  const clock = new ManualClock(EVENING);
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;

  /** every sensor of the home says it is alive, as its heartbeat would */
  const alive = async (homeId: string) => {
    for (const suffix of ['bed', 'door', 'smoke']) await board.send(homeId, suffix, 'heartbeat', 1);
  };
  const send = (homeId: string, suffix: string, kind: SensorKind, value: number) =>
    board.send(homeId, suffix, kind, value);

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen', 'Hr. Jensen', 'Fru Madsen'], b: ['Hr. Berg'] },
      clock,
    });
    for (const homeId of ['a-1', 'a-2', 'a-3', 'b-1']) {
      for (const category of CATEGORIES)
        await board.admin.ok('POST', `/api/homes/${homeId}/consent`, {
          category,
          purpose: 'night_round',
          action: 'grant',
          channel: 'paper',
          basis: 'paper_form',
          reference: `NR-${homeId}`,
          textVersion: informationText(category, 'night_round').version,
        });
    }
    await board.admin.ok('POST', '/api/users', {
      username: 'fru-hansen',
      password: STAFF_PASSWORD,
      displayName: 'Fru Hansen',
      role: 'citizen',
      homeId: 'a-1',
    });
    page = await browser.newPage({ viewport: { width: 320, height: 720 } });
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('staff set a home’s round times on its own page, and see what the round will show', async () => {
    for (const homeId of ['a-1', 'a-2', 'a-3']) {
      await page.goto(`${board.url}/#/homes/${homeId}/tilsynsrunde`);
      await page.locator('#round-times').waitFor();
      expect(await page.locator('#round-covers').innerText()).toBe(
        'Runden viser: røg, kulilte, vand og temperatur, hoveddøren, søvn og seng.',
      );
      await page.locator('#round-times').fill('00:00, 3.00');
      await page.getByRole('button', { name: 'Gem tidspunkter' }).click();
      await page.getByText('Gemt.').waitFor();
      expect(await page.locator('#round-times').inputValue()).toBe('00:00, 03:00');
      expect(await page.locator('#round-next').innerText()).toBe('Næste runde kl. 00:00.');
    }
    expect(await axeViolations(page)).toEqual([]);
  });

  it('before the round: nothing is due, and the page says when the next round is', async () => {
    await page.goto(`${board.url}/#tilsynsrunde`);
    await page.getByRole('heading', { name: 'Natlig tilsynsrunde' }).waitFor();
    await page.locator('#round-empty').waitFor();
    expect(linesOf(await page.locator('#round-empty').innerText())).toEqual([
      'Ingen hjem skal ses lige nu.',
      'Næste runde kl. 00:00 (3 hjem).',
    ]);
  });

  it('at the round time: three homes, "Alt roligt" and "Se nærmere" with the reason next to it', async () => {
    clock.set(MIDNIGHT - 20 * MIN); // 23:40
    await send('a-1', 'bed', 'bed', 1);
    await send('a-1', 'door', 'door', 0);
    await send('a-1', 'smoke', 'temperature', 21.5);
    await send('a-2', 'bed', 'bed', 1);
    await send('a-2', 'door', 'door', 0);
    await send('a-2', 'smoke', 'temperature', 20);
    await send('a-3', 'bed', 'bed', 1);
    await send('a-3', 'door', 'door', 0);
    await send('a-3', 'smoke', 'temperature', 20.5);
    clock.set(MIDNIGHT + 2 * MIN); // 00:02
    await send('a-2', 'door', 'door', 1);
    for (const h of ['a-1', 'a-2', 'a-3']) await alive(h);
    await page.reload();
    const list = page.locator('#round-list > li');
    await eventually(async () => (await list.count()) === 3);
    const hansen = page.locator('li[data-home="a-1"]');
    expect(linesOf(await hansen.innerText())).toEqual([
      'Fru Hansen',
      'Runde kl. 00:00 · Skal ses inden kl. 00:15',
      'Alt roligt',
      'I seng siden kl. 23:40',
      'Hoveddøren lukket siden kl. 23:40',
      'Temperatur 21,5 °C (kl. 23:40)',
      'Jeg har kigget',
    ]);
    const jensen = page.locator('li[data-home="a-2"]');
    expect(await jensen.locator('.round-mark').innerText()).toBe('Se nærmere: Hoveddøren står åben');
    expect(await jensen.locator('.round-lines').innerText()).toContain('Hoveddøren åben siden kl. 00:02');
    // the other team's home is not on this care worker's round
    expect(await page.locator('li[data-home="b-1"]').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await screenshot(page, 'night-round-due');
  });

  it('one tap (keyboard) confirms a look; the home not looked at is re-listed at the top and marked', async () => {
    clock.set(MIDNIGHT + 4 * MIN); // 00:04
    // by keyboard: focus the first home's button and press Enter
    await page.locator('li[data-home="a-1"] button').focus();
    await page.keyboard.press('Enter');
    await page.locator('#round-status', { hasText: 'Fru Hansen: Du kiggede kl. 00:04' }).waitFor();
    await page.locator('li[data-home="a-2"] button').click();
    await page.locator('#round-status', { hasText: 'Hr. Jensen: Du kiggede kl. 00:04' }).waitFor();
    // 00:16: Fru Madsen was not looked at within 15 minutes
    clock.set(MIDNIGHT + 16 * MIN);
    for (const h of ['a-1', 'a-2', 'a-3']) await alive(h);
    await page.reload();
    await page.locator('#round-list > li').first().waitFor();
    const order = await page
      .locator('#round-list > li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-home')));
    expect(order).toEqual(['a-3', 'a-1', 'a-2']);
    const madsen = page.locator('li[data-home="a-3"]');
    expect(await madsen.getAttribute('class')).toContain('relisted');
    expect(await madsen.locator('.round-state').innerText()).toBe('Ikke set endnu: skal ses nu');
    expect(await page.locator('li[data-home="a-1"] .round-state').innerText()).toBe('Du kiggede kl. 00:04');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'night-round-relisted');
    expect(errorsOf(page)).toEqual([]);
  });

  it('the citizen reads, in Danish, that the night staff looked at their home', async () => {
    const citizen = await browser.newPage({ viewport: { width: 320, height: 720 } });
    await citizen.goto(board.url);
    await citizen.getByLabel('Brugernavn').fill('fru-hansen');
    await citizen.getByLabel('Adgangskode').fill(STAFF_PASSWORD);
    await citizen.getByLabel('Adgangskode').press('Enter');
    await citizen.getByRole('heading', { name: 'Hvem har set dine oplysninger' }).waitFor();
    const access = citizen.locator('#access-list');
    await access.getByText('kiggede på dit hjem under nattens tilsynsrunde').waitFor();
    const looked = access.locator('li', { hasText: 'kiggede på dit hjem' });
    const text = await looked.first().innerText();
    expect(text).toContain(
      `Medarbejder i hjemmeplejen: ${TEAMS.a.displayName} kiggede på dit hjem under nattens tilsynsrunde.`,
    );
    expect(linesOf(text).at(-1)).toMatch(/^29\.11\.2026,? 00[.:]04[.:]00 · Formål: natlig tilsynsrunde$/);
    // and the staff look through the API is the same line: the other team's care worker may not look
    const other = await ApiClient.login(board.url, TEAMS.b.staff, STAFF_PASSWORD);
    expect(
      (await other.request('POST', '/api/night-round/looks', { homeId: 'a-3', roundAt: MIDNIGHT })).status,
    ).toBe(404);
    await citizen.close();
  });

  it('a technician sees no night-round link (the API refuses them), an administrator no link to a round', async () => {
    await board.admin.ok('POST', '/api/users', {
      username: 'tekniker-nr',
      password: STAFF_PASSWORD,
      displayName: 'Tekniker',
      role: 'technician',
      teamIds: [TEAMS.a.id],
    });
    const technician = await ApiClient.login(board.url, 'tekniker-nr', STAFF_PASSWORD);
    expect((await technician.request('GET', '/api/night-round')).status).toBe(403);
    expect((await technician.request('GET', '/api/homes/a-1/night-round')).status).toBe(403);
    expect((await board.admin.request('GET', '/api/night-round')).status).toBe(403);

    const tech = await browser.newPage({ viewport: { width: 1024, height: 720 } });
    await tech.goto(board.url);
    await tech.getByLabel('Brugernavn').fill('tekniker-nr');
    await tech.getByLabel('Adgangskode').fill(STAFF_PASSWORD);
    await tech.getByLabel('Adgangskode').press('Enter');
    await tech.locator('#main-nav').waitFor();
    await tech.goto(`${board.url}/#/homes/a-1`);
    await tech.getByRole('heading', { name: 'Fru Hansen', exact: true }).waitFor();
    expect(await tech.locator('a[href*="tilsynsrunde"]').count()).toBe(0);
    expect(await tech.locator('#main-nav').innerText()).not.toContain('Tilsynsrunde');
    expect(errorsOf(tech)).toEqual([]);
    await tech.close();

    // an administrator sets a home's times (linked from the home) but walks no round (not linked)
    const admin = await browser.newPage({ viewport: { width: 1024, height: 720 } });
    await logIn(admin, board.url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.goto(`${board.url}/#/homes/a-1`);
    await admin.getByRole('heading', { name: 'Fru Hansen', exact: true }).waitFor();
    await admin.locator('a[href="#/homes/a-1/tilsynsrunde"]').click();
    await admin.locator('#round-times').waitFor();
    expect(await admin.locator('a[href="#tilsynsrunde"]').count()).toBe(0);
    expect(errorsOf(admin)).toEqual([]);
    await admin.close();
  });
});
