import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/api.ts';
import { TEST_ADMIN } from '../harness/platform.ts';
import { card, cardIds, eventually, horizontalOverflow, logIn, seesAlert } from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/**
 * Issue 11 point 2, as a care worker in two teams sees it: a board with several critical alerts
 * has a count, an order (severity, then the longest waiting first), filters that survive live
 * updates, the team on each card and who is on it; the resolve form preselects nothing and says
 * how much room the note has left; resolved alerts can be looked back on; and the home's history.
 */
describe('the board as a worked list', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;
  const alerts: BoardAlert[] = [];
  const BOTH = { username: 'sosu-ab', displayName: 'Eva Holm' };

  const summary = () => page.locator('#alerts-summary').innerText();

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Madsen, Amagerbrogade 3'], b: ['Fru Lund, Valby 7'] },
    });
    await board.admin.ok('POST', '/api/users', {
      username: BOTH.username,
      password: STAFF_PASSWORD,
      displayName: BOTH.displayName,
      role: 'staff',
      teamIds: [TEAMS.a.id, TEAMS.b.id],
    });
    alerts.push(await board.raise('a-1', 'fall'));
    alerts.push(await board.raise('b-1', 'fall'));
    alerts.push(await board.raise('a-2', 'smoke'));
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('counts the open alerts per severity, oldest first, and names the team on each card', async () => {
    await logIn(page, board.url, BOTH.username, STAFF_PASSWORD);
    for (const a of alerts) await seesAlert(page, a.id);
    expect(await summary()).toBe('3 åbne: 3 kritiske');
    expect(await page.locator('#alerts-summary').getAttribute('aria-live')).toBe('polite');
    // all critical: the one that has waited longest first
    expect(await cardIds(page)).toEqual(alerts.map((a) => a.id));
    await card(page, alerts[0]!.id).getByText(`Team: ${TEAMS.a.name}`).waitFor();
    await card(page, alerts[1]!.id).getByText(`Team: ${TEAMS.b.name}`).waitFor();
    expect(errorsOf(page)).toEqual([]);
  });

  it('filters by home and kind; the choice and the focus survive a live update', async () => {
    await page.locator('#filter-home').selectOption('a-1');
    await eventually(async () => (await cardIds(page)).join() === alerts[0]!.id, { what: 'only a-1' });
    expect(await summary()).toBe('3 åbne: 3 kritiske – viser 1 af 3');
    await page.locator('#filter-home').focus();
    // a new alert elsewhere: counted, not shown, and the filter keeps its value and focus
    const button = await board.raise('a-2', 'alarm_button');
    alerts.push(button);
    await eventually(async () => (await summary()) === '4 åbne: 4 kritiske – viser 1 af 4', {
      what: 'the count after a live update',
    });
    expect(await page.locator('#filter-home').inputValue()).toBe('a-1');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-home');
    expect(await cardIds(page)).toEqual([alerts[0]!.id]);

    await page.locator('#filter-home').selectOption('');
    await page.locator('#filter-kind').selectOption('fall');
    await eventually(async () => (await cardIds(page)).join() === `${alerts[0]!.id},${alerts[1]!.id}`, {
      what: 'the two falls',
    });
    await screenshot(page, 'worked-board-filtered');
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('#filter-kind').selectOption('');
    await eventually(async () => (await cardIds(page)).length === 4, { what: 'every alert again' });
  });

  it('shows who is on it, by name, to the team', async () => {
    const anna = await ApiClient.login(board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await anna.ok('POST', `/api/alerts/${alerts[0]!.id}/acknowledge`, {});
    await card(page, alerts[0]!.id)
      .getByText(`${TEAMS.a.displayName} har taget alarmen`, { exact: false })
      .waitFor();
    // a worker of one team sees no team label (every card is their team's), and sees who is on it
    const single = await browser.newPage();
    await logIn(single, board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await card(single, alerts[0]!.id)
      .getByText(`${TEAMS.a.displayName} har taget alarmen`, { exact: false })
      .waitFor();
    expect(await single.locator('.alert .team').count()).toBe(0);
    await single.close();
  });

  it('the resolve form preselects nothing, refuses without an outcome, and counts the note down', async () => {
    const id = alerts[2]!.id;
    await card(page, id).getByRole('button', { name: 'Afslut' }).click();
    const outcome = page.locator(`#outcome-${id}`);
    const note = page.locator(`#note-${id}`);
    expect(await outcome.inputValue()).toBe('');
    const room = page.locator(`#note-room-${id}`);
    expect(await room.innerText()).toBe('2.000 tegn tilbage (højst 2.000)');
    expect(await note.getAttribute('aria-describedby')).toBe(`note-room-${id}`);
    await note.fill('Røgen kom fra brødristeren.');
    expect(await room.innerText()).toBe('1.973 tegn tilbage (højst 2.000)');

    // saved without an outcome: a clear message, focus on the field, the alert still open
    await page.locator(`[data-focus-key="save-${id}"]`).click();
    await page.getByText('Vælg et udfald, før alarmen afsluttes.').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`outcome-${id}`);
    expect(await outcome.getAttribute('aria-invalid')).toBe('true');
    expect((await board.alert(id)).state).toBe('open');
    await screenshot(page, 'worked-board-resolve-missing-outcome');
    expect(await axeViolations(page)).toEqual([]);

    // a pasted note longer than the server takes is not cut: it says how much too long, and waits
    await note.fill('x'.repeat(2005));
    expect(await note.inputValue()).toHaveLength(2005);
    expect(await room.innerText()).toContain('5 tegn for mange');
    await outcome.selectOption('false_alarm');
    await page.locator(`[data-focus-key="save-${id}"]`).click();
    expect((await board.alert(id)).state).toBe('open');

    await note.fill('Røgen kom fra brødristeren.');
    await page.locator(`[data-focus-key="save-${id}"]`).click();
    await eventually(async () => (await board.alert(id)).state === 'resolved', { what: 'resolved' });
    await card(page, id).waitFor({ state: 'detached' });
    // one of the three left is taken on: the line says how many still wait for someone
    expect(await summary()).toBe('3 åbne: 3 kritiske (2 ikke kvitteret)');
  });

  it('recently resolved alerts are listed with outcome and note', async () => {
    await page.getByText('Vis afsluttede alarmer').click();
    const item = page.locator(`.resolved-list li[data-alert-id="${alerts[2]!.id}"]`);
    await item.waitFor();
    expect(await item.innerText()).toContain('Falsk alarm');
    expect(await item.innerText()).toContain('Røgen kom fra brødristeren.');
    await page.locator('#resolved-period').selectOption('7d');
    await item.waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('at 320 px the board with its counts, filters and resolved list does not scroll sideways', async () => {
    const narrow = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await logIn(narrow, board.url, BOTH.username, STAFF_PASSWORD);
    await narrow.locator('#filter-home').waitFor();
    await card(narrow, alerts[0]!.id).waitFor();
    await narrow.getByText('Vis afsluttede alarmer').click();
    await narrow.locator('.resolved-list li').first().waitFor();
    await screenshot(narrow, 'worked-board-320px');
    const { scrollWidth, innerWidth } = await horizontalOverflow(narrow);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(errorsOf(narrow)).toEqual([]);
  });

  it("the home's page has its alert history with outcome and note", async () => {
    await page.goto(`${board.url}/#/homes/a-2`);
    const section = page.locator('section.alert-history');
    await section.getByRole('heading', { name: 'Alarmhistorik' }).waitFor();
    const item = section.locator(`li[data-alert-id="${alerts[2]!.id}"]`);
    await item.waitFor();
    expect(await item.innerText()).toContain('Falsk alarm');
    expect(await item.innerText()).toContain('Røgen kom fra brødristeren.');
    expect(await axeViolations(page)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it("downloading for the care record without the citizen's consent says why, in place, and saves nothing", async () => {
    const worker = await browser.newPage();
    await logIn(worker, board.url, BOTH.username, STAFF_PASSWORD);
    await worker.getByText('Vis afsluttede alarmer').click();
    const item = worker.locator(`.resolved-list li[data-alert-id="${alerts[2]!.id}"]`);
    await item.waitFor();
    const downloads: string[] = [];
    worker.on('download', (d) => downloads.push(d.suggestedFilename()));
    await item.getByRole('button', { name: /Hent til journal/ }).click();
    const refusal = item.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('ikke sagt ja til deling med journal');
    expect(downloads).toEqual([]);
    expect(await axeViolations(worker)).toEqual([]);
    await worker.close();
  });

  it('as an administrator, a test alert is marked "Test" in the resolved list and in the home\'s history', async () => {
    // a technician's test reading on a real home raises a test alert, seen by administrators only
    const { outcome } = await board.admin.ok<{ outcome: { reason: string; alert: { id: string } | null } }>(
      'POST',
      '/api/devices/b-1-button/test-reading',
      { kind: 'alarm_button', value: 1 },
    );
    expect(outcome.reason).toBe('raised');
    const test = outcome.alert!;
    await board.admin.ok('POST', `/api/alerts/${test.id}/resolve`, {
      outcome: 'no_action_needed',
      note: 'Teknikerens prøve.',
    });
    const admin = await browser.newPage();
    await logIn(admin, board.url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.getByText('Vis afsluttede alarmer').click();
    const resolved = admin.locator(`.resolved-list li[data-alert-id="${test.id}"]`);
    await resolved.waitFor();
    expect(await resolved.locator('[data-test-mark]').innerText()).toBe('Test');
    // only the test alert is marked, not a real one beside it
    expect(await admin.locator('.resolved-list [data-test-mark]').count()).toBe(1);

    await admin.goto(`${board.url}/#/homes/b-1`);
    const history = admin.locator('section.alert-history');
    const item = history.locator(`li[data-alert-id="${test.id}"]`);
    await item.waitFor();
    expect(await item.locator('[data-test-mark]').innerText()).toBe('Test');
    expect(await history.locator('[data-test-mark]').count()).toBe(1);
    expect(await axeViolations(admin)).toEqual([]);
    expect(errorsOf(admin)).toEqual([]);
  }, 60_000);

  it("the home's history shows ten at a time; older ones are added below, the read ones kept, focus on the first added", async () => {
    // more alerts on b-1 than one page holds: test alarms, each resolved so the next is a new alert
    for (let i = 0; i < 11; i++) {
      const { outcome } = await board.admin.ok<{ outcome: { alert: { id: string } | null } }>(
        'POST',
        '/api/devices/b-1-button/test-reading',
        { kind: 'alarm_button', value: 1 },
      );
      await board.admin.ok('POST', `/api/alerts/${outcome.alert!.id}/resolve`, {
        outcome: 'no_action_needed',
        note: `Prøve ${i + 1}.`,
      });
    }
    const admin = await browser.newPage();
    await logIn(admin, board.url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.goto(`${board.url}/#/homes/b-1`);
    const items = admin.locator('section.alert-history li.alert-history-item');
    await eventually(async () => (await items.count()) === 10, { what: 'the first ten' });
    const total = (await board.admin.ok<{ alerts: unknown[] }>('GET', '/api/homes/b-1/alerts?limit=100'))
      .alerts.length;
    expect(total).toBeGreaterThan(10);
    // the first item's element is marked: a keyed list keeps it when older ones are added
    await items.first().evaluate((el) => {
      (el as HTMLElement & { kept?: boolean }).kept = true;
    });
    await admin.getByRole('button', { name: 'Vis ældre' }).click();
    await eventually(async () => (await items.count()) === Math.min(total, 20), { what: 'the older ones' });
    expect(await items.first().evaluate((el) => (el as HTMLElement & { kept?: boolean }).kept === true)).toBe(
      true,
    );
    // keyboard users read on from the first of the older ones
    await eventually(
      async () =>
        (await admin.evaluate(() => document.activeElement?.closest('li')?.getAttribute('data-alert-id'))) ===
        (await items.nth(10).getAttribute('data-alert-id')),
      { what: 'focus on the first older alert' },
    );
    expect(await axeViolations(admin)).toEqual([]);
    expect(errorsOf(admin)).toEqual([]);
  }, 90_000);
});
