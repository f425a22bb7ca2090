import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { horizontalOverflow } from './harness/board-page.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

const logIn = async (page: Page, url: string, username: string, password: string) => {
  await page.goto(url);
  await page.getByLabel('Brugernavn').fill(username);
  await page.getByLabel('Adgangskode', { exact: true }).fill(password);
  await page.getByLabel('Adgangskode', { exact: true }).press('Enter');
  await page.getByRole('button', { name: /Log ud/ }).waitFor();
};

/**
 * A Monday morning on a phone (320 px): the administrator sets up a new team and a care worker in
 * it, resets the care worker's password; the care worker logs in with it and must choose a new one
 * before anything else.
 */
describe('administration in the browser', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;
  let admin: Page;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('admin') });
    browser = await TestBrowser.launch();
    admin = await browser.newPage({ viewport: { width: 320, height: 800 } });
    await logIn(admin, platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('creates a team and a staff user in it, resets the password; the user must change it at login', async () => {
    await admin.getByRole('link', { name: 'Administration' }).click();
    await admin.getByRole('heading', { name: 'Administration', level: 2 }).waitFor();
    await admin.getByRole('heading', { name: 'Indstillinger i brug' }).waitFor();

    const newTeam = admin.getByRole('form', { name: 'Nyt team' });
    await newTeam.getByLabel('Teamets id').fill('team-vest');
    await newTeam.getByLabel('Teamets navn').fill('Hjemmepleje Vest');
    await newTeam.getByRole('button', { name: 'Opret' }).click();
    await admin.getByLabel('Teamets navn: Hjemmepleje Vest').waitFor();

    const newUser = admin.getByRole('form', { name: 'Ny bruger' });
    await newUser.getByLabel('Brugernavn').fill('sosu-vest');
    await newUser.getByLabel('Navn', { exact: true }).fill('Vera Vest');
    await newUser.getByLabel('Rolle').selectOption('staff');
    await newUser.getByLabel('Hjemmepleje Vest').check();
    // here it is the reset, not the first login, that makes her choose a new password
    await newUser.getByLabel(/Skal vælge sin egen adgangskode/).uncheck();
    // too short a password is refused in words, on the field
    await newUser.getByLabel(/Første adgangskode/).fill('kort');
    await newUser.getByRole('button', { name: 'Opret' }).click();
    await expect.poll(() => newUser.getByRole('alert').innerText()).toMatch(/Første adgangskode.*for kort/);
    await newUser.getByLabel(/Første adgangskode/).fill('start-password-1');
    await newUser.getByRole('button', { name: 'Opret' }).click();
    const vera = admin.getByRole('listitem').filter({ hasText: '(sosu-vest)' });
    await vera.waitFor();
    expect(await vera.innerText()).toContain('Hjemmepleje Vest');

    await vera.getByRole('button', { name: 'Nulstil adgangskode: sosu-vest' }).click();
    const shown = await vera.getByRole('status').filter({ hasText: 'Midlertidig adgangskode' }).innerText();
    const temporary = /: ([\w-]{16}) /.exec(shown)?.[1];
    expect(temporary, shown).toBeTruthy();

    expect(await axeViolations(admin)).toEqual([]);
    const { scrollWidth, innerWidth } = await horizontalOverflow(admin);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await screenshot(admin, 'administration-320');

    // the care worker, on another device
    const worker = await browser.newPage({ viewport: { width: 320, height: 800 } });
    await logIn(worker, platform.dashboardUrl, 'sosu-vest', temporary!);
    await worker.getByRole('heading', { name: 'Vælg en ny adgangskode' }).waitFor();
    expect(await worker.locator('#alerts, .alerts').count()).toBe(0);
    expect(await axeViolations(worker)).toEqual([]);
    await worker.getByLabel('Nuværende (midlertidig) adgangskode').fill(temporary!);
    await worker.getByLabel(/^Ny adgangskode/).fill('veras-own-pass-1');
    await worker.getByLabel('Gentag den nye adgangskode').fill('veras-own-pass-2');
    await worker.getByRole('button', { name: 'Skift adgangskode' }).click();
    await worker.getByRole('alert').filter({ hasText: 'ikke ens' }).waitFor();
    await worker.getByLabel('Gentag den nye adgangskode').fill('veras-own-pass-1');
    await worker.getByRole('button', { name: 'Skift adgangskode' }).click();
    // now the board
    await worker.locator('#connection', { hasText: /^Forbundet$/ }).waitFor({ timeout: 10_000 });
    // and the new password is the one that works
    await ApiClient.login(platform.dashboardUrl, 'sosu-vest', 'veras-own-pass-1');
    expect(errorsOf(admin)).toEqual([]);
    expect(errorsOf(worker)).toEqual([]);
  });

  it('edits a user and a home by keyboard alone; Escape closes a form and focus goes back to its button', async () => {
    const api = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await api.ok('POST', '/api/homes', {
      id: 'vest-1',
      label: 'Fru Holm, Vestergade 2',
      teamId: 'team-vest',
    });
    const focused = () =>
      admin.evaluate(() => {
        const a = document.activeElement;
        return { label: a?.getAttribute('aria-label') ?? '', name: a?.getAttribute('name') ?? '' };
      });

    // a user: Enter opens the form with focus in it, Escape closes it and gives focus back
    const vera = admin.getByRole('listitem').filter({ hasText: '(sosu-vest)' });
    await vera.getByRole('button', { name: 'Redigér: sosu-vest' }).focus();
    await admin.keyboard.press('Enter');
    await expect.poll(focused).toEqual({ label: '', name: 'displayName' });
    await admin.keyboard.press('Escape');
    await expect.poll(focused).toEqual({ label: 'Redigér: sosu-vest', name: '' });
    await admin.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).name).toBe('displayName');
    await admin.keyboard.press('ControlOrMeta+a');
    await admin.keyboard.type('Vera Vestergaard');
    await admin.keyboard.press('Enter');
    await vera.getByRole('status').filter({ hasText: 'Gemt.' }).waitFor();
    expect(await vera.innerText()).toContain('Vera Vestergaard');
    await expect.poll(focused).toEqual({ label: 'Redigér: sosu-vest', name: '' });
    expect(
      (await api.ok<{ users: Array<{ username: string; displayName: string }> }>('GET', '/api/users')).users,
    ).toContainEqual(expect.objectContaining({ username: 'sosu-vest', displayName: 'Vera Vestergaard' }));

    // a new home in the team, from the form
    const newHome = admin.getByRole('form', { name: 'Nyt hjem' });
    await newHome.getByLabel('Hjemmets id').fill('vest-2');
    await newHome.getByLabel('Navn på hjemmet').fill('Hr. Lund, Vestergade 9');
    await newHome.getByLabel('Team').selectOption('team-vest');
    await newHome.getByRole('button', { name: 'Opret' }).click();
    await newHome.getByRole('status').filter({ hasText: 'Oprettet.' }).waitFor();
    expect((await api.ok<{ home: { teamId: string } }>('GET', '/api/homes/vest-2')).home.teamId).toBe(
      'team-vest',
    );

    // a home, found by the server's search: the list is keyed, so its item keeps its message
    await admin.getByLabel('Søg efter hjem (id eller navn)').fill('Vestergade');
    const home = admin.getByRole('listitem').filter({ hasText: '(vest-1)' });
    await home.getByRole('button', { name: 'Redigér: Fru Holm, Vestergade 2' }).focus();
    await admin.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).name).toBe('label');
    await admin.keyboard.press('ControlOrMeta+a');
    await admin.keyboard.type('Fru Holm, Vestergade 4');
    await admin.keyboard.press('Enter');
    await home.getByRole('status').filter({ hasText: 'Gemt.' }).waitFor();
    await expect.poll(focused).toEqual({ label: 'Redigér: Fru Holm, Vestergade 4', name: '' });
    expect(await axeViolations(admin)).toEqual([]);
    expect(errorsOf(admin)).toEqual([]);
  });
});
