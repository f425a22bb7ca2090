import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN, type RulesFixture, rulesFixture } from './harness/rules.ts';

// Default night 23:00-06:00 in Europe/Copenhagen: UTC+1 in winter, UTC+2 in summer.
const utc = (iso: string) => Date.parse(`${iso}Z`);
// Tuesday 6 January 2026, 02:00 local (winter)
const WINTER_NIGHT = utc('2026-01-06T01:00:00.000');

describe('door_night', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(utc('2026-01-05T08:00:00.000'));
    await f.home('h', ['door']);
    await f.device('h-motion', 'h', ['motion']);
    await f.setConsent('h', 'door', 'alerts');
    await f.setConsent('h', 'activity', 'alerts');
    f.start();
  });
  afterEach(async () => {
    await f.close();
  });
  const doorNight = () => f.of('door_night');
  /** opens the door at `t`, then ticks up to just before and exactly at the deadline */
  const openAndWait = (t: number, minutes = 10) => {
    f.clock.set(t);
    f.send('h-dev', 'door', 1);
    f.tickAt(t + minutes * MIN - 1);
    const before = doorNight().length;
    f.tickAt(t + minutes * MIN);
    return { before, after: doorNight().length };
  };

  it('opened at night and not closed: fires (high) exactly 10 minutes later, not a millisecond before', () => {
    f.clock.set(WINTER_NIGHT);
    const r = f.send('h-dev', 'door', 1);
    f.tickAt(WINTER_NIGHT + 10 * MIN - 1);
    expect(doorNight()).toEqual([]);
    f.tickAt(WINTER_NIGHT + 10 * MIN);
    expect(doorNight()).toHaveLength(1);
    const c = doorNight()[0]!;
    expect(c).toMatchObject({
      homeId: 'h',
      category: 'door',
      severity: 'high',
      audience: 'care',
      at: WINTER_NIGHT + 10 * MIN,
    });
    expect(c.test).toBeUndefined();
    expect(c.evidence.readings).toEqual([{ deviceId: 'h-dev', kind: 'door', value: 1, ts: r.ts }]);
    expect(c.evidence.thresholds).toEqual({
      minutes: 10,
      night: '23:00-06:00',
      timezone: 'Europe/Copenhagen',
      motionRequired: 'yes',
    });
    expect(c.evidence.summary).toBe(
      'Entrance door opened at night at 2026-01-06T01:00:00.000Z and not closed within 10 minutes',
    );
    // the door stays open and keeps reporting it: still one alert
    f.send('h-dev', 'door', 1);
    f.tickAt(WINTER_NIGHT + 60 * MIN);
    expect(doorNight()).toHaveLength(1);
  });

  it('closed and motion inside within the minutes: no alert', () => {
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'door', 1);
    f.clock.advance(2 * MIN);
    f.send('h-dev', 'door', 0);
    f.clock.advance(7 * MIN);
    f.send('h-motion', 'motion', 1);
    f.tickUntil(WINTER_NIGHT + 60 * MIN, MIN);
    expect(doorNight()).toEqual([]);
    // positive control: the same door, opened again the same night and left open, fires
    expect(openAndWait(WINTER_NIGHT + 60 * MIN)).toEqual({ before: 0, after: 1 });
  });

  it('closed but no motion inside after closing (someone left): fires, naming both readings', () => {
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'door', 1);
    f.clock.advance(MIN);
    f.send('h-motion', 'motion', 1); // before the door closed: may be the person leaving
    f.clock.advance(MIN);
    const closed = f.send('h-dev', 'door', 0);
    f.tickAt(WINTER_NIGHT + 10 * MIN);
    expect(doorNight()).toHaveLength(1);
    expect(doorNight()[0]?.evidence.readings.map((r) => r.value)).toEqual([1, 0]);
    expect(doorNight()[0]?.evidence.readings[1]?.ts).toBe(closed.ts);
    expect(doorNight()[0]?.evidence.summary).toContain('but no motion inside within 10 minutes');
  });

  it('motion after the deadline is too late, even if the tick comes late', () => {
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'door', 1);
    f.send('h-dev', 'door', 0);
    f.clock.set(WINTER_NIGHT + 10 * MIN + 1);
    f.send('h-motion', 'motion', 1);
    f.tickAt(WINTER_NIGHT + 11 * MIN);
    expect(doorNight()).toHaveLength(1);
  });

  it('opened, closed, opened again: the new opening gets its own minutes', () => {
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'door', 1);
    f.clock.advance(MIN);
    f.send('h-dev', 'door', 0);
    f.clock.advance(8 * MIN);
    f.send('h-dev', 'door', 1);
    f.tickAt(WINTER_NIGHT + 10 * MIN);
    expect(doorNight()).toEqual([]);
    f.tickAt(WINTER_NIGHT + 19 * MIN);
    expect(doorNight()).toHaveLength(1);
  });

  it('window edges: 22:59:59.999 and 06:00 local are day; 23:00 and 05:59:59.999 are night', () => {
    expect(openAndWait(utc('2026-01-05T21:59:59.999'))).toEqual({ before: 0, after: 0 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-01-05T22:00:00.000'))).toEqual({ before: 0, after: 1 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-01-06T04:59:59.999'))).toEqual({ before: 1, after: 2 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-01-06T05:00:00.000'))).toEqual({ before: 2, after: 2 });
  });

  it('crossing midnight: opened 23:55, fires 00:05', () => {
    expect(openAndWait(utc('2026-01-05T22:55:00.000'))).toEqual({ before: 0, after: 1 });
    expect(doorNight()[0]?.at).toBe(utc('2026-01-05T23:05:00.000'));
  });

  it('spring-forward night (29 March 2026): 10 real minutes across 02:00→03:00; 06:00 CEST is 04:00 UTC', () => {
    // 01:55 CET, the deadline 03:05 CEST
    expect(openAndWait(utc('2026-03-29T00:55:00.000'))).toEqual({ before: 0, after: 1 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-03-29T03:59:59.999'))).toEqual({ before: 1, after: 2 });
    f.send('h-dev', 'door', 0);
    // 04:00 UTC is 06:00 summer time: day, although it would be night on winter time
    expect(openAndWait(utc('2026-03-29T04:00:00.000'))).toEqual({ before: 2, after: 2 });
    f.send('h-dev', 'door', 0);
    // the evening before: 23:00 CET is 22:00 UTC
    expect(openAndWait(utc('2026-03-28T21:59:59.999'))).toEqual({ before: 2, after: 2 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-03-28T22:00:00.000'))).toEqual({ before: 2, after: 3 });
  });

  it('fall-back night (25 October 2026): both 02:30s are night; 06:00 CET is 05:00 UTC', () => {
    // the evening before: 23:00 CEST is 21:00 UTC
    expect(openAndWait(utc('2026-10-24T20:59:59.999'))).toEqual({ before: 0, after: 0 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-10-24T21:00:00.000'))).toEqual({ before: 0, after: 1 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-10-25T00:30:00.000'))).toEqual({ before: 1, after: 2 }); // 02:30 CEST
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-10-25T01:30:00.000'))).toEqual({ before: 2, after: 3 }); // 02:30 CET
    f.send('h-dev', 'door', 0);
    // 04:59:59.999 UTC is 05:59:59.999 winter time: still night, although 06:59 on summer time
    expect(openAndWait(utc('2026-10-25T04:59:59.999'))).toEqual({ before: 3, after: 4 });
    f.send('h-dev', 'door', 0);
    expect(openAndWait(utc('2026-10-25T05:00:00.000'))).toEqual({ before: 4, after: 4 });
  });

  it('per-home night window and minutes', async () => {
    await f.registry.updateHome('h', {
      settings: { night: { start: '21:30', end: '07:30' }, doorNight: { minutes: 5 } },
    });
    // 22:00 local: night for this home only
    expect(openAndWait(utc('2026-01-05T21:00:00.000'), 5)).toEqual({ before: 0, after: 1 });
    expect(doorNight()[0]?.evidence.thresholds).toMatchObject({ minutes: 5, night: '21:30-07:30' });
  });

  it('door alerts consent withdrawn: not raised', async () => {
    await f.setConsent('h', 'door', 'alerts', 'withdraw');
    expect(openAndWait(WINTER_NIGHT)).toEqual({ before: 0, after: 0 });
    expect(
      await f.metrics.value('tryghed_rules_suppressed_total', { rule: 'door_night', reason: 'no_consent' }),
    ).toBe(1);
    // positive control: granted again, the same opening fires
    await f.setConsent('h', 'door', 'alerts');
    f.send('h-dev', 'door', 0);
    expect(openAndWait(WINTER_NIGHT + 60 * MIN)).toEqual({ before: 0, after: 1 });
  });

  it('without activity alerts consent, motion is not asked for: closing the door is enough', async () => {
    await f.setConsent('h', 'activity', 'alerts', 'withdraw');
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'door', 1);
    f.send('h-dev', 'door', 0);
    f.tickAt(WINTER_NIGHT + 10 * MIN);
    expect(doorNight()).toEqual([]);
    // but a door left open still is
    f.send('h-dev', 'door', 1);
    f.tickAt(WINTER_NIGHT + 20 * MIN);
    expect(doorNight()).toHaveLength(1);
    expect(doorNight()[0]?.evidence.thresholds?.motionRequired).toBe('no');
  });

  it('a device in test mode raises test candidates', async () => {
    await f.registry.setDeviceTestMode('h-dev', WINTER_NIGHT + 4 * 60 * MIN);
    openAndWait(WINTER_NIGHT);
    expect(doorNight()[0]?.test).toBe(true);
  });
});

describe('door_night in a home without a motion sensor', () => {
  it('closing the door within the minutes is enough', async () => {
    const f = await rulesFixture(WINTER_NIGHT);
    try {
      await f.home('h', ['door']);
      await f.setConsent('h', 'door', 'alerts');
      await f.setConsent('h', 'activity', 'alerts');
      f.start();
      f.send('h-dev', 'door', 1);
      f.send('h-dev', 'door', 0);
      f.tickAt(WINTER_NIGHT + 30 * MIN);
      expect(f.of('door_night')).toEqual([]);
      // positive control: the same door left open fires
      f.send('h-dev', 'door', 1);
      f.tickAt(WINTER_NIGHT + 40 * MIN);
      expect(f.of('door_night')).toHaveLength(1);
    } finally {
      await f.close();
    }
  });
});

describe('out_of_bed', () => {
  let f: RulesFixture;
  beforeEach(async () => {
    f = await rulesFixture(utc('2026-01-05T08:00:00.000'));
    await f.home('h', ['bed']);
    await f.setConsent('h', 'sleep', 'alerts');
    f.start();
  });
  afterEach(async () => {
    await f.close();
  });
  const outOfBed = () => f.of('out_of_bed');
  /** gets up at `t`, then ticks up to just before and exactly at the deadline */
  const upAndWait = (t: number, minutes = 30) => {
    f.clock.set(t);
    f.send('h-dev', 'bed', 0);
    f.tickAt(t + minutes * MIN - 1);
    const before = outOfBed().length;
    f.tickAt(t + minutes * MIN);
    const after = outOfBed().length;
    f.send('h-dev', 'bed', 1);
    return { before, after };
  };

  it('out of bed at night and not back: fires (high) exactly 30 minutes later, once', () => {
    f.clock.set(WINTER_NIGHT);
    const r = f.send('h-dev', 'bed', 0);
    f.tickAt(WINTER_NIGHT + 30 * MIN - 1);
    expect(outOfBed()).toEqual([]);
    f.tickAt(WINTER_NIGHT + 30 * MIN);
    expect(outOfBed()).toHaveLength(1);
    expect(outOfBed()[0]).toMatchObject({
      homeId: 'h',
      category: 'sleep',
      severity: 'high',
      audience: 'care',
      at: WINTER_NIGHT + 30 * MIN,
    });
    expect(outOfBed()[0]?.evidence).toEqual({
      readings: [{ deviceId: 'h-dev', kind: 'bed', value: 0, ts: r.ts }],
      thresholds: { minutes: 30, night: '23:00-06:00', timezone: 'Europe/Copenhagen' },
      summary: 'Out of bed at night since 2026-01-06T01:00:00.000Z and not back within 30 minutes',
    });
    f.send('h-dev', 'bed', 0); // still up, reported again
    f.tickAt(WINTER_NIGHT + 120 * MIN);
    expect(outOfBed()).toHaveLength(1);
  });

  it('back in bed within the minutes: no alert; up again later: counted afresh', () => {
    f.clock.set(WINTER_NIGHT);
    f.send('h-dev', 'bed', 0);
    f.clock.advance(29 * MIN);
    f.send('h-dev', 'bed', 1);
    f.tickAt(WINTER_NIGHT + 60 * MIN);
    expect(outOfBed()).toEqual([]);
    expect(upAndWait(WINTER_NIGHT + 60 * MIN)).toEqual({ before: 0, after: 1 });
  });

  it('window edges, and crossing midnight', () => {
    expect(upAndWait(utc('2026-01-05T21:59:59.999'))).toEqual({ before: 0, after: 0 });
    expect(upAndWait(utc('2026-01-05T22:50:00.000'))).toEqual({ before: 0, after: 1 }); // 23:50 → 00:20
    expect(outOfBed()[0]?.at).toBe(utc('2026-01-05T23:20:00.000'));
    expect(upAndWait(utc('2026-01-06T04:59:59.999'))).toEqual({ before: 1, after: 2 });
    expect(upAndWait(utc('2026-01-06T05:00:00.000'))).toEqual({ before: 2, after: 2 }); // 06:00: morning
  });

  it('spring-forward night (29 March 2026)', () => {
    expect(upAndWait(utc('2026-03-28T21:59:59.999'))).toEqual({ before: 0, after: 0 }); // 22:59:59 CET
    expect(upAndWait(utc('2026-03-28T22:00:00.000'))).toEqual({ before: 0, after: 1 }); // 23:00 CET
    // 01:45 CET; 30 real minutes later the clock shows 03:15 CEST
    expect(upAndWait(utc('2026-03-29T00:45:00.000'))).toEqual({ before: 1, after: 2 });
    expect(outOfBed()[1]?.at).toBe(utc('2026-03-29T01:15:00.000'));
    expect(upAndWait(utc('2026-03-29T03:59:59.999'))).toEqual({ before: 2, after: 3 }); // 05:59:59 CEST
    expect(upAndWait(utc('2026-03-29T04:00:00.000'))).toEqual({ before: 3, after: 3 }); // 06:00 CEST
  });

  it('fall-back night (25 October 2026)', () => {
    expect(upAndWait(utc('2026-10-24T20:59:59.999'))).toEqual({ before: 0, after: 0 }); // 22:59:59 CEST
    expect(upAndWait(utc('2026-10-24T21:00:00.000'))).toEqual({ before: 0, after: 1 }); // 23:00 CEST
    // 02:50 CEST; 30 real minutes later the clock shows 02:20 CET
    expect(upAndWait(utc('2026-10-25T00:50:00.000'))).toEqual({ before: 1, after: 2 });
    expect(upAndWait(utc('2026-10-25T04:59:59.999'))).toEqual({ before: 2, after: 3 }); // 05:59:59 CET
    expect(upAndWait(utc('2026-10-25T05:00:00.000'))).toEqual({ before: 3, after: 3 }); // 06:00 CET
  });

  it('another time zone is honoured', async () => {
    await f.registry.updateHome('h', { timezone: 'America/New_York' });
    // 02:00 in Copenhagen is 20:00 the evening before in New York: not night there
    expect(upAndWait(WINTER_NIGHT)).toEqual({ before: 0, after: 0 });
    // 02:00 in New York (UTC-5)
    expect(upAndWait(utc('2026-01-06T07:00:00.000'))).toEqual({ before: 0, after: 1 });
  });

  it('sleep alerts consent withdrawn: not raised', async () => {
    await f.setConsent('h', 'sleep', 'alerts', 'withdraw');
    expect(upAndWait(WINTER_NIGHT)).toEqual({ before: 0, after: 0 });
    // positive control: granted again, getting up the same night fires
    await f.setConsent('h', 'sleep', 'alerts');
    expect(upAndWait(WINTER_NIGHT + 60 * MIN)).toEqual({ before: 0, after: 1 });
  });

  it('a home or a device in test mode raises test candidates', async () => {
    await f.registry.setHomeTestMode('h', WINTER_NIGHT + 4 * 60 * MIN);
    upAndWait(WINTER_NIGHT);
    expect(outOfBed()[0]?.test).toBe(true);
    await f.registry.setHomeTestMode('h', null);
    upAndWait(WINTER_NIGHT + 60 * MIN);
    // test mode over: what it made a test alert is handed on; then a real one
    expect(outOfBed()[1]).toMatchObject({ handover: true });
    expect(outOfBed()[2]?.test).toBeUndefined();
    await f.registry.setDeviceTestMode('h-dev', WINTER_NIGHT + 4 * 60 * MIN);
    upAndWait(WINTER_NIGHT + 120 * MIN);
    expect(outOfBed()[3]?.test).toBe(true);
  });
});
