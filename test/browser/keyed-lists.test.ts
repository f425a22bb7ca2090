import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { errorsOf, TestBrowser } from './harness/chromium.ts';

const PASSWORD = 'password-123';

/**
 * The web app's lists are keyed: a live update that puts a new item above one the technician is on
 * leaves that item's DOM node (and the focus on its button) where it was. A list drawn again by
 * position would hand the node to the new item, and the keyboard user's focus with it, so a press of
 * Enter would clear the wrong alert. Identity is checked with a property set on the node itself.
 */
describe('keyed lists in Chromium', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;
  let tech: ApiClient;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('keyed') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Jensen', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes/home-a/devices', { id: 'sensor-1', kinds: ['smoke', 'water_leak'] });
    for (const [username, role, homeId] of [
      ['tekniker', 'technician', null],
      ['borger-a', 'citizen', 'home-a'],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: PASSWORD,
        displayName: username,
        role,
        teamIds: [],
        ...(homeId ? { homeId } : {}),
      });
    }
    const citizen = await ApiClient.login(platform.dashboardUrl, 'borger-a', PASSWORD);
    await citizen.ok('POST', '/api/homes/home-a/consent', {
      category: 'environment',
      purpose: 'alerts',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('environment', 'alerts').version,
    });
    tech = await ApiClient.login(platform.dashboardUrl, 'tekniker', PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  const testAlertRules = (page: Page) =>
    page.locator('li.test-alert').evaluateAll((items) => items.map((li) => li.getAttribute('data-rule')));

  it('a test alert arriving live above the one in focus keeps its row and the focus on its button', async () => {
    await tech.ok('POST', '/api/devices/sensor-1/test-reading', { kind: 'smoke', value: 1 });
    const page = await browser.newPage();
    await page.goto(`${platform.dashboardUrl}#/technician/home-a`);
    await page.getByLabel('Brugernavn').fill('tekniker');
    await page.getByLabel('Adgangskode').fill(PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    const smoke = page.locator('li.test-alert[data-rule="smoke"]');
    await smoke.waitFor({ timeout: 10_000 });
    // typed in a device card, not saved
    await page.locator('li.device[data-device-id="sensor-1"]').waitFor();
    await page.getByLabel('Rapporteringsinterval (sekunder)').first().fill('77');
    // the technician is on the smoke alert's button; the row is marked as this very node
    await smoke.getByRole('button', { name: /Ryd/ }).focus();
    await smoke.evaluate((li) => {
      (li as HTMLElement & { keyedMark?: string }).keyedMark = 'the smoke row';
    });

    // a newer test alert comes over /live and is listed first, above the smoke alert
    await tech.ok('POST', '/api/devices/sensor-1/test-reading', { kind: 'water_leak', value: 1 });
    await page.locator('li.test-alert[data-rule="water_leak"]').waitFor({ timeout: 10_000 });
    expect(await testAlertRules(page)).toEqual(['water_leak', 'smoke']);

    const after = await page.evaluate(() => {
      const marked = [...document.querySelectorAll('li.test-alert')].find(
        (li) => (li as HTMLElement & { keyedMark?: string }).keyedMark === 'the smoke row',
      );
      const active = document.activeElement;
      return {
        markedRule: marked?.getAttribute('data-rule') ?? null,
        focusedRule: active?.closest('li.test-alert')?.getAttribute('data-rule') ?? null,
        focusedLabel: active?.getAttribute('aria-label') ?? null,
      };
    });
    // the same node is still the smoke alert's row, and focus is still on the smoke alert's button
    expect(after).toEqual({
      markedRule: 'smoke',
      focusedRule: 'smoke',
      focusedLabel: 'Ryd: Røg registreret',
    });

    // a device refresh (every 5 s) leaves what is typed in the card alone
    await page.waitForTimeout(6000);
    expect(await page.getByLabel('Rapporteringsinterval (sekunder)').first().inputValue()).toBe('77');

    // Enter on the focused button clears the smoke alert, not the newer one
    await page.keyboard.press('Enter');
    await smoke.waitFor({ state: 'detached' });
    expect(await testAlertRules(page)).toEqual(['water_leak']);
    expect(errorsOf(page)).toEqual([]);
  });
});
