import { z } from 'zod';
import { parseHomeRuleSettings } from '../../../services/rules/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import type { DashboardContext } from '../context.ts';
import { connectivity } from '../device-status.ts';

const PROBLEMS = ['offline', 'never_seen', 'low_battery'] as const;
type Problem = (typeof PROBLEMS)[number];
const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });

const AttentionQuery = z.object({
  problem: z.enum(PROBLEMS).optional().meta({ description: 'only devices with this problem' }),
  sort: z.enum(['lastSeen', 'battery', 'home']).default('lastSeen').meta({
    description: 'lastSeen: longest silent first (never seen first); battery: lowest first; home: by home id',
  }),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const AttentionDevice = z.strictObject({
  deviceId: z.string(),
  homeId: z.string(),
  homeLabel: z.string(),
  role: z.enum(['sensor', 'gateway']),
  test: z.boolean(),
  problems: z.array(z.enum(PROBLEMS)),
  lastSeen: epochMs.nullable(),
  battery: z.strictObject({ value: z.number(), ts: epochMs }).nullable(),
  lowBatteryPercent: z.number().meta({ description: "the home's low-battery limit" }),
});
type AttentionDevice = z.infer<typeof AttentionDevice>;

/** The home's low-battery limit; the rules' default when its settings cannot be read. */
function lowBatteryPercent(settings: unknown): number {
  const parsed = parseHomeRuleSettings(settings);
  return parsed.ok ? parsed.settings.lowBattery.percent : 20;
}

/**
 * Every device across all homes that needs a technician: offline, never heard from, or with a
 * battery below its home's limit. Sorted and paged on the server (a municipality has tens of
 * thousands of homes), with the counts per problem. Connectivity and battery are what the
 * platform received since it started, as on a home's device list.
 */
export function deviceAttentionRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/devices/attention',
      summary: 'Devices offline, never seen or low on battery, across every home',
      description:
        'For technicians and administrators. Sorted on the server (`sort`), paged (`offset`, `limit` ≤ 200), with `total` and counts per problem.',
      tag: 'devices',
      access: ['technician', 'admin'],
      query: AttentionQuery,
      response: {
        status: 200,
        description: 'a page of devices that need attention',
        schema: z.strictObject({
          total: z.number().int(),
          counts: z.strictObject({ offline: z.number(), never_seen: z.number(), low_battery: z.number() }),
          offset: z.number().int(),
          devices: z.array(AttentionDevice),
          at: epochMs,
        }),
      },
      handle: ({ query }) => {
        const now = ctx.clock.now();
        const counts: Record<Problem, number> = { offline: 0, never_seen: 0, low_battery: 0 };
        const found: AttentionDevice[] = [];
        const limits = new Map<string, { label: string; percent: number }>();
        for (const d of ctx.registry.allDevices()) {
          let home = limits.get(d.homeId);
          if (!home) {
            const h = ctx.registry.home(d.homeId);
            home = { label: h?.label ?? d.homeId, percent: lowBatteryPercent(h?.settings) };
            limits.set(d.homeId, home);
          }
          const lastSeen = ctx.lastSeen?.(d.id);
          const status = connectivity(d, lastSeen, now, ctx.reportedStatus?.(d.id));
          const battery = d.kinds.includes('battery') ? (ctx.latestBattery?.(d.id) ?? null) : null;
          const problems: Problem[] = [];
          if (status !== 'online') problems.push(status);
          if (battery && battery.value < home.percent) problems.push('low_battery');
          if (problems.length === 0) continue;
          for (const p of problems) counts[p]++;
          if (query.problem && !problems.includes(query.problem)) continue;
          found.push({
            deviceId: d.id,
            homeId: d.homeId,
            homeLabel: home.label,
            role: d.role,
            test: d.test,
            problems,
            lastSeen: lastSeen ?? null,
            battery,
            lowBatteryPercent: home.percent,
          });
        }
        found.sort(ORDER[query.sort]);
        return {
          total: found.length,
          counts,
          offset: query.offset,
          devices: found.slice(query.offset, query.offset + query.limit),
          at: now,
        };
      },
    }),
  ];
}

const byId = (a: AttentionDevice, b: AttentionDevice) =>
  a.homeId.localeCompare(b.homeId) || a.deviceId.localeCompare(b.deviceId);
const ORDER: Record<'lastSeen' | 'battery' | 'home', (a: AttentionDevice, b: AttentionDevice) => number> = {
  // never seen first, then the longest silent
  lastSeen: (a, b) => (a.lastSeen ?? -1) - (b.lastSeen ?? -1) || byId(a, b),
  // the lowest battery first; devices without a known level last
  battery: (a, b) => (a.battery?.value ?? 101) - (b.battery?.value ?? 101) || byId(a, b),
  home: byId,
};
