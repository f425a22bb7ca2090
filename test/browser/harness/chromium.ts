import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, installed by `scripts/setup.sh`; the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, and quiet: this machine's closed network refuses Chromium's background connections. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = join(process.cwd(), 'test-output', 'screenshots');

/** One Chromium per test file; every context and page opened through it is closed with it. */
export class TestBrowser {
  private readonly contexts = new Set<BrowserContext>();

  private constructor(readonly browser: Browser) {}

  /**
   * Launches Debian's Chromium. Playwright gives it a fresh temporary user-data-dir
   * (`playwright_chromiumdev_profile-*` under the OS temp folder) and removes it on close, so
   * nothing is shared between runs. A missing Chromium fails the test file loudly: a browser test
   * that skips would hide a broken dashboard.
   */
  static async launch(): Promise<TestBrowser> {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM_PATH}; the browser tests need it. ` +
          'Run `bash scripts/setup.sh` (it installs Debian\'s "chromium" package with apt-get).',
      );
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      chromiumSandbox: false,
    });
    return new TestBrowser(browser);
  }

  /**
   * A page in its own context (own cookies and localStorage), as a second device would be.
   * Danish is the browser language, as on a municipal tablet.
   */
  async newPage(
    options: {
      viewport?: { width: number; height: number };
      reducedMotion?: boolean;
      /** a phone: touch events, so a test can `tap()` as a thumb does */
      touch?: boolean;
    } = {},
  ): Promise<Page> {
    const context = await this.browser.newContext({
      viewport: options.viewport ?? { width: 1024, height: 768 },
      locale: 'da-DK',
      timezoneId: 'Europe/Copenhagen',
      ...(options.reducedMotion ? { reducedMotion: 'reduce' as const } : {}),
      ...(options.touch ? { hasTouch: true, isMobile: true } : {}),
    });
    this.contexts.add(context);
    context.on('close', () => this.contexts.delete(context));
    const page = await context.newPage();
    // A page error is a failing dashboard, not noise: keep it for the test to assert on.
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    pageErrors.set(page, errors);
    return page;
  }

  async close(): Promise<void> {
    for (const context of [...this.contexts]) await context.close().catch(() => undefined);
    await this.browser.close();
  }
}

const pageErrors = new WeakMap<Page, string[]>();

/** uncaught errors thrown in the page so far */
export function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

/** Saves a full-page screenshot to `test-output/screenshots/<name>.png` for people to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** WCAG 2.1 A and AA, the level the municipality's web accessibility law asks for. */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core inside the page on the WCAG 2.1 AA rules and returns the violations in a form that
 * reads well in a failed assertion (rule, what to fix, and which elements).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // The dashboard's Content-Security-Policy forbids inline scripts, so `page.addScriptTag({content})`
  // is refused, as it should be. Evaluating the source over the DevTools protocol is not governed by
  // the page's CSP: axe runs in the page while the CSP under test stays exactly as served.
  if (!loaded) await page.evaluate(axe.source);
  return page.evaluate(async (tags) => {
    const w = window as unknown as {
      axe: {
        run(
          context: Document,
          options: { runOnly: { type: 'tag'; values: string[] }; resultTypes: string[] },
        ): Promise<{
          violations: Array<{
            id: string;
            impact: string | null;
            help: string;
            nodes: Array<{ target: unknown[]; failureSummary?: string }>;
          }>;
        }>;
      };
    };
    const result = await w.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
  }, WCAG_21_AA);
}
