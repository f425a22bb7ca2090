import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { logIn } from './harness/board-page.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * A care worker records a relative's power of attorney on the home view after seeing the
 * document, and revokes it; the relative's access follows at once.
 */
describe('the citizen’s routine and powers of attorney on the home view', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;
  let page: Page;
  const password = 'password-123';
  const relativeHomes = async () => {
    const relative = await ApiClient.login(platform.dashboardUrl, 'datter', password);
    return (await relative.ok<{ homes: Array<{ id: string }> }>('GET', '/api/homes')).homes.map((h) => h.id);
  };

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('attorney') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Lund, Skovvej 2', teamId: 'team-a' });
    for (const [username, role, teamIds] of [
      ['sosu-a', 'staff', ['team-a']],
      ['datter', 'relative', []],
    ] as const)
      await admin.ok('POST', '/api/users', {
        username,
        password,
        displayName: `${username} D.`,
        role,
        teamIds,
      });
    page = await browser.newPage();
    await logIn(page, platform.dashboardUrl, 'sosu-a', password);
    await page.goto(`${platform.dashboardUrl}/#/homes/home-a`);
    await page.getByRole('heading', { name: 'Pårørende med fuldmagt' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('a care worker sets the routine: minutes and daytime periods, saved and used by the platform', async () => {
    await page.getByRole('heading', { name: 'Borgerens rutine' }).waitFor();
    await page.getByLabel('Alarm efter så mange minutter uden bevægelse').fill('90');
    await page.getByRole('button', { name: 'Tilføj dagperiode' }).click();
    const second = page.getByRole('group', { name: 'Dagperiode 2' });
    await second.getByLabel('Fra').fill('13:30');
    await second.getByLabel('Til').fill('21:00');
    await page.getByRole('group', { name: 'Dagperiode 1' }).getByLabel('Til').fill('12:00');
    await page.getByRole('button', { name: 'Gem rutine' }).click();
    await page.getByText('Rutinen er gemt og gælder fra nu.').waitFor();
    expect(platform.registry.home('home-a')?.settings).toMatchObject({
      inactivity: {
        minutes: 90,
        windows: [
          { start: '07:00', end: '12:00' },
          { start: '13:30', end: '21:00' },
        ],
      },
    });
    // periods that overlap are refused, and the saved routine stays
    await second.getByLabel('Fra').fill('11:00');
    await page.getByRole('button', { name: 'Gem rutine' }).click();
    await page.getByText(/Rutinen blev ikke gemt/).waitFor();
    expect(platform.registry.home('home-a')?.settings).toMatchObject({
      inactivity: { windows: [{ start: '07:00' }, { start: '13:30' }] },
    });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('an unknown username is refused in plain words, and nothing is recorded', async () => {
    await page.getByLabel('Den pårørendes brugernavn').fill('ukendt');
    await page.getByLabel('Fuldmagtens reference (fx journalnummer)').fill('J.nr. 1');
    await page.getByRole('button', { name: 'Registrér fuldmagt' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Der findes ingen pårørende med det brugernavn.' })
      .waitFor();
    expect(await relativeHomes()).toEqual([]);
  });

  it('recording gives the relative that citizen; revoking takes it away again', async () => {
    await page.getByLabel('Den pårørendes brugernavn').fill('datter');
    await page.getByLabel('Fuldmagtens reference (fx journalnummer)').fill('Fremtidsfuldmagt 2026-44');
    await page.getByRole('button', { name: 'Registrér fuldmagt' }).click();
    await page.getByRole('status').filter({ hasText: 'Fuldmagten er registreret.' }).waitFor();
    expect(await page.locator('ul.attorneys').innerText()).toContain('datter D. – Fremtidsfuldmagt 2026-44');
    expect(await relativeHomes()).toEqual(['home-a']);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'home-view-attorney');

    await page.getByRole('button', { name: 'Tilbagekald: datter D.' }).click();
    await page.getByRole('status').filter({ hasText: 'Fuldmagten er tilbagekaldt.' }).waitFor();
    expect(await page.locator('ul.attorneys').innerText()).toContain('tilbagekaldt');
    expect(await relativeHomes()).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });
});
