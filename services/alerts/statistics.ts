import type { Alert, RuleKind } from '../domain/index.ts';

/**
 * Outcome statistics of handled alerts, per rule kind and per team. Deliberately never per
 * employee: the platform does not rank or surveil staff, so nothing here is keyed by a person.
 */
export interface OutcomeStats {
  alerts: number;
  resolved: number;
  /** false alarms among resolved alerts, 0..1; null when none is resolved */
  falseAlarmRate: number | null;
  /** seconds from opening to acknowledgement */
  acknowledge: Durations;
  /** seconds from opening to resolution */
  resolve: Durations;
}

export interface Durations {
  count: number;
  median: number | null;
  p90: number | null;
}

export interface StatisticsReport {
  from: number;
  to: number;
  total: OutcomeStats;
  byRule: Partial<Record<RuleKind, OutcomeStats>>;
  byTeam: Record<string, OutcomeStats>;
}

/** The q-quantile (0..1) of sorted values by the nearest-rank method. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

function durations(values: number[]): Durations {
  const sorted = values.sort((a, b) => a - b);
  return { count: sorted.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

function summarise(alerts: readonly Alert[]): OutcomeStats {
  const resolved = alerts.filter((a) => a.state === 'resolved');
  const falseAlarms = resolved.filter((a) => a.outcome === 'false_alarm').length;
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  return {
    alerts: alerts.length,
    resolved: resolved.length,
    falseAlarmRate: resolved.length ? falseAlarms / resolved.length : null,
    acknowledge: durations(
      alerts.filter((a) => a.acknowledgedAt !== null).map((a) => seconds(a.acknowledgedAt! - a.openedAt)),
    ),
    resolve: durations(
      resolved.filter((a) => a.resolvedAt !== null).map((a) => seconds(a.resolvedAt! - a.openedAt)),
    ),
  };
}

/**
 * Statistics over alerts opened in [from, to). Test alerts must already be left out (the store
 * does); `teamOf` maps a home to its team today.
 */
export function outcomeStatistics(
  alerts: readonly Alert[],
  from: number,
  to: number,
  teamOf: (homeId: string) => string | undefined,
): StatisticsReport {
  const real = alerts.filter((a) => !a.test);
  const byRule = new Map<RuleKind, Alert[]>();
  const byTeam = new Map<string, Alert[]>();
  const add = <K>(map: Map<K, Alert[]>, key: K, a: Alert) => {
    const list = map.get(key);
    if (list) list.push(a);
    else map.set(key, [a]);
  };
  for (const a of real) {
    add(byRule, a.rule, a);
    const team = teamOf(a.homeId);
    if (team) add(byTeam, team, a);
  }
  return {
    from,
    to,
    total: summarise(real),
    byRule: Object.fromEntries([...byRule].map(([rule, list]) => [rule, summarise(list)])),
    byTeam: Object.fromEntries([...byTeam].map(([team, list]) => [team, summarise(list)])),
  };
}
