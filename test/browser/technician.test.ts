import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText, topics } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import {
  CHROMIUM_ARGS as ARGS,
  axeViolations,
  CHROMIUM_PATH as CHROMIUM,
  SCREENSHOT_DIR as SCREENSHOTS,
} from './harness/chromium.ts';

const PASSWORD = 'password-123';

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/**
 * The technician page and the staff home view in a real Chromium against the real platform: a
 * technician provisions a device and sees its secret once (and the secret connects to the broker),
 * sends test readings and clears the test alert; a care worker opens the home and sees a chart where
 * the citizen allowed a history, and the reason where not. axe-core finds no WCAG 2.1 AA violation.
 */
describe('technician page and staff home view in Chromium', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const devices: MqttClient[] = [];
  let secret = '';

  const newPage = async (width = 1024) => {
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      locale: 'da-DK',
      timezoneId: 'Europe/Copenhagen',
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    return { page, errors };
  };
  const logIn = async (page: Page, username: string) => {
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill(username);
    await page.getByLabel('Adgangskode').fill(PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
  };

  beforeAll(async () => {
    // the browser first: without it the file fails at once, saying what to do
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: run \`bash scripts/setup.sh\` (it installs Debian's chromium)`,
      );
    }
    // Playwright gives each launch a fresh temporary user-data-dir and removes it on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      chromiumSandbox: false,
    });
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('techweb') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Jensen, Ahornvej 3', teamId: 'team-a' });
    for (const [username, role, teamIds, homeId] of [
      ['tekniker', 'technician', [], null],
      ['sosu-a', 'staff', ['team-a'], null],
      ['borger-a', 'citizen', [], 'home-a'],
    ] as const) {
      await admin.ok('POST', '/api/users', {
        username,
        password: PASSWORD,
        displayName: username,
        role,
        teamIds,
        ...(homeId ? { homeId } : {}),
      });
    }
    // environment with history; emergency alerts only: no history of falls is kept
    const citizen = await ApiClient.login(platform.dashboardUrl, 'borger-a', PASSWORD);
    for (const [category, purpose] of [
      ['environment', 'alerts'],
      ['environment', 'history'],
      ['emergency', 'alerts'],
    ]) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category,
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: informationText(category as 'emergency', purpose as 'alerts').version,
      });
    }
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync()));
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('a technician provisions a device, sees its secret once, sends test readings and clears the test alert', async () => {
    const { page, errors } = await newPage();
    await logIn(page, 'tekniker');
    await page.getByRole('heading', { name: 'Teknik', level: 2 }).waitFor();
    await page.getByRole('heading', { name: 'Hjem: Fru Jensen, Ahornvej 3' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.getByLabel('Enheds-id').fill('sensor-1');
    for (const kind of ['Røg', 'Temperatur', 'Fald', 'Batteri'])
      await page.getByLabel(kind, { exact: true }).check();
    await page.getByLabel('Rapporteringsinterval (sekunder)').fill('60');
    await page.getByRole('button', { name: 'Opret enhed' }).click();

    const panel = page.getByRole('region', { name: 'Hemmelighed for sensor-1' });
    await panel.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('secret-title');
    await panel.getByText('Den vises ikke igen.').waitFor();
    secret = await panel.getByLabel('Hemmelighed').inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await shot(page, 'technician-secret-once');
    expect(await axeViolations(page)).toEqual([]);
    // the copy button puts it on the clipboard (or says to copy by hand)
    await panel.getByRole('button', { name: 'Kopiér', exact: true }).click();
    await panel.getByText(/Kopieret\.|Kunne ikke kopiere/).waitFor();

    // the secret from the page is what the broker accepts: a real device connects and reports
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'sensor-1',
      username: 'sensor-1',
      password: secret,
      reconnectPeriod: 0,
    });
    devices.push(device);
    let seq = 0;
    for (const [kind, value] of [
      ['battery', 92],
      ['temperature', 20.5],
    ] as const) {
      await device.publishAsync(
        topics.readings('home-a', 'sensor-1'),
        JSON.stringify({ kind, value, ts: Date.now(), seq: ++seq }),
        { qos: 1 },
      );
    }
    const card = page.locator('li.device[data-device-id="sensor-1"]');
    await card.getByText('Online').waitFor({ timeout: 10_000 });
    await card.getByText('92 %').waitFor({ timeout: 10_000 });

    await panel.getByRole('button', { name: 'Jeg har gemt den' }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);

    // a test temperature (stored: history consent) and a test smoke reading (a test alert)
    await card.getByLabel('Måling').selectOption('temperature');
    await card.getByLabel('Værdi').fill('23.5');
    await card.getByRole('button', { name: 'Send testmåling' }).click();
    await page.getByText('Testmåling sendt: Temperatur = 23,5 °C.').waitFor();
    await card.getByLabel('Måling').selectOption('smoke');
    await card.getByRole('button', { name: 'Send testmåling' }).click();
    const testAlert = page.locator('li.test-alert[data-rule="smoke"]');
    await testAlert.waitFor({ timeout: 10_000 });
    await shot(page, 'technician-test-alert');
    expect(await axeViolations(page)).toEqual([]);
    // care staff never see it
    const staff = await ApiClient.login(platform.dashboardUrl, 'sosu-a', PASSWORD);
    const staffAlerts = await staff.ok<{ alerts: Array<{ rule: string }> }>('GET', '/api/alerts');
    expect(staffAlerts.alerts.some((a) => a.rule === 'smoke')).toBe(false);

    await testAlert.getByRole('button', { name: /Ryd/ }).click();
    await testAlert.waitFor({ state: 'detached' });
    await page.getByText('Ingen åbne testalarmer.').waitFor();

    // never shown again, not even after a reload
    await page.reload();
    await page.locator('li.device[data-device-id="sensor-1"]').waitFor();
    expect(await page.content()).not.toContain(secret);
    // the form is ready for the next device, with its default interval
    expect(await page.getByLabel('Rapporteringsinterval (sekunder)').last().inputValue()).toBe('300');
    expect(errors).toEqual([]);

    // on a 320 px phone: nothing needs sideways scrolling, and still no violations
    const narrow = await newPage(320);
    await logIn(narrow.page, 'tekniker');
    await narrow.page.locator('li.device[data-device-id="sensor-1"]').getByText('Online').waitFor();
    expect(await narrow.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
      true,
    );
    await shot(narrow.page, 'technician-320');
    expect(await axeViolations(narrow.page)).toEqual([]);
    expect(narrow.errors).toEqual([]);
  }, 60_000);

  it('a care worker sees a chart where history is consented to, and why not where it is not (320 px too)', async () => {
    for (const width of [1024, 320]) {
      const { page, errors } = await newPage(width);
      await logIn(page, 'sosu-a');
      await page
        .getByRole('navigation', { name: 'Hovedmenu' })
        .getByRole('link', { name: 'Borgere' })
        .click();
      await page.getByRole('link', { name: 'Fru Jensen, Ahornvej 3' }).click();
      await page.getByRole('heading', { name: 'Fru Jensen, Ahornvej 3', level: 2 }).waitFor();
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');

      const device = page.locator('li.device[data-device-id="sensor-1"]');
      await device.getByText('Online').waitFor();
      await device.getByText('92 %').waitFor();

      const temperature = page.locator('section.kind-readings[data-kind="temperature"]');
      const chart = temperature.getByRole('img');
      await chart.waitFor();
      expect(await chart.getAttribute('aria-label')).toMatch(
        /Temperatur for sensor-1.*fra 20,5 °C til 23,5 °C/,
      );
      const table = temperature.getByRole('table');
      await table.getByRole('rowheader', { name: 'sensor-1' }).waitFor();
      expect(await table.getByRole('row').nth(1).innerText()).toMatch(/2\s+20,5 °C\s+23,5 °C\s+23,5 °C/);
      // the technician's reading is marked as a test reading
      await temperature.getByText('Hule cirkler er testmålinger fra en tekniker.').waitFor();

      const fall = page.locator('section.kind-readings[data-kind="fall"]');
      await fall
        .getByText('Borgeren har ikke givet samtykke til, at der gemmes historik for nødkald og fald.')
        .waitFor();
      expect(await fall.getByRole('img').count()).toBe(0);

      await page.getByRole('radio', { name: '7 dage' }).check();
      await expect
        .poll(() => temperature.getByRole('img').getAttribute('aria-label'))
        .toMatch(/sidste 7 dage/);
      await temperature.getByRole('img').waitFor();

      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await shot(page, `home-view-${width}`);
      expect(await axeViolations(page)).toEqual([]);

      if (width === 1024) {
        await page.getByRole('button', { name: 'English' }).click();
        await page
          .getByText('The citizen has not consented to keeping a history of emergency calls and falls.')
          .waitFor();
        await page.locator('section.kind-readings[data-kind="temperature"]').getByRole('img').waitFor();
        await shot(page, 'home-view-en');
        expect(await axeViolations(page)).toEqual([]);
        await page.getByRole('button', { name: 'Dansk' }).click();
      }
      expect(errors).toEqual([]);
    }
  }, 60_000);
  it("test mode: the technician starts it; the home's care staff see it on the board and the home view; a real fall still reaches them", async () => {
    const tech = await newPage();
    await logIn(tech.page, 'tekniker');
    await tech.page.getByRole('heading', { name: 'Hjem: Fru Jensen, Ahornvej 3' }).waitFor();
    await tech.page.getByLabel('Minutter (højst 240)').fill('30');
    await tech.page.getByRole('button', { name: 'Start testtilstand' }).click();
    await tech.page
      .locator('#home-test-state')
      .getByText(/I testtilstand til kl\. \d\d[.:]\d\d/)
      .waitFor();
    expect(await axeViolations(tech.page)).toEqual([]);

    const staff = await newPage();
    await logIn(staff.page, 'sosu-a');
    const banner = staff.page.locator('#test-mode-banner');
    await banner
      .getByText(/Testtilstand: en tekniker tester Fru Jensen, Ahornvej 3 indtil kl\. \d\d[.:]\d\d\./)
      .waitFor();
    // a fall over MQTT while the home is in test mode: on the board, marked, for staff to judge
    await devices[0]!.publishAsync(
      topics.readings('home-a', 'sensor-1'),
      JSON.stringify({ kind: 'fall', value: 1, ts: Date.now(), seq: 1000 }),
      { qos: 1 },
    );
    const card = staff.page.locator('li.alert', { hasText: 'Under test' });
    await card.waitFor({ timeout: 10_000 });
    await shot(staff.page, 'board-test-mode');
    expect(await axeViolations(staff.page)).toEqual([]);

    // the home view says it too
    const home = await newPage();
    await logIn(home.page, 'sosu-a');
    await home.page.goto(`${platform.dashboardUrl}/#/homes/home-a`);
    await home.page
      .locator('#home-test-mode')
      .getByText(/Testtilstand: en tekniker tester/)
      .waitFor();
    expect(await axeViolations(home.page)).toEqual([]);

    // the care worker ends it on the home view: gone from the board at once
    await home.page.getByRole('button', { name: 'Afslut testtilstand' }).click();
    await home.page.locator('#home-test-mode').waitFor({ state: 'hidden' });
    await banner.waitFor({ state: 'hidden' });
    // and the technician, starting and ending it again, sees it end on their page
    await tech.page.getByRole('button', { name: 'Start testtilstand' }).click();
    await banner.getByText(/Testtilstand: en tekniker tester/).waitFor();
    await tech.page.getByRole('button', { name: 'Afslut testtilstand' }).click();
    await tech.page.locator('#home-test-state').getByText('Ikke i testtilstand.').waitFor();
    await banner.waitFor({ state: 'hidden' });
    expect([...tech.errors, ...staff.errors, ...home.errors]).toEqual([]);
  }, 60_000);
});
