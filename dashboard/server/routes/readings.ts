import { z } from 'zod';
import { categoryOf, HomeId, SensorKind } from '../../../services/domain/index.ts';
import { addDays, zonedInstant } from '../../../services/rules/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import type { ReadingPoint } from '../../../services/timeseries/index.ts';
import { canSeeHome } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
const RANGE_NAMES = ['24h', '7d', '30d', 'custom'] as const;
/** A chosen period is at most this many days (or the retention, when shorter). */
export const MAX_CUSTOM_DAYS = 90;
const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });
const LocalDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: 'not a calendar date',
    },
  )
  .meta({ description: "a day in the home's time zone, YYYY-MM-DD" });
const ReadingsQuery = z
  .object({
    kind: SensorKind,
    range: z.enum(RANGE_NAMES).default('24h'),
    from: LocalDay.optional().meta({
      description: "with range=custom: the first day, in the home's time zone",
    }),
    to: LocalDay.optional().meta({ description: 'with range=custom: the last day (inclusive)' }),
  })
  .superRefine((q, check) => {
    if (q.range !== 'custom') {
      for (const field of ['from', 'to'] as const)
        if (q[field] !== undefined)
          check.addIssue({ code: 'custom', path: [field], message: 'only with range=custom' });
      return;
    }
    for (const field of ['from', 'to'] as const)
      if (q[field] === undefined)
        check.addIssue({ code: 'custom', path: [field], message: 'required with range=custom' });
    if (q.from && q.to && q.from > q.to)
      check.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  });
/** Points read from InfluxDB per request; newest first, so a cut drops the oldest. */
const MAX_POINTS = 50_000;
/** Points per device sent to the browser; more are thinned to each bucket's lowest and highest. */
const MAX_CHART_POINTS = 600;

const SeriesView = z.strictObject({
  deviceId: z.string(),
  summary: z.strictObject({
    count: z.number().int(),
    min: z.number(),
    max: z.number(),
    last: z.strictObject({ ts: epochMs, value: z.number() }),
  }),
  points: z.array(z.strictObject({ ts: epochMs, value: z.number(), test: z.literal(true).optional() })),
});

export type SeriesSummary = z.infer<typeof SeriesView>['summary'];

/**
 * Recent readings of one kind in a home, for the home view's charts. Only with the citizen's
 * `history` consent for the kind's category (technical data needs none); without it the answer is
 * 403 `no_history_consent` naming the category, so the page can say why there is no chart.
 */
export function readingRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/readings',
      summary: "A home's recent readings of one kind, for charts",
      description:
        'Only for a category with history consent; otherwise 403 no_history_consent with `detail.category`. ' +
        'A technician gets technical kinds (battery, heartbeat) in full and of other kinds only the test readings technicians sent. Audited with its purpose.',
      tag: 'readings',
      access: ['staff', 'technician', 'admin'],
      params: z.object({ homeId: HomeId }),
      query: ReadingsQuery,
      response: {
        status: 200,
        description: 'the readings per device, thinned for a chart, with a summary of all of them',
        schema: z.strictObject({
          homeId: z.string(),
          kind: SensorKind,
          category: z.string(),
          range: z.enum(RANGE_NAMES),
          timezone: z.string().meta({ description: "the home's time zone, for day boundaries" }),
          from: epochMs,
          to: epochMs,
          truncated: z.boolean().meta({ description: 'more readings than read; the oldest are left out' }),
          series: z.array(SeriesView),
        }),
      },
      errors: ['not_found', 'no_history_consent', 'unavailable'],
      handle: async ({ params, query, actor }) => {
        const home = ctx.registry.home(params.homeId);
        // Not "forbidden": a home of another team must not be revealed to exist.
        if (!home || !canSeeHome(actor.user, home.id, ctx.registry)) throw notFound('home');
        const { kind, range } = query;
        const now = ctx.clock.now();
        // a chosen period is whole local days, checked before anything is read
        const period =
          range === 'custom'
            ? customPeriod(query.from!, query.to!, home.timezone, now, ctx.retentionDays)
            : { from: now - RANGES[range], to: now };
        const category = categoryOf(kind);
        if (!ctx.consent.allows(home.id, category, 'history')) {
          throw new TryghedError(
            'no_history_consent',
            `the citizen has not consented to keeping a history of ${category}`,
            { detail: { category } },
          );
        }
        if (!ctx.readings) throw new TryghedError('unavailable', 'readings are not available here');
        // A technician sees technical data (battery, heartbeat) and their tests, never the
        // citizen's life: of a care kind only the test readings a technician sent.
        const testOnly = actor.user.role === 'technician' && category !== 'technical';
        const { from, to } = period;
        let points: ReadingPoint[];
        try {
          points = (
            await ctx.readings.query({
              homeId: home.id,
              kinds: [kind],
              from,
              to,
              order: 'desc',
              limit: MAX_POINTS,
              ...(testOnly ? { testOnly } : {}),
            })
          ).reverse();
        } catch (err) {
          throw new TryghedError('unavailable', 'the readings store does not answer; try again shortly', {
            cause: err,
          });
        }
        audit(
          ctx,
          actor,
          'readings.read',
          home.id,
          purposeOf(actor.user.role),
          range === 'custom' ? `${kind}/${query.from}..${query.to}` : `${kind}/${range}`,
        );
        const byDevice = new Map<string, ReadingPoint[]>();
        for (const p of points) {
          const list = byDevice.get(p.deviceId);
          if (list) list.push(p);
          else byDevice.set(p.deviceId, [p]);
        }
        return {
          homeId: home.id,
          kind,
          category,
          range,
          timezone: home.timezone,
          from,
          to,
          truncated: points.length >= MAX_POINTS,
          series: [...byDevice.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([deviceId, list]) => ({
              deviceId,
              summary: summarize(list),
              points: (isOnOffKind(kind) ? events(list, from, to) : thin(list, from, to)).map((p) => ({
                ts: p.ts,
                value: p.value,
                ...(p.test ? { test: true as const } : {}),
              })),
            })),
        };
      },
    }),
  ];
}

