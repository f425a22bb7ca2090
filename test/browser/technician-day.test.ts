import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { informationText, topics } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { axeViolations, CHROMIUM_ARGS, CHROMIUM_PATH } from './harness/chromium.ts';

const PASSWORD = 'password-123';

/**
 * A technician's day in a real Chromium: devices provisioned in bulk from a CSV file whose secrets
 * come back once as a downloaded file (and work at the broker), the overview of devices needing a
 * visit, a test reading's outcome said beside its button, and the secret panel with the broker URL,
 * topic and username. axe-core finds no WCAG 2.1 AA violation, at 1024 and 320 px.
 */
describe("the technician's day in Chromium", () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const devices: MqttClient[] = [];

  const newPage = async (width: number) => {
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      locale: 'da-DK',
      timezoneId: 'Europe/Copenhagen',
      acceptDownloads: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill('tekniker');
    await page.getByLabel('Adgangskode').fill(PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
    await page.getByRole('heading', { name: 'Teknik', level: 2 }).waitFor();
    return { page, errors };
  };
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      chromiumSandbox: false,
    });
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('techday') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Jensen', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Hr. Hansen', teamId: 'team-a' });
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
    for (const purpose of ['alerts', 'history'] as const) {
      await citizen.ok('POST', '/api/homes/home-a/consent', {
        category: 'environment',
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: informationText('environment', purpose).version,
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

  it('bulk CSV gives a secrets file once; the overview lists the silent; feedback sits by its button; the secret panel says how to connect', async () => {
    const { page, errors } = await newPage(1024);
    await page.getByRole('heading', { name: 'Enheder der kræver opmærksomhed' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // Danish spreadsheet CSV: semicolons, a header, kinds separated by commas
    await page.getByLabel('CSV-fil', { exact: true }).setInputFiles({
      name: 'levering.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('id;home;kinds\nbulk-1;home-a;smoke,temperature,battery\nbulk-2;home-b;motion\n'),
    });
    await page.getByRole('button', { name: 'Opret fra filen' }).click();
    const link = page.getByRole('link', { name: 'Hent hemmeligheder (CSV)' });
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = readFileSync((await download.path())!, 'utf8');
    const rows = file.trim().split(/\r?\n/);
    expect(file.startsWith('\uFEFF')).toBe(true); // so a spreadsheet reads it as UTF-8 (trim drops it)
    expect(rows[0]).toBe('enhed;hjem;brugernavn;hemmelighed;emne');
    const [id, home, username, secret, topic] = rows[1]!.split(';');
    expect([id, home, username, topic]).toEqual([
      'bulk-1',
      'home-a',
      'bulk-1',
      topics.readings('home-a', 'bulk-1'),
    ]);
    // the secret in the file is what the broker accepts, and it is nowhere on the page
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'bulk-1',
      username: 'bulk-1',
      password: secret!,
      reconnectPeriod: 0,
    });
    devices.push(device);
    expect(await page.content()).not.toContain(secret!);
    // once: the link is gone after the download
    await link.waitFor({ state: 'detached' });

    // the overview lists both new devices as never heard from (bulk-2 in another home), with a count
    const table = page.locator('#attention-table');
    await table.locator('tr[data-device-id="bulk-2"]').waitFor();
    await page.locator('#attention-count').getByText('2 enheder').waitFor();
    // filtered to low battery: none; back to all: both again, in the same rows
    await page.locator('#attention-problem').selectOption('low_battery');
    await page.locator('#attention-count').getByText('Ingen enheder kræver opmærksomhed.').waitFor();
    await table.locator('tr[data-device-id]').first().waitFor({ state: 'detached' });
    await page.locator('#attention-problem').selectOption('');
    await table.locator('tr[data-device-id="bulk-2"]').waitFor();
    await page.locator('#attention-count').getByText('2 enheder').waitFor();
    // opening a home from the overview
    await table.locator('tr[data-device-id="bulk-1"]').getByRole('link', { name: 'Fru Jensen' }).click();
    const card = page.locator('li.device[data-device-id="bulk-1"]');
    await card.waitFor();

    // a test reading that raises nothing says why, beside the button that was pressed
    await card.getByLabel('Måling').selectOption('smoke');
    await card.getByLabel('Værdi').fill('0');
    const send = card.getByRole('button', { name: 'Send testmåling' });
    await send.click();
    const feedback = card.locator('#test-feedback-bulk-1');
    await feedback.getByText('Ingen alarm: værdien er 0').waitFor();
    const buttonBox = (await send.boundingBox())!;
    const feedbackBox = (await feedback.boundingBox())!;
    expect(Math.abs(feedbackBox.y - buttonBox.y)).toBeLessThan(200);
    expect(await feedback.getAttribute('aria-live')).toBe('polite');
    // out of range: refused with the range
    await card.getByLabel('Måling').selectOption('battery');
    await card.getByLabel('Værdi').fill('250');
    await send.click();
    await feedback.getByText('Værdien skal ligge mellem 0 og 100 (%).').waitFor();
    // one that raises: named
    await card.getByLabel('Måling').selectOption('smoke');
    await card.getByLabel('Værdi').fill('1');
    await send.click();
    await feedback.getByText(/Der blev rejst en testalarm/).waitFor();
    // the test alert is marked "Test" in the page's list
    const testAlert = page.locator('li.test-alert[data-rule="smoke"]');
    await testAlert.waitFor({ timeout: 10_000 });
    expect(await testAlert.locator('[data-test-mark]').innerText()).toBe('Test');

    // a new secret: the panel shows the broker URL, topic and username, each with a copy button
    await card.getByRole('button', { name: 'Ny hemmelighed' }).click();
    await card.getByRole('button', { name: 'Ja' }).click();
    const panel = page.getByRole('region', { name: 'Hemmelighed for bulk-1' });
    await panel.waitFor();
    await panel.locator(`[data-broker-url="${platform.mqttUrl}"]`).waitFor();
    await panel.getByText(topics.readings('home-a', 'bulk-1')).waitFor();
    expect(await panel.locator('#connect-username').innerText()).toBe('bulk-1');
    await panel.getByRole('button', { name: 'Kopiér Emne (topic) for målinger' }).click();
    await panel
      .getByText(/Kopieret\.|Kunne ikke kopiere/)
      .first()
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);

    const narrow = await newPage(320);
    await narrow.page.locator('#attention-table tr[data-device-id="bulk-2"]').waitFor();
    const wide = await narrow.page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className}#${e.id}`),
    );
    expect(wide).toEqual([]);
    expect(await noSidewaysScroll(narrow.page)).toBe(true);
    expect(await axeViolations(narrow.page)).toEqual([]);
    expect(narrow.errors).toEqual([]);
  }, 90_000);
});
