import type { ConsentCategory, Device, LookMark, NightRoundLatest, SensorKind } from '../domain/index.ts';
import { localMinute } from './schedule.ts';

/**
 * The plain summary of one home on the night round: per category the citizen consented to for
 * `night_round`, a state and since when, and the mark "alt roligt" (calm) or "se nærmere" (check)
 * with the stated rules that made it so. States, times and a temperature only: no image, no sound,
 * no score. Words are the browser's (Danish first); the server says what holds, by code.
 */

/** The kinds each category is summed up from, in the order they are shown. */
export const SUMMARY_KINDS: Record<ConsentCategory, readonly SensorKind[]> = {
  sleep: ['bed'],
  activity: ['motion'],
  door: ['door'],
  environment: ['temperature'],
  emergency: ['alarm_button', 'fall'],
};
export const SUMMARY_CATEGORIES: readonly ConsentCategory[] = [
  'sleep',
  'activity',
  'door',
  'environment',
  'emergency',
];

/**
 * Kinds whose reading is an event (1: it happened), not a state: for them the kept `since` is when
 * the event was last heard. The others are states, and `since` is when the state began.
 */
export const EVENT_KINDS: ReadonlySet<SensorKind> = new Set(['motion', 'alarm_button', 'fall']);

/** The stated rules (docs/architecture.md, "The night round"), shown next to the mark. */
export const CHECK_RULES = {
  /** out of bed after this local time (minutes past midnight), until morning … */
  outOfBedAfterMinute: 60,
  /** … until this local time */
  outOfBedUntilMinute: 7 * 60,
  /** … and no movement (or, without motion consent, out of bed) for this long */
  stillForMs: 60 * 60_000,
  /** colder than this (°C) */
  coldBelowC: 17,
  /** an alarm button press or a fall heard within this long */
  emergencyWithinMs: 12 * 3_600_000,
} as const;

export type LineState =
  | 'in_bed'
  | 'out_of_bed'
  | 'movement'
  | 'door_closed'
  | 'door_open'
  | 'temperature'
  | 'nothing_reported'
  | 'alarm_button'
  | 'fall'
  | 'no_data';

/** One line of the summary: what holds for a kind, and since when. */
export interface SummaryLine {
  category: ConsentCategory;
  kind: SensorKind;
  state: LineState;
  /** when the state began (or the event was last heard); null when unknown */
  since: number | null;
  /** the temperature (°C), only for `temperature` */
  value: number | null;
  /** for `no_data`: the sensor was last heard then (null: never, or no such sensor in the home) */
  lastHeardAt: number | null;
  /** for `no_data`: whether the home has a sensor of this kind at all */
  sensorPresent: boolean;
}

export type ReasonCode = 'out_of_bed_still' | 'door_open' | 'cold' | 'alarm_button' | 'fall' | 'no_data';

export interface Reason {
  code: ReasonCode;
  kind: SensorKind;
  since: number | null;
  value: number | null;
}

export interface HomeSummary {
  mark: LookMark;
  lines: SummaryLine[];
  /** why "se nærmere"; empty when "alt roligt" */
  reasons: Reason[];
}

export interface SummaryInput {
  now: number;
  timeZone: string;
  /** the categories consented to for the night round */
  categories: readonly ConsentCategory[];
  latest: ReadonlyMap<SensorKind, NightRoundLatest>;
  devices: readonly Device[];
  /** when a device was last heard (any well-formed reading, heartbeat included), if known */
  heardAt(deviceId: string): number | undefined;
}

/** A sensor is silent when none of the home's devices of its kind was heard for 2.5 × its interval. */
function silence(kind: SensorKind, input: SummaryInput, latest: NightRoundLatest | undefined) {
  const devices = input.devices.filter((d) => d.kinds.includes(kind));
  if (devices.length === 0) return { present: false, silent: true, lastHeardAt: null };
  let lastHeardAt: number | null = latest?.lastAt ?? null;
  let alive = false;
  for (const d of devices) {
    const heard = Math.max(input.heardAt(d.id) ?? 0, latest?.lastAt ?? 0);
    if (heard > 0) lastHeardAt = Math.max(lastHeardAt ?? 0, heard);
    if (heard > 0 && input.now - heard <= d.reportIntervalS * 2500) alive = true;
  }
  return { present: true, silent: !alive, lastHeardAt };
}

