import { z } from 'zod';
import { categoryOf, HomeId, SensorKind } from '../../../services/domain/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import type { ReadingPoint } from '../../../services/timeseries/index.ts';
import { canSeeHome } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });
const ReadingsQuery = z.object({
  kind: SensorKind,
  range: z.enum(['24h', '7d']).default('24h'),
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
          range: z.enum(['24h', '7d']),
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
        const to = ctx.clock.now();
        const from = to - RANGES[range];
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
        audit(ctx, actor, 'readings.read', home.id, purposeOf(actor.user.role), `${kind}/${range}`);
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
          from,
          to,
          truncated: points.length >= MAX_POINTS,
          series: [...byDevice.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([deviceId, list]) => ({
              deviceId,
              summary: summarize(list),
              points: thin(list, from, to).map((p) => ({
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
