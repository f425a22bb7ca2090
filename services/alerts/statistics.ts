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
  /** seconds from opening to "på vej" (a responder set out) */
  enRoute: Durations;
  /** seconds from opening to "fremme" (a responder arrived) */
  arrive: Durations;
  /** seconds from opening to resolution */
  resolve: Durations;
  /**
   * alerts acknowledged within the answer target, of all alerts, 0..1 (one never acknowledged, or
   * still open past the target, counts as not answered in time); null without alerts
   */
  answeredInTime: number | null;
  /**
   * alerts a responder reached ("fremme") within the arrival target, of the alerts a responder was
   * sent to: every alert except those resolved without anyone arriving (a false alarm cleared by
   * phone, say). One still not reached counts as late once the target has passed. Null without any.
   */
  reachedInTime: number | null;
  /** how many alerts `reachedInTime` is a share of */
  reachable: number;
}

/** The chain's targets (ANSWER_TARGET_S, ARRIVAL_TARGET_MIN), in seconds. */
export interface ChainTargets {
  answerWithinS: number;
  arriveWithinS: number;
}

export const DEFAULT_CHAIN_TARGETS: ChainTargets = { answerWithinS: 60, arriveWithinS: 30 * 60 };

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
  /** the targets the shares are measured against */
  targets: ChainTargets;
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

function summarise(alerts: readonly Alert[], targets: ChainTargets, now: number): OutcomeStats {
  const resolved = alerts.filter((a) => a.state === 'resolved');
  const falseAlarms = resolved.filter((a) => a.outcome === 'false_alarm').length;
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const answerMs = targets.answerWithinS * 1000;
  const arriveMs = targets.arriveWithinS * 1000;
  // an alert still waiting is judged only once its target has passed; before that it is not counted
  const answerJudged = alerts.filter((a) => a.acknowledgedAt !== null || now - a.openedAt > answerMs);
  const answered = answerJudged.filter(
    (a) => a.acknowledgedAt !== null && a.acknowledgedAt - a.openedAt <= answerMs,
  ).length;
  // nobody needed to go: resolved without anyone arriving
  const reachable = alerts.filter(
    (a) => a.arrivedAt !== null || (a.state !== 'resolved' && now - a.openedAt > arriveMs),
  );
  const reached = reachable.filter(
    (a) => a.arrivedAt !== null && a.arrivedAt - a.openedAt <= arriveMs,
  ).length;
  return {
    alerts: alerts.length,
    resolved: resolved.length,
    falseAlarmRate: resolved.length ? falseAlarms / resolved.length : null,
    acknowledge: durations(
      alerts.filter((a) => a.acknowledgedAt !== null).map((a) => seconds(a.acknowledgedAt! - a.openedAt)),
    ),
    enRoute: durations(
      alerts.filter((a) => a.enRouteAt !== null).map((a) => seconds(a.enRouteAt! - a.openedAt)),
    ),
    arrive: durations(
      alerts.filter((a) => a.arrivedAt !== null).map((a) => seconds(a.arrivedAt! - a.openedAt)),
    ),
    resolve: durations(
      resolved.filter((a) => a.resolvedAt !== null).map((a) => seconds(a.resolvedAt! - a.openedAt)),
    ),
    answeredInTime: answerJudged.length ? answered / answerJudged.length : null,
    reachedInTime: reachable.length ? reached / reachable.length : null,
    reachable: reachable.length,
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
  targets: ChainTargets = DEFAULT_CHAIN_TARGETS,
  /** the server's now: an alert still waiting counts as late only once its target has passed */
  now: number = to,
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
    total: summarise(real, targets, now),
    byRule: Object.fromEntries([...byRule].map(([rule, list]) => [rule, summarise(list, targets, now)])),
    byTeam: Object.fromEntries([...byTeam].map(([team, list]) => [team, summarise(list, targets, now)])),
    targets,
  };
}
