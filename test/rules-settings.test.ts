import { describe, expect, it } from 'vitest';
import { parseHomeRuleSettings } from '../services/rules/index.ts';

const paths = (raw: unknown) => {
  const r = parseHomeRuleSettings(raw);
  return r.ok ? [] : r.issues.map((i) => i.path);
};

describe('per-home rule settings', () => {
  it('an empty object gives every default', () => {
    const r = parseHomeRuleSettings({});
    expect(r).toEqual({
      ok: true,
      settings: {
        inactivity: { minutes: 120, windows: [{ start: '07:00', end: '22:00' }] },
        night: { start: '23:00', end: '06:00' },
        co: { ppm: 50, hysteresisPpm: 10, refireMinutes: 15 },
        temperature: { lowC: 16, highC: 28, minutes: 30, hysteresisC: 0.5 },
        doorNight: { minutes: 10 },
        outOfBed: { minutes: 30 },
        lowBattery: { percent: 20 },
      },
    });
  });

  it('a partial section keeps the other defaults of that section', () => {
    const r = parseHomeRuleSettings({ temperature: { lowC: 18 }, night: { start: '22:00', end: '07:00' } });
    expect(r.ok && r.settings.temperature).toEqual({ lowC: 18, highC: 28, minutes: 30, hysteresisC: 0.5 });
    expect(r.ok && r.settings.night).toEqual({ start: '22:00', end: '07:00' });
  });

  it('refuses what makes no sense, naming every field at once', () => {
    expect(
      paths({
        nigth: {},
        night: { start: '23:00', end: '23:00' },
        co: { ppm: 5 },
        temperature: { lowC: 20, highC: 20.5 },
        doorNight: { minutes: 0, extra: 1 },
        outOfBed: { minutes: 2.5 },
        lowBattery: { percent: 95 },
      }).sort(),
    ).toEqual(
      [
        '',
        'co.hysteresisPpm',
        'co.ppm',
        'doorNight',
        'doorNight.minutes',
        'lowBattery.percent',
        'night',
        'outOfBed.minutes',
        'temperature.highC',
      ].sort(),
    );
  });

  it('says why in words', () => {
    const r = parseHomeRuleSettings({
      night: { start: '23:00', end: '23:00' },
      co: { ppm: 50, hysteresisPpm: 60 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues).toEqual(
        expect.arrayContaining([
          { path: 'night', message: 'the night window must not start and end at the same time' },
          { path: 'co.hysteresisPpm', message: 'hysteresisPpm must be smaller than ppm' },
        ]),
      );
  });
});
