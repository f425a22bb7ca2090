import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText } from '../../services/domain/index.ts';
import { ManualClock } from '../../services/runtime/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { logIn } from './harness/board-page.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * Issue 7 item 12 in Chromium: the citizen switches emergency alerts off with one tap; the page
 * says before and after what stops, since when and how to undo it; the care worker of the home's
 * team sees it on the open board at once (no reload) and on the home view, and the door's night
 * text says it is off. A care worker of another team sees nothing.
 */
describe('switching emergency alerts off is never silent', () => {
  const dir = tempDir();
  // 28 November 2026, 10:12 in Copenhagen (UTC+1)
  const withdrawnAt = Date.UTC(2026, 10, 28, 9, 12, 0);
  // ten minutes before: sessions (idle 30 min) stay alive when the clock moves on
  const clock = new ManualClock(withdrawnAt - 10 * 60_000);
  const password = 'password-123';
  let platform: Platform;
  let browser: TestBrowser;
  let citizenPage: Page;
  let boardA: Page;
  let boardB: Page;
  const framesB: string[] = [];

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('withdraw'), clock });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const team of ['team-a', 'team-b']) await admin.ok('POST', '/api/teams', { id: team, name: team });
    await admin.ok('POST', '/api/homes', { id: 'demo-1', label: 'Ellen (demo-1)', teamId: 'team-a' });
    for (const [username, team] of [
      ['sosu-a', 'team-a'],
      ['sosu-b', 'team-b'],
    ] as const)
      await admin.ok('POST', '/api/users', {
        username,
        password,
        displayName: username,
        role: 'staff',
        teamIds: [team],
      });
    await admin.ok('POST', '/api/users', {
      username: 'ellen',
      password,
      displayName: 'Ellen',
      role: 'citizen',
      homeId: 'demo-1',
    });
    const citizen = await ApiClient.login(platform.dashboardUrl, 'ellen', password);
    await citizen.ok('POST', '/api/homes/demo-1/consent', {
      category: 'emergency',
      purpose: 'alerts',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('emergency', 'alerts').version,
    });
    boardA = await browser.newPage();
    boardB = await browser.newPage();
    boardB.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => framesB.push(String(payload))));
    citizenPage = await browser.newPage();
    await logIn(boardA, platform.dashboardUrl, 'sosu-a', password);
    await logIn(boardB, platform.dashboardUrl, 'sosu-b', password);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('before: the switch says what would stop; an alert that is off is said to be off', async () => {
    await citizenPage.goto(platform.dashboardUrl);
    await citizenPage.getByLabel('Brugernavn').fill('ellen');
    await citizenPage.getByLabel('Adgangskode').fill(password);
    await citizenPage.getByLabel('Adgangskode').press('Enter');
    await citizenPage.getByRole('heading', { name: 'Dit hjem' }).waitFor();
    expect(await citizenPage.isChecked('#consent-emergency-alerts')).toBe(true);
    expect(await citizenPage.locator('#consent-emergency-alerts-effect').innerText()).toBe(
      'Hvis du slår dette fra, får hjemmeplejen ikke besked, når du trykker på nødkaldet eller falder.',
    );
    // the switch's description is read out with it
    expect(await citizenPage.getAttribute('#consent-emergency-alerts', 'aria-describedby')).toContain(
      'consent-emergency-alerts-effect',
    );
    // the door's night alert was never given: its text says it is off, not that staff will be told
    expect(await citizenPage.locator('#consent-door-alerts-effect').innerText()).toBe(
      'Slået fra. Hjemmeplejen får ikke besked, hvis hoveddøren bliver åbnet om natten, og du ikke kommer tilbage.',
    );
    expect(await citizenPage.locator('#consent-door-alerts-text').innerText()).toMatch(
      /^Hvis du slår det til: Bliver hoveddøren åbnet om natten/,
    );
    // and the board has nothing to say yet
    expect(await boardA.locator('.alerts-off').isHidden()).toBe(true);
  });

  it('one tap switches it off; the page then says what stopped, since when and how to undo it', async () => {
    clock.set(withdrawnAt);
    await citizenPage.locator('#consent-emergency-alerts').click();
    const status = citizenPage.locator('#citizen-status');
    await status.filter({ hasText: 'Gemt' }).waitFor();
    expect(await status.innerText()).toBe(
      'Gemt 28.11 kl. 10.12: Alarm til hjemmeplejen (nødsituationer) er slået fra. ' +
        'Hjemmeplejen får ikke besked, når du trykker på nødkaldet eller falder. ' +
        'Hjemmeplejen kan se, at det er slået fra. Du kan slå det til igen med samme knap.',
    );
    expect(await citizenPage.isChecked('#consent-emergency-alerts')).toBe(false);
    expect(await citizenPage.locator('#consent-emergency-alerts-effect').innerText()).toBe(
      'Slået fra siden 28.11 kl. 10.12. Hjemmeplejen får ikke besked, når du trykker på nødkaldet eller falder. Du kan slå det til igen her.',
    );
    expect(platform.consent.allows('demo-1', 'emergency', 'alerts')).toBe(false);
    expect(await axeViolations(citizenPage)).toEqual([]);
    await screenshot(citizenPage, 'citizen-emergency-off');
  });

  it("the home's care worker sees it on the open board at once; another team sees nothing", async () => {
    const notice = boardA.locator('.alerts-off li');
    await notice.first().waitFor({ timeout: 5000 });
    expect(await notice.allInnerTexts()).toEqual([
      'Ellen (demo-1): alarm ved nødkald og fald er slået fra siden 28.11 kl. 10.12 af borgeren',
    ]);
    expect(await boardA.locator('#announcer').innerText()).toContain('Samtykke ændret');
    expect(await axeViolations(boardA)).toEqual([]);
    await screenshot(boardA, 'board-alerts-off');
    expect(await boardB.locator('.alerts-off').isHidden()).toBe(true);
    expect(framesB.join('\n')).not.toContain('demo-1');
  });

  it('the home view shows which alerts are off and since when, and the night text follows', async () => {
    await boardA.goto(`${platform.dashboardUrl}/#/homes/demo-1`);
    const section = boardA.locator('.alerts-consent');
    await section.waitFor();
    expect(await section.locator('dd[data-category="emergency"]').innerText()).toBe(
      'Slået fra siden 28.11 kl. 10.12 af borgeren',
    );
    expect(await section.locator('dd[data-category="door"]').innerText()).toBe(
      'Ikke slået til – borgeren har ikke sagt ja',
    );
    const intro = boardA.locator('.routine-intro');
    await intro.waitFor();
    expect(await intro.innerText()).toBe(
      'Alarm for manglende bevægelse er slået fra. Alarmer om hoveddøren og om at være ude af sengen om natten er slået fra.',
    );
    expect(await axeViolations(boardA)).toEqual([]);
    expect([...errorsOf(boardA), ...errorsOf(citizenPage)]).toEqual([]);
  });
});
