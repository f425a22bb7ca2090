import { z } from 'zod';
import type { Reading } from '../domain/index.ts';
import { DeadlineQueue, type Timed } from './deadlines.ts';
import type { EvidenceReading, Firing, HomeContext } from './firing.ts';
import { iso } from './firing.ts';
import { evidenceReading, noChange, type PersistedRule } from './persist.ts';

const MIN = 60_000;

interface Spell extends Timed {
  deviceId: string;
  homeId: string;
  side: 'low' | 'high';
  since: number;
  first: EvidenceReading;
  last: EvidenceReading;
  /** raised once; the spell must end (with hysteresis) before it can raise again */
  fired: boolean;
}

const evidence = (r: Reading): EvidenceReading => ({
  deviceId: r.deviceId,
  kind: r.kind,
  value: r.value,
  ts: r.ts,
});

/**
 * temperature_low / temperature_high: below `lowC` (above `highC`) continuously for `minutes`,
 * judged on the latest reading. A spell starts at the first reading beyond the threshold and ends
 * only at a reading `hysteresisC` back inside it, so a sensor hovering at 16.0 °C gives one alert
 * (and repeated dips shorter than `minutes` give none). State exists only during a spell.
 */
const SpellState = z.object({
  side: z.enum(['low', 'high']),
  since: z.number(),
  first: evidenceReading,
  last: evidenceReading,
  fired: z.boolean(),
});

export class TemperatureWatch implements PersistedRule {
  readonly rule = 'temperature';
  changed = noChange;
  private readonly spells = new Map<string, Spell>();
  private readonly queue = new DeadlineQueue<Spell>();

  constructor(private readonly home: HomeContext) {}

  snapshot(deviceId: string) {
    const s = this.spells.get(deviceId);
    if (!s) return null;
    return {
      homeId: s.homeId,
      state: { side: s.side, since: s.since, first: s.first, last: s.last, fired: s.fired },
    };
  }

  restore(deviceId: string, homeId: string, state: unknown): void {
    const s = SpellState.parse(state);
    const spell: Spell = { deviceId, homeId, ...s };
    this.spells.set(deviceId, spell);
    const home = this.home(homeId);
    if (!s.fired && home) this.queue.ensure(spell, s.since + home.settings.temperature.minutes * MIN);
  }

  forgetHome(homeId: string): void {
    for (const [deviceId, spell] of this.spells) {
      if (spell.homeId !== homeId) continue;
      this.queue.forget(spell);
      this.spells.delete(deviceId);
    }
  }

  drop(deviceId: string): void {
    const spell = this.spells.get(deviceId);
    if (!spell) return;
    this.queue.forget(spell);
    this.spells.delete(deviceId);
  }

  reading(reading: Reading, at: number): void {
    const home = this.home(reading.homeId);
    if (!home) return;
    const t = home.settings.temperature;
    const v = reading.value;
    const spell = this.spells.get(reading.deviceId);
    if (spell) {
      const over = spell.side === 'low' ? v >= t.lowC + t.hysteresisC : v <= t.highC - t.hysteresisC;
      if (!over) {
        spell.last = evidence(reading);
        return;
      }
      this.queue.forget(spell);
      this.spells.delete(reading.deviceId);
      this.changed(reading.deviceId);
    }
    const side = v < t.lowC ? 'low' : v > t.highC ? 'high' : null;
    if (!side) return;
    const next: Spell = {
      deviceId: reading.deviceId,
      homeId: reading.homeId,
      side,
      since: at,
      first: evidence(reading),
      last: evidence(reading),
      fired: false,
    };
    this.spells.set(next.deviceId, next);
    this.changed(next.deviceId);
    this.queue.ensure(next, at + t.minutes * MIN);
  }

  due(now: number): Firing[] {
    const fired: Firing[] = [];
    for (const spell of this.queue.due(now)) {
      if (this.spells.get(spell.deviceId) !== spell || spell.fired) continue;
      const home = this.home(spell.homeId);
      if (!home) {
        this.spells.delete(spell.deviceId);
        this.changed(spell.deviceId);
        continue;
      }
      const t = home.settings.temperature;
      const deadline = spell.since + t.minutes * MIN;
      if (deadline > now) {
        this.queue.ensure(spell, deadline);
        continue;
      }
      spell.fired = true;
      this.changed(spell.deviceId);
      const low = spell.side === 'low';
      const limit = low ? t.lowC : t.highC;
      const readings = spell.last === spell.first ? [spell.first] : [spell.first, spell.last];
      fired.push({
        rule: low ? 'temperature_low' : 'temperature_high',
        homeId: spell.homeId,
        deviceId: spell.deviceId,
        category: 'environment',
        severity: 'high',
        audience: 'care',
        at: deadline,
        evidence: {
          readings,
          thresholds: {
            [low ? 'lowC' : 'highC']: limit,
            minutes: t.minutes,
            hysteresisC: t.hysteresisC,
          },
          summary: `Temperature ${low ? 'below' : 'above'} ${limit} °C for ${t.minutes} minutes (since ${iso(spell.since)}; last ${spell.last.value} °C)`,
        },
      });
    }
    return fired;
  }
}
