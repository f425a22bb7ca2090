import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePairing } from '../../gateway/index.ts';
import type { Platform } from '../../platform/start.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { axeViolations, CHROMIUM_ARGS, CHROMIUM_PATH, SCREENSHOT_DIR } from './harness/chromium.ts';

const PASSWORD = 'password-123';

/**
 * A technician pairs a home's gateway from the technician page in one step: the code shown once holds
 * everything the gateway needs, and the gateway can log in with it. Pairing again re-keys it: the
 * old code stops working. axe-core finds no WCAG 2.1 AA violation on the panel.
 */
describe('gateway pairing on the technician page, in Chromium', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH))
      throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: run scripts/setup.sh`);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      chromiumSandbox: false,
    });
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('pairweb') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-p', label: 'Hr. Hansen, Birkevej 1', teamId: 'team-a' });
    await admin.ok('POST', '/api/users', {
      username: 'tekniker',
      password: PASSWORD,
      displayName: 'Tekniker',
      role: 'technician',
      teamIds: [],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  it('shows the pairing code once; it connects; pairing again shuts the old one out', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'da-DK' });
    const page = await context.newPage();
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill('tekniker');
    await page.getByLabel('Adgangskode').fill(PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
    await page.goto(`${platform.dashboardUrl}/#/technician/home-p`);
    await page.getByRole('button', { name: 'Par gateway' }).click();
    const code = await page.getByLabel('Parringskode', { exact: true }).inputValue();
    const bundle = decodePairing(code);
    // TLS first, with the broker's own certificate to trust
    expect(bundle).toMatchObject({
      homeId: 'home-p',
      gatewayId: 'home-p-gw',
      platformUrl: platform.mqttTls?.url,
      ca: platform.mqttTls?.caPem,
    });
    expect(await axeViolations(page)).toEqual([]);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'gateway-pairing.png'), fullPage: true });
    const login = (secret: string) =>
      mqtt.connectAsync(bundle.platformUrl, {
        ...(bundle.ca ? { ca: bundle.ca, rejectUnauthorized: true } : {}),
        clientId: bundle.gatewayId,
        username: bundle.gatewayId,
        password: secret,
        reconnectPeriod: 0,
      });
    const first = await login(bundle.secret);
    await first.endAsync();
    // put away: the code is gone from the page
    await page.getByRole('button', { name: 'Jeg har brugt koden' }).click();
    await expect(page.getByLabel('Parringskode', { exact: true }).count()).resolves.toBe(0);
    // again: a new secret, the old one refused
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Par gateway igen (ny hemmelighed)' }).click();
    const second = decodePairing(await page.getByLabel('Parringskode', { exact: true }).inputValue());
    expect(second.secret).not.toBe(bundle.secret);
    await expect(login(bundle.secret)).rejects.toThrow(/Bad username or password/i);
    await (await login(second.secret)).endAsync();
    await context.close();
  });
});
