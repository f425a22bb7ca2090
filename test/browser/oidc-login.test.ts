import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../dashboard/server/index.ts';
import { addUser, startTestDashboard } from '../harness/dashboard.ts';
import { TestOidcProvider } from '../harness/oidc-provider.ts';
import { servicesFixture } from '../harness/services.ts';
import { connected } from './harness/board-page.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const CLIENT = { clientId: 'tryghed-dashboard', clientSecret: 'browser-secret' };

/**
 * The municipality's login in a real browser: the login page offers it, a click goes to the
 * identity provider and back, and the care worker lands on the alert board. A refusal says so.
 */
describe('logging in with the municipal identity provider, in Chromium', () => {
  let f: Fixture;
  let idp: TestOidcProvider;
  let dashboard: Dashboard;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    f = await servicesFixture(Date.now());
    await addUser(f, 'anna.hansen', 'staff', 'not-used-here-1', { teamIds: ['t'] });
    idp = await TestOidcProvider.start({ ...CLIENT, now: () => f.clock.now() });
    dashboard = await startTestDashboard(f, {
      oidc: { issuer: idp.issuer, ...CLIENT, userClaim: 'preferred_username' },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await idp?.close();
    await f?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
  });

  it('offers the municipal login above the password form, accessibly', async () => {
    await page.goto(dashboard.url);
    const link = page.getByRole('link', { name: 'Log ind med kommunens login' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/api/session/oidc/start');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'login-with-oidc');
  });

  it('a click goes to the provider and back, onto the alert board', async () => {
    idp.next = { claims: { sub: 'f81d4fae', preferred_username: 'anna.hansen' } };
    await page.goto(dashboard.url);
    await page.getByRole('link', { name: 'Log ind med kommunens login' }).click();
    await connected(page);
    await page.getByRole('button', { name: /Log ud \(anna\.hansen\)/ }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(errorsOf(page)).toEqual([]);
  });

  it('an unknown person is refused, and the page says so in plain words', async () => {
    idp.next = { claims: { sub: 'x', preferred_username: 'somebody.else' } };
    await page.goto(dashboard.url);
    await page.getByRole('link', { name: 'Log ind med kommunens login' }).click();
    await page.getByRole('alert').filter({ hasText: 'Log ind blev afvist' }).waitFor();
    // the address bar is clean again, and nobody is logged in
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByLabel('Brugernavn').isVisible()).toBe(true);
  });
});
