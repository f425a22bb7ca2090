import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/start.ts';
import { PURPOSE_TEXTS, topics, type WireReading } from '../../services/domain/index.ts';
import { ApiClient } from '../harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import {
  CHROMIUM_ARGS as ARGS,
  axeViolations,
  CHROMIUM_PATH as CHROMIUM,
  SCREENSHOT_DIR as SCREENSHOTS,
} from './harness/chromium.ts';

/**
 * The citizen page in Debian's Chromium, on the whole platform: the citizen says yes to emergency
 * alerts on the page and a fall over real MQTT raises an alert; the citizen says no on the page and
 * the same fall raises nothing. Then the page must pass axe-core's WCAG 2.1 AA rules, and fit 320 px.
 */

describe('citizen page in a real browser: consent on the page decides whether a fall raises an alert', () => {
  const dir = tempDir();
  const profile = mkdtempSync(join(tmpdir(), 'tryghed-chromium-'));
  const database = uniqueDatabase('citizen_browser');
  const password = 'password-123';
  let platform: Platform;
  let staff: ApiClient;
  let context: BrowserContext;
  let page: Page;
  let fallSensor: MqttClient;
  let seq = 0;

  const publishFall = async () => {
    const reading: WireReading = { kind: 'fall', value: 1, ts: Date.now(), seq: ++seq };
    await fallSensor.publishAsync(topics.readings('home-a', 'fall-a'), JSON.stringify(reading), { qos: 1 });
    return reading;
  };
  const stored = async (s: number) =>
    (await platform.readings.query({ homeId: 'home-a', from: 0, to: Date.now() + 60_000 })).some(
      (p) => p.seq === s,
    );
  const careAlerts = async (states = 'open,acknowledged') =>
    (
      await staff.ok<{ alerts: Array<{ id: string; homeId: string; rule: string; repeats: number }> }>(
        'GET',
        `/api/alerts?state=${states}`,
      )
    ).alerts.filter((a) => a.homeId === 'home-a');
  /** flips a switch on the page and waits until the page shows it saved and re-rendered */
  const flip = async (id: string, to: boolean) => {
    await page.locator(`#${id}`).click();
    await page.waitForFunction(
      ([sel, want]) => {
        const el = document.querySelector<HTMLInputElement>(sel as string);
        const status = document.getElementById('citizen-status')?.textContent ?? '';
        return el && !el.disabled && el.checked === want && status.startsWith('Gemt');
      },
      [`#${id}`, to] as const,
    );
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: the browser tests need Debian's chromium. Run \`bash scripts/setup.sh\`.`,
      );
    }
    platform = await startTestPlatform({ dataDir: dir.path, database });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    const { secret } = await admin.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
      id: 'fall-a',
      kinds: ['fall'],
    });
    await admin.ok('POST', '/api/users', {
      username: 'staff-a',
      password,
      displayName: 'Sosu Anna',
      role: 'staff',
      teamIds: ['team-a'],
    });
    await admin.ok('POST', '/api/users', {
      username: 'borger-a',
      password,
      displayName: 'Astrid',
      role: 'citizen',
      homeId: 'home-a',
    });
    staff = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    fallSensor = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'fall-a',
      username: 'fall-a',
      password: secret,
      reconnectPeriod: 0,
    });
    // A fresh profile of its own: nothing carried over from another run or another test.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      chromiumSandbox: false,
      viewport: { width: 320, height: 900 },
      locale: 'da-DK',
      timezoneId: 'Europe/Copenhagen',
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await fallSensor?.endAsync();
    await platform?.close();
    rmSync(profile, { recursive: true, force: true });
    dir.remove();
  });

  it('with consent given on the page a fall raises an alert; withdrawn on the page, the same fall raises nothing', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(platform.dashboardUrl);
    await page.fill('#username', 'borger-a');
    await page.fill('#password', password);
    await page.click('form button[type=submit]');
    await page.getByRole('heading', { name: 'Dit hjem' }).waitFor();
    expect(await page.isChecked('#consent-emergency-alerts')).toBe(false);

    // Yes, on the page, to emergency alerts and to keeping those readings.
    await flip('consent-emergency-alerts', true);
    await flip('consent-emergency-history', true);
    const events = await platform.consent.history('home-a');
    expect(events.map((e) => [e.category, e.purpose, e.action, e.actorRole, e.textVersion])).toEqual([
      ['emergency', 'alerts', 'grant', 'citizen', PURPOSE_TEXTS.emergency.alerts.version],
      ['emergency', 'history', 'grant', 'citizen', PURPOSE_TEXTS.emergency.history.version],
    ]);

    const first = await publishFall();
    const raised = await eventually(async () => (await careAlerts())[0], {
      what: 'the fall alert, seen by staff over REST',
    });
    expect(raised.rule).toBe('fall');
    await staff.ok('POST', `/api/alerts/${raised.id}/resolve`, { outcome: 'false_alarm', note: 'Test' });
    await eventually(() => stored(first.seq), { what: 'the first reading in InfluxDB' });

    // No, on the page, to emergency alerts: one action.
    await flip('consent-emergency-alerts', false);
    expect(platform.consent.allows('home-a', 'emergency', 'alerts')).toBe(false);
    expect(platform.consent.allows('home-a', 'emergency', 'history')).toBe(true);
    const suppressed = () =>
      platform.metrics.value('tryghed_rules_suppressed_total', { rule: 'fall', reason: 'no_consent' });
    const suppressedBefore = await suppressed();

    const second = await publishFall();
    // Processed: the reading is stored (history still allowed) and the fall rule saw it and held back.
    await eventually(() => stored(second.seq), { what: 'the second reading in InfluxDB' });
    await eventually(async () => (await suppressed()) > suppressedBefore, { what: 'the rule held back' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await careAlerts()).toEqual([]);
    const all = await careAlerts('open,acknowledged,resolved');
    expect(all.map((a) => [a.id, a.repeats])).toEqual([[raised.id, 0]]);

    // The page shows the consent history and the one alert, with its outcome.
    await page.reload();
    await page.getByRole('heading', { name: 'Dit hjem' }).waitFor();
    expect(await page.isChecked('#consent-emergency-alerts')).toBe(false);
    const alertList = await page.locator('#alert-list').innerText();
    expect(alertList).toContain('Et fald blev mærket');
    expect(alertList).toContain('Falsk alarm');
    expect(await page.locator('#history-list > li').count()).toBe(3);
    expect(await page.locator('#access-list').innerText()).toContain('Sosu Anna');
    expect(errors).toEqual([]);
  });

  it('the citizen page passes axe-core WCAG 2.1 AA in Danish and English, and fits 320 px', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'citizen-page-da-320.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(320);

    await page.click('#lang');
    await page.getByRole('heading', { name: 'Your home' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'citizen-page-en-320.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await page.click('#lang');
    await page.getByRole('heading', { name: 'Dit hjem' }).waitFor();
  });

  it('a yes given with a text that has since changed is not saved: the page shows the current text to decide on', async () => {
    // the page on screen still holds the earlier text: its request carries the retired version
    let rewritten = 0;
    await page.route('**/api/homes/home-a/consent', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as Record<string, unknown>;
      if (body.category === 'emergency' && body.purpose === 'alerts' && rewritten++ === 0)
        return route.continue({
          postData: JSON.stringify({ ...body, textVersion: 'emergency-alerts-2026-1' }),
        });
      return route.continue();
    });
    try {
      expect(await page.isChecked('#consent-emergency-alerts')).toBe(false);
      await page.locator('#consent-emergency-alerts').click();
      await page
        .locator('#citizen-status')
        .getByText('Det blev ikke gemt: teksten er blevet ændret')
        .waitFor();
      expect(rewritten).toBe(1);
      expect(platform.consent.allows('home-a', 'emergency', 'alerts')).toBe(false);
      // the switch is back at no, with the current text beside it; a yes now is saved with it
      await expect.poll(() => page.isChecked('#consent-emergency-alerts')).toBe(false);
      await page
        .locator('#consent-emergency-alerts-text')
        .getByText(PURPOSE_TEXTS.emergency.alerts.body.da)
        .waitFor();
      await flip('consent-emergency-alerts', true);
      const [last] = (await platform.consent.history('home-a')).slice(-1);
      expect(last).toMatchObject({ action: 'grant', textVersion: PURPOSE_TEXTS.emergency.alerts.version });
    } finally {
      await page.unroute('**/api/homes/home-a/consent');
    }
  });

  it('a relative with two powers of attorney chooses the citizen, then sees that citizen only', async () => {
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-a' });
    const { user } = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
      username: 'datter',
      password,
      displayName: 'Datter Dorte',
      role: 'relative',
    });
    for (const home of ['home-a', 'home-b'])
      await staff.ok('POST', `/api/homes/${home}/powers-of-attorney`, {
        relativeUserId: user.id,
        reference: `Fuldmagt ${home}`,
      });
    await page.click('#logout');
    await page.fill('#username', 'datter');
    await page.fill('#password', password);
    await page.click('form button[type=submit]');
    await page.getByRole('heading', { name: 'Vælg borger' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Borger B' }).click();
    await page.getByRole('heading', { name: 'Borger B' }).waitFor();
    expect(await page.locator('.lead').innerText()).toContain('Du ser siden for Borger B');
    // acting under the power of attorney: a yes on the page is recorded on the citizen's behalf
    await page.locator('#consent-door-alerts').click();
    await page.waitForFunction(
      () => document.querySelector<HTMLInputElement>('#consent-door-alerts')?.checked,
    );
    const [event] = await platform.consent.history('home-b');
    expect(event).toMatchObject({
      actorRole: 'relative',
      basis: 'power_of_attorney',
      onBehalfOf: 'citizen:home-b',
    });
    expect(platform.consent.allows('home-a', 'door', 'alerts')).toBe(false);
    await page.getByRole('button', { name: 'Vælg en anden borger' }).click();
    await page.getByRole('button', { name: 'Borger A' }).waitFor();
  });
});
