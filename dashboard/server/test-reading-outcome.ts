import { z } from 'zod';
import { type AlertEvent, categoryOf, type SensorKind } from '../../services/domain/index.ts';
import { systemClock } from '../../services/runtime/index.ts';
import type { DashboardContext } from './context.ts';

/**
 * What a technician's test reading did, said so the technician can act on it: the alert it raised
 * (or the open one it was counted on), or why it raised nothing. Read from what the alert service
 * really did with it (its events and open alerts), not from a second copy of the rules.
 */
export const TestReadingOutcome = z.strictObject({
  reason: z
    .enum([
      'raised',
      'repeated',
      'no_alert_consent',
      'needs_time',
      'value_normal',
      'real_alert_open',
      'no_alert_seen',
    ])
    .meta({
      description:
        'raised: a test alert was opened; repeated: counted on the open test alert; no_alert_consent: the citizen has not consented to alerts of this category; needs_time: this kind raises nothing on one reading (its rules look at time); value_normal: the value is within the rule’s limits; real_alert_open: a real alert of this kind is open, a test never adds to it; no_alert_seen: none within the wait',
    }),
  alert: z.strictObject({ id: z.string(), rule: z.string(), test: z.boolean() }).nullable(),
  message: z.string(),
});
export type TestReadingOutcome = z.infer<typeof TestReadingOutcome>;

/** The rule a reading of this kind can raise on its own, with no timer: the engine's immediate rules. */
const RULE_OF: Partial<Record<SensorKind, string>> = {
  alarm_button: 'alarm_button',
  fall: 'fall',
  smoke: 'smoke',
  water_leak: 'water_leak',
  co: 'co',
  battery: 'low_battery',
};

/**
 * How long the route waits for the alert service to answer (it writes to the store first); longer
 * when the reading went to another process's ingest (its alert comes back over the cluster link).
 */
const WAIT_MS = 1_500;
const REMOTE_WAIT_MS = 4_000;

/**
 * Listens for the alert a test reading may raise while `send` hands it to ingest, then says what
 * happened. `send` runs the reading through ingest (here, synchronously: the rules hear it at once;
 * or another process's, `remote`) and says whether ingest took it; a refused reading is not waited for.
 */
export async function observeTestReading(
  ctx: DashboardContext,
  homeId: string,
  kind: SensorKind,
  value: number,
  send: () => boolean | Promise<boolean>,
  remote = false,
): Promise<TestReadingOutcome> {
  const rule = RULE_OF[kind];
  const category = categoryOf(kind);
  if (!rule) {
    await send();
    return {
      reason: 'needs_time',
      alert: null,
      message: `a ${kind} reading raises nothing on its own: its rules look at time (a cold spell, no motion for hours, a door at night, out of bed, a silent device), which a test reading does not feed`,
    };
  }
  if (category !== 'technical' && !ctx.consent.allows(homeId, category, 'alerts')) {
    await send();
    return {
      reason: 'no_alert_consent',
      alert: null,
      message: `the citizen has not consented to alerts about ${category}; no alert can be raised`,
    };
  }
  // the engine's immediate rules fire on a value of 1 or more (a press, a fall, smoke, water)
  if (kind !== 'co' && kind !== 'battery' && value < 1) {
    await send();
    return {
      reason: 'value_normal',
      alert: null,
      message: 'the value is 0 (nothing detected); send 1 to test the alarm',
    };
  }
  let seen: AlertEvent | null = null;
  let wake: (() => void) | null = null;
  const off = ctx.events.on('alert/changed', (event) => {
    if (event.alert.homeId !== homeId || event.alert.rule !== rule) return;
    if (event.type !== 'opened' && event.type !== 'repeated') return;
    seen = event;
    wake?.();
  });
  try {
    if (!(await send())) return { reason: 'no_alert_seen', alert: null, message: 'refused by ingest' };
    if (!seen)
      await new Promise<void>((resolve) => {
        wake = resolve;
        // real time: how long the technician waits for the reading to go through ingest and rules
        systemClock.setTimeout(resolve, remote ? REMOTE_WAIT_MS : WAIT_MS).unref();
      });
  } finally {
    off();
  }
  const event = seen as AlertEvent | null;
  if (event) {
    const alert = { id: event.alert.id, rule, test: event.alert.test === true };
    return event.type === 'opened'
      ? { reason: 'raised', alert, message: `test alert raised (${rule})` }
      : { reason: 'repeated', alert, message: `counted as a repeat on the open alert (${rule})` };
  }
  const active = await ctx.alerts.findActive(homeId, rule);
  if (active && !active.test)
    return {
      reason: 'real_alert_open',
      alert: { id: active.id, rule, test: false },
      message: `a real ${rule} alert is open in this home; a test never adds to it`,
    };
  if (active)
    return {
      reason: 'repeated',
      alert: { id: active.id, rule, test: true },
      message: `counted as a repeat on the open test alert (${rule})`,
    };
  return {
    reason: 'no_alert_seen',
    alert: null,
    message: `no alert: the value is within the ${rule} limits set for this home, or the rule already fired for this spell`,
  };
}