/**
 * A chosen period: from the start of `fromDay` to the end of `toDay` in the home's time zone
 * (daylight saving included), cut at now; at most MAX_CUSTOM_DAYS days and never longer than the
 * retention. A bad period is a 400 naming the field.
 */
export function customPeriod(
  fromDay: string,
  toDay: string,
  timeZone: string,
  now: number,
  retentionDays?: number,
): { from: number; to: number } {
  const day = (d: string) => {
    const [year, month, dayOfMonth] = d.split('-').map(Number) as [number, number, number];
    return { year, month, day: dayOfMonth };
  };
  const from = zonedInstant(day(fromDay), 0, timeZone);
  const to = Math.min(now, zonedInstant(addDays(day(toDay), 1), 0, timeZone));
  const maxDays = Math.min(MAX_CUSTOM_DAYS, retentionDays ?? MAX_CUSTOM_DAYS);
  const bad = (path: string, message: string) =>
    new TryghedError('bad_request', 'the query is not valid', { issues: [{ in: 'query', path, message }] });
  if (from >= now) throw bad('from', 'must not be in the future');
  const days = Math.round((zonedInstant(addDays(day(toDay), 1), 0, timeZone) - from) / 86_400_000);
  if (days > maxDays) throw bad('to', `a period is at most ${maxDays} days`);
  return { from, to };
}

const ON_OFF = new Set<string>(['alarm_button', 'fall', 'smoke', 'water_leak', 'motion', 'door', 'bed']);
const isOnOffKind = (kind: string) => ON_OFF.has(kind);
/** Events sent per device for an on/off kind; beyond that the chart gets thinned points. */
const MAX_EVENTS = 6_000;

/**
 * An on/off kind as its events: every "on" (a motion, a door opening, getting into bed) and every
 * change back to "off", so a timeline shows each event and each open period from start to end.
 * Repeated "off" reports say nothing new. Only when even that is too many is it thinned.
 */
export function events(points: readonly ReadingPoint[], from: number, to: number): ReadingPoint[] {
  const out: ReadingPoint[] = [];
  let previous: number | undefined;
  for (const p of points) {
    if (p.value >= 1 || previous === undefined || previous >= 1) out.push(p);
    previous = p.value >= 1 ? 1 : 0;
  }
  return out.length <= MAX_EVENTS ? out : thin(out, from, to);
}

function summarize(points: readonly ReadingPoint[]): SeriesSummary {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (p.value < min) min = p.value;
    if (p.value > max) max = p.value;
  }
  const last = points[points.length - 1]!;
  return { count: points.length, min, max, last: { ts: last.ts, value: last.value } };
}

/**
 * Keeps a chart small without hiding what matters: in each time bucket the lowest and the highest
 * point survive (a fall to 14 °C stays visible), in time order.
 */
export function thin(points: readonly ReadingPoint[], from: number, to: number): ReadingPoint[] {
  if (points.length <= MAX_CHART_POINTS) return [...points];
  const buckets = MAX_CHART_POINTS / 2;
  const width = (to - from) / buckets;
  const out: ReadingPoint[] = [];
  let i = 0;
  for (let b = 0; b < buckets && i < points.length; b++) {
    const end = b === buckets - 1 ? Number.POSITIVE_INFINITY : from + (b + 1) * width;
    let lo: ReadingPoint | undefined;
    let hi: ReadingPoint | undefined;
    for (; i < points.length && points[i]!.ts < end; i++) {
      const p = points[i]!;
      if (!lo || p.value < lo.value) lo = p;
      if (!hi || p.value > hi.value) hi = p;
    }
    if (lo && hi) {
      if (lo === hi) out.push(lo);
      else out.push(...(lo.ts <= hi.ts ? [lo, hi] : [hi, lo]));
    }
  }
  return out;
}
