import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../dashboard/server/index.ts';
import { chooseEncoding } from '../../dashboard/server/web.ts';
import { addUser, startTestDashboard } from '../harness/dashboard.ts';
import { servicesFixture } from '../harness/services.ts';
import { errorsOf, TestBrowser } from './harness/chromium.ts';

/**
 * The web app as a browser gets it: a page that names its script and sheet by content hash, the
 * script minified and without an inline source map, sent compressed when asked for and cached
 * for a year, the page itself asked for again each time. And the app really boots in Chromium:
 * a bundle that is served but does not run would pass every header check.
 */
describe('the web bundle', () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  let dashboard: Dashboard;
  let browser: TestBrowser;
  let url: string;
  let html: string;
  let jsPath: string;
  let cssPath: string;

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    f = await servicesFixture(Date.now());
    await addUser(f, 'anna', 'staff', 'password-123', { teamIds: ['t'] });
    dashboard = await startTestDashboard(f);
    url = dashboard.url;
    html = await (await fetch(`${url}/`)).text();
    jsPath = /src="(\/app\.[A-Za-z0-9_-]{16}\.js)"/.exec(html)?.[1] ?? '';
    cssPath = /href="(\/styles\.[A-Za-z0-9_-]{16}\.css)"/.exec(html)?.[1] ?? '';
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await f?.close();
  });

  it('the Danish page names its script and sheet by content hash, and is asked for again each time', async () => {
    expect(html).toContain('<html lang="da">');
    expect(jsPath).not.toBe('');
    expect(cssPath).not.toBe('');
    const page = await fetch(`${url}/`);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    // the old unhashed names are gone: nothing can be cached under a name that outlives a version
    expect((await fetch(`${url}/app.js`)).status).toBe(404);
  });

  it('the script is minified, without an inline source map, within its 250 KB budget, and cached for a year', async () => {
    const res = await fetch(`${url}${jsPath}`, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBeNull();
    const js = await res.text();
    expect(js.length).toBeGreaterThan(10_000);
    // a budget, not a measurement: minified the whole app is ~224 KB (28 Nov 2026, every page, the
    // technician page, home view and citizen pages in Preact with @preact/signals: +11 KB on 218 KB);
    // unminified with an inline source map it was 440 KB. Later the same day ~250 KB: 220 KB of it
    // our own pages and their words in two languages (outbox, night round, care record, store-down
    // messages), preact and signals ~22 KB, services/domain/shared ~9 KB. The budget catches a
    // library pulled in by accident (zod alone would add ~60 KB), not a page's growth.
    expect(js.length).toBeLessThan(270 * 1024);
    expect(js).not.toContain('sourceMappingURL=data:');
    // minified: a few long lines, not the source's thousands
    expect(js.split('\n').length).toBeLessThan(50);
    const css = await fetch(`${url}${cssPath}`);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('is sent compressed when the browser asks, and the same bytes come out', async () => {
    const plain = Buffer.from(
      await (await fetch(`${url}${jsPath}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer(),
    );
    for (const encoding of ['br', 'gzip'] as const) {
      // fetch decodes the body itself; the header says what went over the wire
      const res = await fetch(`${url}${jsPath}`, { headers: { 'accept-encoding': encoding } });
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(Buffer.from(await res.arrayBuffer()).equals(plain)).toBe(true);
    }
    // and what went over the wire is really smaller: the raw length of the brotli answer
    const { request } = await import('node:http');
    const wireLength = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}${jsPath}`, { headers: { 'accept-encoding': 'br' } }, (res) => {
        let n = 0;
        res.on('data', (chunk: Buffer) => {
          n += chunk.length;
        });
        res.on('end', () => resolve(n));
      });
      req.on('error', reject);
      req.end();
    });
    expect(wireLength).toBeLessThan(plain.length / 2);
  });

  it('chooses brotli, then gzip, and never a coding the browser refused', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(chooseEncoding('gzip, deflate')).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('gzip');
    expect(chooseEncoding(undefined)).toBe('identity');
    expect(chooseEncoding('deflate')).toBe('identity');
  });

  it('boots in Chromium: the login form appears, and logging in reaches the board, with no page error', async () => {
    const page: Page = await browser.newPage();
    const scripts: string[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('.js'))
        scripts.push(`${res.status()} ${res.headers()['content-encoding'] ?? ''}`);
    });
    await page.goto(url);
    await page.getByLabel('Brugernavn').fill('anna');
    await page.getByLabel('Adgangskode').fill('password-123');
    await page.getByLabel('Adgangskode').press('Enter');
    await page.locator('#logout').waitFor({ state: 'visible', timeout: 10_000 });
    // Chromium asked for the hashed script and got it compressed
    expect(scripts).toEqual(['200 br']);
    expect(errorsOf(page)).toEqual([]);
  });
});
