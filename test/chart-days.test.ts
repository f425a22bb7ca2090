import { describe, expect, it } from 'vitest';
import { localDays, minuteOfDay, splitIntoDays } from '../dashboard/web/src/home-view/local-days.ts';

const TZ = 'Europe/Copenhagen';
const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

/** The timeline's days are the home's local days, daylight saving included (pure: times injected). */
describe('timeline days in the home time zone', () => {
  it('the autumn change night makes a 25-hour day; events land on their local day', () => {
    // Sunday 25 October 2026: clocks go back at 03:00 CEST to 02:00 CET
    const from = at('2026-10-23T22:00:00Z'); // Saturday 24.10 00:00 CEST
    const to = at('2026-10-26T23:00:00Z'); // Tuesday 27.10 00:00 CET
    const days = localDays(from, to, TZ);
    expect(days.map((d) => d.date)).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
    expect(days.map((d) => (d.end - d.start) / H)).toEqual([24, 25, 24]);
    expect(days[1]!.start).toBe(at('2026-10-24T22:00:00Z'));
    expect(days[2]!.start).toBe(at('2026-10-25T23:00:00Z'));

    const split = splitIntoDays(
      [
        // 23:30 UTC on the 25th is 00:30 CET on the 26th, not the 25th
        { ts: at('2026-10-25T23:30:00Z'), value: 1 },
        // 22:30 UTC on the 25th is 23:30 CET on the 25th
        { ts: at('2026-10-25T22:30:00Z'), value: 1 },
        // the repeated hour: 02:30 CEST and 02:30 CET both belong to the 25th
        { ts: at('2026-10-25T00:30:00Z'), value: 1 },
        { ts: at('2026-10-25T01:30:00Z'), value: 1 },
      ].sort((a, b) => a.ts - b.ts),
      from,
      to,
      TZ,
    );
    expect(split.map((d) => d.events.length)).toEqual([0, 3, 1]);
    expect(minuteOfDay(at('2026-10-25T00:30:00Z'), TZ)).toBe(150);
    expect(minuteOfDay(at('2026-10-25T01:30:00Z'), TZ)).toBe(150);
  });

  it('the spring change night makes a 23-hour day', () => {
    // Sunday 29 March 2026: clocks go forward at 02:00 CET to 03:00 CEST
    const days = localDays(at('2026-03-27T23:00:00Z'), at('2026-03-30T22:00:00Z'), TZ);
    expect(days.map((d) => [d.date, (d.end - d.start) / H])).toEqual([
      ['2026-03-28', 24],
      ['2026-03-29', 23],
      ['2026-03-30', 24],
    ]);
  });

  it('an open period crossing midnight shows on both days; one still open runs to the end of the period', () => {
    const from = at('2026-11-19T23:00:00Z'); // 20.11 00:00 CET
    const to = at('2026-11-21T12:00:00Z'); // 21.11 13:00 CET
    const split = splitIntoDays(
      [
        { ts: at('2026-11-20T22:50:00Z'), value: 1 }, // 23:50
        { ts: at('2026-11-20T22:55:00Z'), value: 1 }, // still open (a repeat)
        { ts: at('2026-11-20T23:10:00Z'), value: 0 }, // 00:10 the next day
        { ts: at('2026-11-21T11:00:00Z'), value: 1 }, // 12:00, not closed yet
      ],
      from,
      to,
      TZ,
    );
    expect(split.map((d) => d.date)).toEqual(['2026-11-20', '2026-11-21']);
    expect(split[0]!.spans).toEqual([{ start: at('2026-11-20T22:50:00Z'), end: at('2026-11-20T23:00:00Z') }]);
    expect(split[0]!.onMs).toBe(10 * 60_000);
    expect(split[0]!.events).toHaveLength(2);
    expect(split[1]!.spans).toEqual([
      { start: at('2026-11-20T23:00:00Z'), end: at('2026-11-20T23:10:00Z') },
      { start: at('2026-11-21T11:00:00Z'), end: to },
    ]);
    expect(split[1]!.onMs).toBe(70 * 60_000);
  });
});
