import { z } from 'zod';
import {
  ConsentCategory,
  HomeId,
  LOOK_MARKS,
  NightRoundTimesRequest,
  SensorKind,
} from '../../../services/domain/index.ts';
import type { NightRound, RoundHome } from '../../../services/night-round/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import { canSeeHome, visibleHomeIds } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { type Actor, audit, type DashboardContext } from '../context.ts';

/** The purpose every read and look of the night round is recorded with (shown to the citizen). */
const PURPOSE = 'night_round';

const LINE_STATES = [
  'in_bed',
  'out_of_bed',
  'movement',
  'door_closed',
  'door_open',
  'temperature',
  'nothing_reported',
  'alarm_button',
  'fall',
  'no_data',
] as const;
const REASON_CODES = ['out_of_bed_still', 'door_open', 'cold', 'alarm_button', 'fall', 'no_data'] as const;
const epoch = z.number().int().meta({ description: 'epoch ms' });

const SummaryView = z.strictObject({
  mark: z
    .enum(LOOK_MARKS)
    .meta({ description: '`calm`: "alt roligt"; `check`: "se nærmere" (see `reasons`)' }),
  lines: z.array(
    z.strictObject({
      category: ConsentCategory,
      kind: SensorKind,
      state: z.enum(LINE_STATES),
      since: epoch.nullable(),
      value: z.number().nullable().meta({ description: '°C, for `temperature` only' }),
      lastHeardAt: epoch.nullable(),
      sensorPresent: z.boolean(),
    }),
  ),
  reasons: z.array(
    z.strictObject({
      code: z.enum(REASON_CODES),
      kind: SensorKind,
      since: epoch.nullable(),
      value: z.number().nullable(),
    }),
  ),
});

const RoundHomeView = z.strictObject({
  homeId: z.string(),
  label: z.string(),
  roundAt: epoch.meta({ description: "the round's scheduled instant: send it back with a look" }),
  time: z.string().meta({ description: 'the round time on the home’s clock, HH:MM' }),
  closesAt: epoch,
  status: z.enum(['due', 'relisted', 'escalated', 'looked']),
  relistAt: epoch,
  escalateAt: epoch,
  looks: z.array(
    z.strictObject({
      lookedAt: epoch,
      byMe: z.boolean().meta({ description: 'colleagues are not named: no one is watched at work' }),
    }),
  ),
  summary: SummaryView,
});

const RoundView = z.strictObject({
  now: epoch,
  lookWithinMin: z.number(),
  homes: z.array(RoundHomeView),
  next: z.strictObject({ at: epoch, time: z.string(), homes: z.number().int() }).nullable(),
});

const TimesView = z.strictObject({
  homeId: z.string(),
  times: z.array(z.string()),
  updatedAt: epoch.nullable(),
  /** the categories consented to for the night round; none: the home is not on the round */
  categories: z.array(ConsentCategory),
  next: z.strictObject({ at: epoch, time: z.string() }).nullable(),
});

function service(ctx: DashboardContext): NightRound {
  if (!ctx.nightRound) throw new TryghedError('unavailable', 'the night round is not run here');
  return ctx.nightRound;
}

/** Staff of the home's team (and administrators): anyone else is told the home does not exist. */
function roundHome(ctx: DashboardContext, actor: Actor, homeId: string) {
  const home = ctx.registry.home(homeId);
  if (!home || !canSeeHome(actor.user, homeId, ctx.registry)) throw notFound('home');
  return home;
}

function view(r: RoundHome, actor: Actor): z.input<typeof RoundHomeView> {
  return {
    homeId: r.home.id,
    label: r.home.label,
    roundAt: r.occurrence.roundAt,
    time: r.occurrence.time,
    closesAt: r.occurrence.closesAt,
    status: r.status,
    relistAt: r.relistAt,
    escalateAt: r.escalateAt,
    looks: r.looks.map((l) => ({ lookedAt: l.lookedAt, byMe: l.lookedBy === actor.user.id })),
    summary: r.summary,
  };
}