function line(kind: SensorKind, input: SummaryInput, category: ConsentCategory): SummaryLine {
  const latest = input.latest.get(kind);
  const s = silence(kind, input, latest);
  const base = { category, kind, value: null, lastHeardAt: s.lastHeardAt, sensorPresent: s.present };
  // an event sensor that was heard but never reported the event is not "no data": nothing happened
  if (s.silent || (!latest && !EVENT_KINDS.has(kind))) return { ...base, state: 'no_data', since: null };
  switch (kind) {
    case 'bed':
      return { ...base, state: latest?.value === 1 ? 'in_bed' : 'out_of_bed', since: latest?.since ?? null };
    case 'door':
      return {
        ...base,
        state: latest?.value === 1 ? 'door_open' : 'door_closed',
        since: latest?.since ?? null,
      };
    case 'temperature':
      return { ...base, state: 'temperature', since: latest?.lastAt ?? null, value: latest?.value ?? null };
    case 'motion':
      return latest && latest.since > 0
        ? { ...base, state: 'movement', since: latest.since }
        : { ...base, state: 'nothing_reported', since: null };
    default: {
      const recent = latest && latest.since > 0 && input.now - latest.since <= CHECK_RULES.emergencyWithinMs;
      return recent
        ? { ...base, state: kind === 'fall' ? 'fall' : 'alarm_button', since: latest.since }
        : { ...base, state: 'nothing_reported', since: null };
    }
  }
}

/** The summary of one home: only the consented categories, and the mark by the stated rules. */
export function summarise(input: SummaryInput): HomeSummary {
  const lines: SummaryLine[] = [];
  for (const category of SUMMARY_CATEGORIES) {
    if (!input.categories.includes(category)) continue;
    const kinds = SUMMARY_KINDS[category];
    const own = kinds.map((k) => line(k, input, category));
    // emergency: a kind the home has no sensor for is left out, unless it has neither
    const present = own.filter((l) => l.sensorPresent);
    lines.push(...(category === 'emergency' && present.length > 0 ? present : own));
  }
  const reasons: Reason[] = [];
  const of = (kind: SensorKind) => lines.find((l) => l.kind === kind);
  const bed = of('bed');
  if (bed?.state === 'out_of_bed' && bed.since !== null) {
    const minute = localMinute(input.now, input.timeZone);
    const night = minute >= CHECK_RULES.outOfBedAfterMinute && minute < CHECK_RULES.outOfBedUntilMinute;
    const motion = of('motion');
    // with motion consent: still for an hour; without: out of bed for an hour
    const stillSince =
      motion && motion.state !== 'no_data' ? Math.max(bed.since, motion.since ?? 0) : bed.since;
    if (night && input.now - stillSince >= CHECK_RULES.stillForMs)
      reasons.push({ code: 'out_of_bed_still', kind: 'bed', since: bed.since, value: null });
  }
  for (const l of lines) {
    if (l.state === 'door_open')
      reasons.push({ code: 'door_open', kind: l.kind, since: l.since, value: null });
    if (l.state === 'temperature' && l.value !== null && l.value < CHECK_RULES.coldBelowC)
      reasons.push({ code: 'cold', kind: l.kind, since: l.since, value: l.value });
    if (l.state === 'alarm_button' || l.state === 'fall')
      reasons.push({ code: l.state, kind: l.kind, since: l.since, value: null });
    if (l.state === 'no_data')
      reasons.push({ code: 'no_data', kind: l.kind, since: l.lastHeardAt, value: null });
  }
  return { mark: reasons.length > 0 ? 'check' : 'calm', lines, reasons };
}
