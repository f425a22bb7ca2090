import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/api.ts';
import {
  card,
  cardIds,
  connected,
  connectionText,
  eventually,
  logIn,
  seesAlert,
  soundsPlayed,
} from './harness/board-page.ts';
import { type BoardAlert, BoardPlatform, STAFF_PASSWORD, TEAMS } from './harness/board-platform.ts';
import { axeViolations, errorsOf, screenshot, TestBrowser } from './harness/chromium.ts';
import { NetworkLink } from './harness/network-link.ts';

interface Frame {
  socket: number;
  seq: number;
  event: string;
  alertId: string;
}

/**
 * The connection drops in the middle of a shift: the board must say so in words, keep trying by
 * itself, and when it is back show every alert raised or changed meanwhile exactly once, resuming
 * with `?since=<last event seen>` (dashboard/server/live.ts) rather than reloading the page.
 * The drop is real: the page reaches the server through a TCP link the test cuts, so both the
 * browser and the server see their connection die.
 */
describe('connection indicator, and resume after the connection drops', () => {
  let link: NetworkLink;
  let board: BoardPlatform;
  let browser: TestBrowser;
  let page: Page;
  const sockets: string[] = [];
  const frames: Frame[] = [];
  const before: BoardAlert[] = [];
  const during: BoardAlert[] = [];
  let lastSeqBefore = 0;

  beforeAll(async () => {
    link = await NetworkLink.open();
    // the browser first: without Chromium the file fails at once, before a platform is started
    browser = await TestBrowser.launch();
    board = await BoardPlatform.start({
      homes: { a: ['Fru Hansen, Nørrebrogade 12', 'Hr. Madsen, Amagerbrogade 3', 'Fru Olsen, Vesterbro'] },
      // the page's origin is the link's, and only that origin may open /live
      env: { PUBLIC_URL: link.url },
    });
    link.to(board.platform.dashboard.port);
    page = await browser.newPage();
    page.on('websocket', (ws) => {
      const socket = sockets.push(ws.url()) - 1;
      ws.on('framereceived', ({ payload }) => {
        const msg = JSON.parse(String(payload)) as {
          type: string;
          seq?: number;
          event?: string;
          alert?: { id: string };
        };
        if (msg.type === 'alert')
          frames.push({ socket, seq: msg.seq!, event: msg.event!, alertId: msg.alert!.id });
      });
    });
    await logIn(page, link.url, TEAMS.a.staff, STAFF_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await board?.close();
    await link?.close();
  });

  it('connected: says so in words, and alerts arrive live', async () => {
    expect(await connectionText(page)).toBe('Forbundet');
    expect(await page.locator('#connection').getAttribute('role')).toBe('status');
    before.push(await board.raise('a-1', 'fall'), await board.raise('a-2', 'fall'));
    for (const a of before) await seesAlert(page, a.id);
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    lastSeqBefore = Math.max(...frames.map((f) => f.seq));
    expect(sockets).toHaveLength(1);
  });

  it('the link drops: the board says it is reconnecting, in words, and keeps trying', async () => {
    link.cut();
    await page.locator('#connection', { hasText: /^Afbrudt – forbinder igen …$/ }).waitFor({ timeout: 5000 });
    await screenshot(page, 'reconnecting');

    // meanwhile: three new alerts, and a colleague on another device acknowledges one already shown
    during.push(
      await board.raise('a-3', 'fall'),
      await board.raise('a-1', 'smoke'),
      await board.raise('a-2', 'alarm_button'),
    );
    const colleague = await ApiClient.login(board.url, TEAMS.a.staff, STAFF_PASSWORD);
    await colleague.ok('POST', `/api/alerts/${before[0]!.id}/acknowledge`);

    // the page tried again by itself and was refused, and has seen none of it
    await eventually(() => link.refused > 0, { what: 'a reconnect attempt', timeoutMs: 5000 });
    expect(await connectionText(page)).toBe('Afbrudt – forbinder igen …');
    expect(await cardIds(page)).toEqual(before.map((a) => a.id));
  });

  it('the link is back: it reconnects by itself and shows every alert exactly once', async () => {
    const soundsBefore = await soundsPlayed(page);
    link.restore();
    await connected(page);
    const expected = [...before, ...during].map((a) => a.id);
    await eventually(async () => expected.every((id) => cardIds(page).then((ids) => ids.includes(id))), {
      what: 'every alert on the board',
      timeoutMs: 5000,
    });
    await eventually(async () => (await card(page, before[0]!.id).innerText()).includes('Kvitteret'), {
      what: "the colleague's acknowledgement",
    });

    // exactly once on the board, none missing, nothing else; the same set the server has
    const ids = await cardIds(page);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...expected].sort());
    const { alerts } = await board.admin.ok<{ alerts: BoardAlert[] }>(
      'GET',
      '/api/alerts?state=open,acknowledged',
    );
    expect([...ids].sort()).toEqual(alerts.map((a) => a.id).sort());

    // resumed, not reloaded: the same document, and the new socket asked for what came after the
    // last event it had seen
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    const resumedAt = sockets.findLastIndex((url) => url.includes(`/live?since=${lastSeqBefore}`));
    expect(resumedAt, `no socket resumed from ${lastSeqBefore}: ${sockets.join(', ')}`).toBeGreaterThan(0);

    // over the wire: each event once, in order, and the resumed socket got exactly what was missed
    const seqs = frames.map((f) => f.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const missed = frames.filter((f) => f.socket === resumedAt);
    expect(missed.every((f) => f.seq > lastSeqBefore)).toBe(true);
    expect(missed.filter((f) => f.event === 'opened').map((f) => f.alertId)).toEqual(during.map((a) => a.id));
    expect(missed.filter((f) => f.event === 'acknowledged').map((f) => f.alertId)).toEqual([before[0]!.id]);

    // Each critical alert that arrived while away sounds once, now. (With nobody of the team
    // watching, the platform also escalated them to the fallback channel; that replayed event falls
    // in the alert's quiet time, see sound.ts, and so do those of the alerts shown before the drop,
    // as the outage here lasts seconds.)
    await eventually(async () => (await soundsPlayed(page)) === soundsBefore + during.length, {
      what: 'one sound per missed critical alert',
    });
    await page.waitForTimeout(300);
    expect(await soundsPlayed(page)).toBe(soundsBefore + during.length);
    await screenshot(page, 'reconnected');
    // the board after a resume, escalated cards and all, is still WCAG 2.1 AA
    expect(await axeViolations(page)).toEqual([]);
  });

  it('after the resume, live events flow again on the new connection', async () => {
    const after = await board.raise('a-3', 'smoke');
    await seesAlert(page, after.id);
    const ids = await cardIds(page);
    expect(ids.filter((id) => id === after.id)).toHaveLength(1);
    expect(await connectionText(page)).toBe('Forbundet');
    expect(errorsOf(page)).toEqual([]);
  });
});
