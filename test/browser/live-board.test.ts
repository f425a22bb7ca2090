import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  card,
  cardIds,
  connected,
  eventually,
  focused,
  logIn,
  seesAlert,
  soundsPlayed,
  tabTo,
} from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';

/** how long to wait before believing that something (a sound) did not happen */
const SETTLE_MS = 300;

/** Every alert id that arrived over the page's WebSocket frames, whatever the page did with them. */
function recordLiveFrames(page: Page): string[] {
  const seen: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      const msg = JSON.parse(String(payload)) as { type: string; alert?: { id: string } };
      if (msg.type === 'alert' && msg.alert) seen.push(msg.alert.id);
    }),
  );
  return seen;
}

/**
 * The product's key moments in a real browser against the whole platform: a fall published over
 * MQTT by a simulated home reaches the right care worker's board live, is acknowledged there, and
 * never reaches another team, not even as a WebSocket frame. Critical alerts look critical and
 * sound, unless this device is muted.
 */
describe('live alert board: the right person sees a fall at once, and only they do', () => {
  let board: BoardPlatform;
  let browser: TestBrowser;
  let pageA: Page;
  let pageB: Page;
  let framesA: string[];
  let framesB: string[];
  let fall: BoardAlert;

  beforeAll(async () => {
    // the browser first: without Chromium the file fails at once, before a platform is started
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Madsen, Amagerbrogade 3'], b: ['Fru Berg, Valby'] },
    });
    // two people on two devices at the same time: separate contexts, separate cookies
    pageA = await browser.newPage();
    pageB = await browser.newPage();
    framesA = recordLiveFrames(pageA);
    framesB = recordLiveFrames(pageB);
    await Promise.all([
      logIn(pageA, board.url, TEAMS.a.staff, STAFF_PASSWORD),
      logIn(pageB, board.url, TEAMS.b.staff, STAFF_PASSWORD),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
  });

  it('team A: a simulated fall appears on the open board without a reload', async () => {
    await pageA.getByText('Ingen åbne alarmer. Alt er roligt.').waitFor();
    // a reload would wipe this mark
    await pageA.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    fall = await board.raise('a-1', 'fall');
    await seesAlert(pageA, fall.id);
    expect(
      await pageA.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    const text = await card(pageA, fall.id).innerText();
    expect(text).toContain('Fald registreret – Fru Hansen, Nørrebrogade 12');
    expect(text).toContain('Kritisk');
    // the legal basis it was raised under, in plain words (the simulator records a paper form)
    expect(text).toContain('Grundlag: samtykke på papirblanket (simulator)');
    expect(framesA).toContain(fall.id);
    // announced to screen readers as it arrives
    expect(await pageA.locator('#announcer').innerText()).toBe(
      'Ny alarm: Fald registreret – Fru Hansen, Nørrebrogade 12',
    );
    await screenshot(pageA, 'live-fall-team-a');
  });

  it('the critical alert has a visual cue beyond colour, and its sound was started once', async () => {
    const cue = await card(pageA, fall.id).evaluate((li) => ({
      classes: li.className,
      border: getComputedStyle(li).borderLeftColor,
      badge: li.querySelector('.badge')?.textContent,
    }));
    expect(cue.classes).toContain('critical');
    expect(cue.border).toBe('rgb(176, 0, 32)');
    // in words too, for people who do not tell red from other colours
    expect(cue.badge).toBe('Kritisk');
    await expect.poll(() => soundsPlayed(pageA), { timeout: 2000 }).toBe(1);
  });

  it('team A acknowledges it on the page, and the server has it acknowledged by that person', async () => {
    await card(pageA, fall.id).getByRole('button', { name: 'Kvittér' }).click();
    await card(pageA, fall.id).getByText('Kvitteret', { exact: false }).first().waitFor();
    await expect.poll(async () => (await board.alert(fall.id)).state, { timeout: 5000 }).toBe('acknowledged');
    expect((await board.alert(fall.id)).acknowledgedBy).toBe(board.staffIds.a);
    expect(await card(pageA, fall.id).getByRole('button', { name: 'Kvittér' }).count()).toBe(0);
  });

  it('team B, logged in at the same time, never sees it: not on the board, not over the wire', async () => {
    // B's board is live and works: its own team's alert arrives, so silence about A's is meaningful
    const own = await board.raise('b-1', 'alarm_button');
    await seesAlert(pageB, own.id);
    expect(await cardIds(pageB)).toEqual([own.id]);
    expect(framesB).not.toContain(fall.id);
    // B's device sounded for B's alert only
    expect(await soundsPlayed(pageB)).toBe(1);
    expect(await pageB.locator('body').innerText()).not.toContain('Fru Hansen');
    // nor after a reload (the REST snapshot)
    await pageB.reload();
    await connected(pageB);
    await seesAlert(pageB, own.id);
    expect(await cardIds(pageB)).toEqual([own.id]);
    // and A does not see B's
    expect(await cardIds(pageA)).toEqual([fall.id]);
    expect(framesA).not.toContain(own.id);
    await screenshot(pageB, 'live-team-b');
    expect(errorsOf(pageA)).toEqual([]);
    expect(errorsOf(pageB)).toEqual([]);
  });

  it('the sound can be muted on this device by keyboard; the choice persists and silences alerts', async () => {
    const before = await soundsPlayed(pageA);
    // from the alert just acknowledged, back up into the header
    await tabTo(pageA, 'sound', { backwards: true });
    expect((await focused(pageA))?.visible).toBe(true);
    expect(await pageA.locator('#sound').innerText()).toBe('Lyd: til');
    await pageA.keyboard.press('Enter');
    expect(await pageA.locator('#sound').innerText()).toBe('Lyd: fra');
    expect(await pageA.evaluate(() => localStorage.getItem('tryghed.sound'))).toBe('off');

    const muted = await board.raise('a-1', 'alarm_button');
    await seesAlert(pageA, muted.id);
    // the visual cue stays when the sound is off
    expect(await card(pageA, muted.id).getAttribute('class')).toContain('critical');
    // "no sound" needs a moment to be sure of: a sound that was started would have been counted
    await pageA.waitForTimeout(SETTLE_MS);
    expect(await soundsPlayed(pageA)).toBe(before);

    // on this device, after a reload too
    await pageA.reload();
    await connected(pageA);
    expect(await pageA.locator('#sound').innerText()).toBe('Lyd: fra');
    const stillMuted = await board.raise('a-1', 'smoke');
    await seesAlert(pageA, stillMuted.id);
    await pageA.waitForTimeout(SETTLE_MS);
    expect(await soundsPlayed(pageA)).toBe(0);

    // Space turns it back on; the next critical alert sounds, once
    await tabTo(pageA, 'sound');
    await pageA.keyboard.press('Space');
    expect(await pageA.locator('#sound').innerText()).toBe('Lyd: til');
    expect(await pageA.evaluate(() => localStorage.getItem('tryghed.sound'))).toBe('on');
    const loud = await board.raise('a-2', 'fall');
    await seesAlert(pageA, loud.id);
    await eventually(async () => (await soundsPlayed(pageA)) === 1, { what: 'the sound of the new alert' });
    // a repeat of an alert already on the board is not a new alert: no second sound
    await board.repeat(loud);
    await card(pageA, loud.id)
      .getByText(/Gentaget 1 gang\b/)
      .waitFor();
    await pageA.waitForTimeout(SETTLE_MS);
    expect(await soundsPlayed(pageA)).toBe(1);
    // the other device's setting is its own
    expect(await pageB.evaluate(() => localStorage.getItem('tryghed.sound'))).toBeNull();
  });
});
