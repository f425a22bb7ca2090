import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE_TEXTS } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { card, eventually, horizontalOverflow, logIn, seesAlert } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

const CARD = {
  address: { lines: ['Nørrebrogade 12, 3. th.'], postcode: '2200', city: 'København N' },
  entry: { keyBoxLocation: 'Til venstre for hoveddøren', keyBoxCode: '4711' },
  accessNotes: 'Hund (venlig). Ingen elevator.',
  citizenPhone: '12345678',
  contacts: [
    { name: 'Dorte Hansen', relation: 'datter', phone: '+45 87 65 43 21', priority: 1 },
    { name: 'Nabo Jens', relation: 'nabo', phone: '+46 70 123 45 67', priority: 2 },
  ],
};

interface ConsentEvent {
  category: string;
  purpose: string;
  action: string;
  actorRole: string;
  channel: string;
  basis: string | null;
  reference: string | null;
  reviewDue: string | null;
  textVersion: string;
}

/** YYYY-MM-DD, `days` from today in Copenhagen */
const dayFromNow = (days: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen' }).format(Date.now() + days * 86_400_000);

/**
 * A care worker with a fall on the screen opens the home's responder's card in one tap and calls
 * with one more; staff keep the card and record consent given on paper and § 128 a decisions on the
 * home view, with the server's refusals in Danish.
 */
describe("the responder's card and staff-recorded consent in the browser", () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let fall: BoardAlert;
  let page: Page;

  const events = async () =>
    (await board.admin.ok<{ events: ConsentEvent[] }>('GET', '/api/homes/a-1/consent')).events;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({ homes: { a: ['Fru Hansen'] } });
    await board.admin.ok('PUT', '/api/homes/a-1/responder-card', CARD);
    fall = await board.raise('a-1', 'fall');
    await board.admin.ok('POST', '/api/users', {
      username: 'borger-a1',
      password: STAFF_PASSWORD,
      displayName: 'Fru Hansen',
      role: 'citizen',
      homeId: 'a-1',
    });
    // a phone in a care worker's hand
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(page, board.url, TEAMS.a.staff, STAFF_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('one tap on the alert opens the card: address, tel: links in order, the key-box code only on a tap', async () => {
    await seesAlert(page, fall.id);
    await card(page, fall.id).getByRole('link', { name: 'Beredskabskort' }).click();
    await page.getByRole('heading', { name: 'Beredskabskort: Fru Hansen' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/homes/a-1/card');
    expect(await page.locator('.responder-card address').innerText()).toContain('Nørrebrogade 12, 3. th.');
    const calls = page.locator('ul.calls a');
    expect(await calls.evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      'tel:+4512345678',
      'tel:+4587654321',
      'tel:+46701234567',
    ]);
    await page.getByRole('link', { name: /Ring til borgeren/ }).waitFor();
    await page.getByRole('link', { name: /Ring til Dorte Hansen \(datter\)/ }).waitFor();
    // large tap targets
    for (const box of await calls.evaluateAll((as) => as.map((a) => a.getBoundingClientRect().height)))
      expect(box).toBeGreaterThanOrEqual(44);
    expect(await page.locator('main').innerText()).not.toContain('4711');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Vis nøgleboks-kode' }).click();
    await page.getByText('Koden er 4711').waitFor();
    const log = await eventually(async () => {
      const { entries } = await board.admin.ok<{
        entries: Array<{ action: string; actorName: string | null }>;
      }>('GET', '/api/homes/a-1/access-log');
      return entries.find((e) => e.action === 'responder_card.key_box_code.read');
    });
    expect(log.actorName).toBe(TEAMS.a.displayName);
    await screenshot(page, 'responder-card-phone');
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it('at 320 px the card reflows without sideways scrolling', async () => {
    const narrow = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await logIn(narrow, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await narrow.goto(`${board.url}/#/homes/a-1/card`);
    await narrow.getByRole('heading', { name: 'Beredskabskort: Fru Hansen' }).waitFor();
    await narrow.locator('ul.calls').waitFor();
    const { scrollWidth, innerWidth } = await horizontalOverflow(narrow);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await narrow.getByRole('button', { name: 'Ret kortet' }).click();
    await narrow.getByRole('form', { name: 'Ret beredskabskortet' }).waitFor();
    const open = await horizontalOverflow(narrow);
    expect(open.scrollWidth).toBeLessThanOrEqual(open.innerWidth);
    await screenshot(narrow, 'responder-card-320');
    // in English too, with the same calls
    await narrow.getByRole('button', { name: 'English' }).click();
    await narrow.getByRole('heading', { name: "Responder's card: Fru Hansen" }).waitFor();
    await narrow.getByRole('link', { name: /Call the citizen/ }).waitFor();
    expect(await axeViolations(narrow)).toEqual([]);
    expect(errorsOf(narrow)).toEqual([]);
  });

  it('staff edit the card on the home view: a wrong number is refused in words, a right one becomes a call', async () => {
    await page.goto(`${board.url}/#/homes/a-1`);
    await page.getByRole('heading', { name: 'Beredskabskort', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Ret kortet' }).click();
    const form = page.getByRole('form', { name: 'Ret beredskabskortet' });
    // someone else saves while this form is open: the older form does not overwrite it
    await board.admin.ok('PUT', '/api/homes/a-1/responder-card', {
      ...CARD,
      accessNotes: 'Hunden er flyttet.',
    });
    await form.getByRole('button', { name: 'Gem kortet' }).click();
    await form.getByText(/en anden har ændret det, mens du rettede/).waitFor();
    await form.getByRole('button', { name: 'Fortryd' }).click();
    await page.getByText('Hunden er flyttet.').waitFor();
    await page.getByRole('button', { name: 'Ret kortet' }).click();
    await form.getByRole('button', { name: 'Tilføj kontakt' }).click();
    const third = form.getByRole('group', { name: 'Kontakt 3' });
    await third.getByLabel('Navn').fill('Egen læge');
    await third.getByLabel('Relation (fx datter, nabo)').fill('læge');
    await third.getByLabel('Telefon').fill('123');
    await form.getByRole('button', { name: 'Gem kortet' }).click();
    await form.getByText(/Kortet blev ikke gemt: et telefonnummer er ikke gyldigt/).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await third.getByLabel('Telefon').fill('44 55 66 77');
    await form.getByRole('button', { name: 'Gem kortet' }).click();
    await page.getByRole('status').filter({ hasText: 'Beredskabskortet er gemt.' }).waitFor();
    await page.getByRole('link', { name: /Ring til Egen læge \(læge\)/ }).waitFor();
    expect(await page.locator('a[href="tel:+4544556677"]').count()).toBe(1);
    // the code was kept: the form never sends it back
    const staff = await ApiClient.login(board.url, TEAMS.a.staff, STAFF_PASSWORD);
    const { keyBoxCode } = await staff.ok<{ keyBoxCode: string | null }>(
      'POST',
      '/api/homes/a-1/responder-card/key-box-code',
      {},
    );
    expect(keyBoxCode).toBe('4711');
  });

  it('removing a contact in the form keeps what was typed in the others, and the keyboard lands on "Tilføj kontakt"', async () => {
    await page.goto(`${board.url}/#/homes/a-1`);
    await page.getByRole('button', { name: 'Ret kortet' }).click();
    const form = page.getByRole('form', { name: 'Ret beredskabskortet' });
    const second = form.getByRole('group', { name: 'Kontakt 2' });
    await second.getByLabel('Relation (fx datter, nabo)').fill('nabo på 2. sal');
    // by keyboard: the first contact's remove button, then Enter
    await form.getByRole('button', { name: 'Fjern kontakt 1' }).focus();
    await page.keyboard.press('Enter');
    await form.getByRole('group', { name: 'Kontakt 3' }).waitFor({ state: 'detached' });
    // the old second row is now the first, with what was typed in it (not reset from the server)
    const first = form.getByRole('group', { name: 'Kontakt 1' });
    expect(await first.getByLabel('Navn').inputValue()).toBe('Nabo Jens');
    expect(await first.getByLabel('Relation (fx datter, nabo)').inputValue()).toBe('nabo på 2. sal');
    expect(await form.getByRole('group', { name: 'Kontakt 2' }).getByLabel('Navn').inputValue()).toBe(
      'Egen læge',
    );
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Tilføj kontakt');
    expect(await axeViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Fortryd' }).click();
    await page.getByRole('link', { name: /Ring til Dorte Hansen \(datter\)/ }).waitFor();
    expect(errorsOf(page)).toEqual([]);
  });

  it('staff record a paper consent with its reference and a § 128 a decision; a refused one says why', async () => {
    await page.goto(`${board.url}/#/homes/a-1`);
    const section = page.locator('section.staff-consent');
    await section.getByRole('heading', { name: 'Registrér samtykke' }).waitFor();
    const status = section.getByRole('status');

    // paper: a signed form, with its reference
    await section.getByLabel('Hvad drejer det sig om?').selectOption('sleep');
    await section.getByLabel('Til hvad?').selectOption('alerts');
    // the text shown is named by its title and the day it was first shown, never by its version id
    await section.getByText('(Søvn og seng – Alarm til hjemmeplejen, 23.11.2026)').waitFor();
    expect(await section.innerText()).not.toContain(PURPOSE_TEXTS.sleep.alerts.version);
    await section.getByLabel('På papir (blanket)').check();
    await section.getByLabel('Underskrevet blanket').check();
    await section.getByLabel('Blankettens nummer eller sagens reference').fill('Blanket 2026-118');
    await section.getByRole('button', { name: 'Registrér' }).click();
    await status.filter({ hasText: /^Registreret: Ja/ }).waitFor();
    expect((await events()).at(-1)).toMatchObject({
      category: 'sleep',
      purpose: 'alerts',
      action: 'grant',
      actorRole: 'staff',
      channel: 'paper',
      basis: 'paper_form',
      reference: 'Blanket 2026-118',
      textVersion: PURPOSE_TEXTS.sleep.alerts.version,
    });

    // a § 128 a decision whose review date has passed is refused, with the reason in Danish
    const before = (await events()).length;
    await section.getByLabel('Hvad drejer det sig om?').selectOption('door');
    await section.getByLabel('Afgørelse efter serviceloven § 128 a').check();
    await section.getByLabel('Blankettens nummer eller sagens reference').fill('Sag 2026-17');
    await section.getByLabel('Revurderes senest (ved § 128 a)').fill(dayFromNow(-1));
    await section.getByRole('button', { name: 'Registrér' }).click();
    await status
      .filter({ hasText: 'Ikke registreret: en afgørelse efter § 128 a skal have en revurderingsdato' })
      .waitFor();
    expect(await events()).toHaveLength(before);
    expect(await axeViolations(page)).toEqual([]);

    // with a date in the future it is recorded
    const review = dayFromNow(180);
    await section.getByLabel('Revurderes senest (ved § 128 a)').fill(review);
    await section.getByRole('button', { name: 'Registrér' }).click();
    await status.filter({ hasText: /^Registreret: Ja/ }).waitFor();
    expect((await events()).at(-1)).toMatchObject({
      category: 'door',
      basis: 'municipal_decision',
      reference: 'Sag 2026-17',
      reviewDue: review,
    });

    // the citizen's own consent, given by phone: a reference does not belong to it, and says so
    await section.getByLabel('Hvad drejer det sig om?').selectOption('environment');
    await section.getByLabel('I telefonen').check();
    await section.getByLabel('Borgerens eget samtykke').check();
    await section.getByLabel('Blankettens nummer eller sagens reference').fill('Blanket 2026-119');
    await section.getByRole('button', { name: 'Registrér' }).click();
    await status
      .filter({ hasText: /Ikke registreret: en reference hører kun til en underskrevet blanket/ })
      .waitFor();
    await screenshot(page, 'staff-consent-refused');
    await section.getByLabel('Blankettens nummer eller sagens reference').fill('');
    await section.getByRole('button', { name: 'Registrér' }).click();
    await status.filter({ hasText: /^Registreret: Ja/ }).waitFor();
    expect((await events()).at(-1)).toMatchObject({
      category: 'environment',
      actorRole: 'staff',
      channel: 'phone',
      basis: 'own_consent',
      reference: null,
    });
    expect(errorsOf(page)).toEqual([]);
  });

  it('the citizen sees and edits their own card on a narrow phone, and sees that staff looked at it', async () => {
    const own = await browser.newPage({ viewport: { width: 320, height: 800 } });
    await own.goto(board.url);
    await own.getByLabel('Brugernavn').fill('borger-a1');
    await own.getByLabel('Adgangskode').fill(STAFF_PASSWORD);
    await own.getByLabel('Adgangskode').press('Enter');
    await own.getByRole('heading', { name: 'Beredskabskort' }).waitFor();
    await own.getByRole('link', { name: /Ring til Dorte Hansen/ }).waitFor();
    // staff's reads of the card are in the citizen's list of who looked
    await own
      .locator('#access-list')
      .getByText(`${TEAMS.a.displayName} så beredskabskortet`)
      .first()
      .waitFor();
    await own.locator('#access-list').getByText('så nøgleboks-koden').first().waitFor();

    await own.getByRole('button', { name: 'Ret kortet' }).click();
    await own.getByLabel('Borgerens telefon').fill('+45 20 30 40 50');
    expect(await axeViolations(own)).toEqual([]);
    await own.getByRole('button', { name: 'Gem kortet' }).click();
    await own.getByRole('status').filter({ hasText: 'Beredskabskortet er gemt.' }).waitFor();
    expect(await own.locator('a[href="tel:+4520304050"]').count()).toBe(1);
    const { scrollWidth, innerWidth } = await horizontalOverflow(own);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await axeViolations(own)).toEqual([]);
    await screenshot(own, 'responder-card-citizen');
    expect(errorsOf(own)).toEqual([]);
  });
});
