import { createConnection } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LogBudget,
  ManualClock,
  REFUSAL_LINES_PER_WINDOW,
  REFUSAL_WINDOW_MS,
} from '../services/runtime/index.ts';
import { brokerFixture } from './harness/broker.ts';
import { startTestDashboard } from './harness/dashboard.ts';
import { eventually } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';

describe('a log budget: lines of one kind one by one up to a number per window, the rest said in one line', () => {
  it('holds back what is over the budget, per key, and says how many at the end of the window', () => {
    const clock = new ManualClock();
    const said: Array<[string, number]> = [];
    const budget = new LogBudget({
      clock,
      perWindow: 3,
      windowMs: 1000,
      summary: (key, n) => said.push([key, n]),
    });
    const taken = Array.from({ length: 10 }, () => budget.take('a'));
    expect(taken).toEqual([true, true, true, false, false, false, false, false, false, false]);
    // another kind has a budget of its own
    expect(budget.take('b')).toBe(true);
    expect(said).toEqual([]);
    clock.advance(999);
    expect(said).toEqual([]);
    clock.advance(1);
    expect(said).toEqual([['a', 7]]);
    // a new window: logged one by one again; nothing held back is said for 'b'
    expect(budget.take('a')).toBe(true);
    clock.advance(5000);
    expect(said).toEqual([['a', 7]]);
    // stopping says what is held back at that moment
    for (let i = 0; i < 5; i++) budget.take('b');
    budget.stop();
    expect(said).toEqual([
      ['a', 7],
      ['b', 2],
    ]);
  });
});

describe('the broker under a flood of refused connections', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('logs the first refusals of a reason one by one, then one line with how many more; the counter has them all', async () => {
    const clock = new ManualClock();
    const lines: Array<{ msg: string; reason?: string; notLogged?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const f = await brokerFixture({ clock, logger });
    close = () => f.close();
    // CONNECTs without a user name: refused before any secret is checked, so nothing slows them
    const body = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 1, 0x78]);
    const packet = Buffer.concat([Buffer.from([0x10, body.length]), body]);
    const refused = () =>
      new Promise<void>((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port: f.broker.port });
        socket.once('error', reject);
        socket.once('connect', () => socket.write(packet));
        // the CONNACK that refuses it (the broker closes the connection after it)
        socket.once('data', () => {
          socket.destroy();
          resolve();
        });
      });
    const flood = REFUSAL_LINES_PER_WINDOW * 3;
    for (let i = 0; i < flood; i += 10) await Promise.all(Array.from({ length: 10 }, refused));
    const refusedLines = () => lines.filter((l) => l.msg === 'broker refused');
    expect(refusedLines()).toHaveLength(REFUSAL_LINES_PER_WINDOW);
    expect(refusedLines().every((l) => l.reason === 'bad_credentials')).toBe(true);
    expect(await f.metrics.value('tryghed_broker_refusals_total', { reason: 'bad_credentials' })).toBe(flood);

    clock.advance(REFUSAL_WINDOW_MS);
    expect(lines.filter((l) => l.msg === 'broker refused more than was logged one by one')).toEqual([
      expect.objectContaining({ reason: 'bad_credentials', notLogged: flood - REFUSAL_LINES_PER_WINDOW }),
    ]);
    // the next window logs one by one again
    await refused();
    expect(refusedLines()).toHaveLength(REFUSAL_LINES_PER_WINDOW + 1);
  });
});

describe('the broker under a flood of connections that end in an error', () => {
  it('logs the first ones one by one, then one line with how many more', async () => {
    const clock = new ManualClock();
    const lines: Array<{ msg: string; notLogged?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const f = await brokerFixture({ clock, logger });
    try {
      // not MQTT at all: the first byte is no packet type (0x00), so the parser fails at once
      const garbage = () =>
        new Promise<void>((resolve, reject) => {
          const socket = createConnection({ host: '127.0.0.1', port: f.broker.port });
          socket.once('error', reject);
          socket.once('connect', () => socket.write(Buffer.from([0x00, 0x00])));
          socket.once('close', () => resolve());
        });
      const flood = REFUSAL_LINES_PER_WINDOW + 25;
      for (let i = 0; i < flood; i += 5) await Promise.all(Array.from({ length: 5 }, garbage));
      await eventually(async () => (await f.metrics.value('tryghed_broker_client_errors_total')) === flood, {
        what: 'every error counted',
      });
      const one = lines.filter((l) => /closed on error$/.test(l.msg));
      expect(one).toHaveLength(REFUSAL_LINES_PER_WINDOW);
      clock.advance(REFUSAL_WINDOW_MS);
      expect(lines.filter((l) => /closed on error: more than were logged one by one/.test(l.msg))).toEqual([
        expect.objectContaining({ notLogged: 25 }),
      ]);
    } finally {
      await f.close();
    }
  });
});

describe('the dashboard under a flood of refused requests', () => {
  it('logs the first refusals of a status and code one by one, then one line with how many more', async () => {
    const f = await servicesFixture(Date.now());
    const lines: Array<{ msg: string; status?: number; code?: string; notLogged?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const dashboard = await startTestDashboard(f, { logger });
    try {
      const flood = REFUSAL_LINES_PER_WINDOW + 15;
      for (let i = 0; i < flood; i++) expect((await fetch(`${dashboard.url}/api/alerts`)).status).toBe(401);
      // another kind of refusal has its own budget
      expect((await fetch(`${dashboard.url}/api/no-such-thing`)).status).toBe(404);
      const refused = lines.filter((l) => l.msg === 'request refused');
      expect(refused.filter((l) => l.status === 401)).toHaveLength(REFUSAL_LINES_PER_WINDOW);
      expect(refused.filter((l) => l.status === 404)).toHaveLength(1);
      f.clock.advance(REFUSAL_WINDOW_MS);
      expect(lines.filter((l) => l.msg === 'requests refused more than were logged one by one')).toEqual([
        expect.objectContaining({ status: 401, code: 'unauthenticated', notLogged: 15 }),
      ]);
    } finally {
      await dashboard.close();
      await f.close();
    }
  });
});