/**
 * The night round (issue 13 point 4): night staff see their teams' homes that are due, each with a
 * plain summary and a one-tap "Jeg har kigget". Every summary shown and every look is in the
 * citizen's access log, with the purpose `night_round`.
 */
export function nightRoundRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/night-round',
      summary: "The night round now: the caller's teams' homes whose round is open, with their summaries",
      description:
        'Care staff only, their own teams’ homes, and only homes whose citizen consented to the night round (per category). ' +
        'Homes nobody looked at within `lookWithinMin` come first (`relisted`), then those escalated. Each summary shown is in the citizen’s access log.',
      tag: 'night-round',
      access: ['staff'],
      response: { status: 200, description: 'the round', schema: RoundView },
      errors: ['unavailable'],
      handle: async ({ actor }) => {
        const round = service(ctx);
        const ids = visibleHomeIds(actor.user, ctx.registry);
        const homes = await round.round(ids);
        for (const h of homes) audit(ctx, actor, 'night_round.read', h.home.id, PURPOSE);
        const next = round.next(ids);
        return {
          now: ctx.clock.now(),
          lookWithinMin: round.lookWithinMin,
          homes: homes.map((h) => view(h, actor)),
          next,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/night-round/looks',
      summary: 'Confirm having looked at a home on its open round ("Jeg har kigget")',
      description:
        'Who and when come from the session and the server’s clock. Refused (409) when the round named is not the home’s open one, ' +
        'or the home is no longer on the night round (consent withdrawn). Recorded in the citizen’s access log.',
      tag: 'night-round',
      access: ['staff'],
      body: z.strictObject({ homeId: HomeId, roundAt: z.number().int().nonnegative() }),
      response: { status: 201, description: 'the home on the round, looked at', schema: RoundHomeView },
      errors: ['not_found', 'conflict', 'unavailable'],
      handle: async ({ body, actor }) => {
        const round = service(ctx);
        const home = roundHome(ctx, actor, body.homeId);
        const looked = await round.look(home.id, body.roundAt, { id: actor.user.id, role: actor.user.role });
        // a look is a change, never coalesced: each one is a line in the citizen's access log
        audit(ctx, actor, 'night_round.look', home.id, PURPOSE, `round ${looked.occurrence.time}`);
        return view(looked, actor);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/night-round',
      summary: "The home's night-round times and the categories it covers",
      tag: 'night-round',
      access: ['staff', 'admin'],
      params: z.object({ homeId: HomeId }),
      response: { status: 200, description: 'the times', schema: TimesView },
      errors: ['not_found', 'unavailable'],
      handle: ({ params, actor }) => {
        const round = service(ctx);
        const home = roundHome(ctx, actor, params.homeId);
        const times = round.timesOf(home.id);
        const categories = round.consentedCategories(home.id);
        const next = categories.length > 0 ? round.next([home.id]) : null;
        return {
          homeId: home.id,
          times: times?.times ?? [],
          updatedAt: times?.updatedAt ?? null,
          categories,
          next: next ? { at: next.at, time: next.time } : null,
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/homes/:homeId/night-round',
      summary: "Set the home's night-round times (HH:MM on the home's clock)",
      description: 'Staff of the home’s team and administrators. An empty list takes the home off the round.',
      tag: 'night-round',
      access: ['staff', 'admin'],
      params: z.object({ homeId: HomeId }),
      body: NightRoundTimesRequest,
      response: { status: 200, description: 'the times as saved', schema: TimesView },
      errors: ['not_found', 'unavailable'],
      handle: async ({ params, body, actor }) => {
        const round = service(ctx);
        const home = roundHome(ctx, actor, params.homeId);
        const saved = await round.setTimes(home.id, body.times, actor.user.id);
        audit(ctx, actor, 'night_round.times', home.id, 'care', saved.times.join(', ') || 'none');
        const categories = round.consentedCategories(home.id);
        const next = categories.length > 0 ? round.next([home.id]) : null;
        return {
          homeId: home.id,
          times: saved.times,
          updatedAt: saved.updatedAt,
          categories,
          next: next ? { at: next.at, time: next.time } : null,
        };
      },
    }),
  ];
}
