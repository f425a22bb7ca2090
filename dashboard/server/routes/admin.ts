import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HomeId, SensorKind, USER_ROLES } from '../../../services/domain/index.ts';
import { parseHomeRuleSettings } from '../../../services/rules/index.ts';
import { conflict, forbidden, hashSecret, notFound, TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { DeviceView, HomeView, PublicUser, TeamView } from '../api/schemas.ts';
import { publicUser } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';

const NewTeam = z.object({ id: HomeId, name: z.string().min(1).max(100) }).strict();
const NewHome = z
  .object({
    id: HomeId,
    label: z.string().min(1).max(200),
    teamId: z.string().min(1),
    timezone: z
      .string()
      .refine(
        (tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC',
        'an IANA time zone, e.g. Europe/Copenhagen',
      )
      .optional(),
    test: z.boolean().optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
const NewDevice = z
  .object({
    id: HomeId,
    kinds: z.array(SensorKind).min(1).max(11),
    role: z.enum(['sensor', 'gateway']).optional(),
    test: z.boolean().optional(),
    /** seconds between the device's regular reports; offline after 2.5 x this */
    reportIntervalS: z.number().int().min(10).max(86_400).optional(),
  })
  .strict();
const NewUser = z
  .object({
    username: z
      .string()
      .min(2)
      .max(100)
      .regex(/^[\w.@-]+$/, 'letters, digits, . _ @ -'),
    password: z.string().min(8, 'at least 8 characters').max(200),
    displayName: z.string().min(1).max(200),
    role: z.enum(USER_ROLES),
    teamIds: z.array(z.string()).optional(),
    homeId: z.string().optional(),
    /** the person must choose their own password at their first login */
    mustChangePassword: z.boolean().optional(),
  })
  .strict();

/** Provisioning: teams and users (admin); homes and devices (admin, technician). */
export function adminRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/teams',
      summary: 'Create a care team',
      tag: 'provisioning',
      access: ['admin'],
      body: NewTeam,
      response: { status: 201, description: 'the team', schema: z.strictObject({ team: TeamView }) },
      errors: ['conflict'],
      handle: async ({ body, actor }) => {
        if (await ctx.people.team(body.id)) throw conflict(`team ${body.id} exists`, 'team_exists');
        const team = await ctx.people.createTeam(body);
        audit(ctx, actor, 'team.create', null, 'provisioning', team.id);
        return { team };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/teams',
      summary: 'Every care team',
      tag: 'provisioning',
      access: ['admin', 'technician'],
      response: {
        status: 200,
        description: 'the teams',
        schema: z.strictObject({ teams: z.array(TeamView) }),
      },
      handle: async () => ({ teams: await ctx.people.allTeams() }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/homes',
      summary: 'Create a home',
      description: 'A test home (`test: true`, never a citizen’s) only by an administrator.',
      tag: 'provisioning',
      access: ['admin', 'technician'],
      body: NewHome,
      response: { status: 201, description: 'the home', schema: z.strictObject({ home: HomeView }) },
      errors: ['conflict', 'forbidden'],
      handle: async ({ body, actor }) => {
        // A test home never pages care staff. Were a technician to create a citizen's home as one,
        // that citizen's care would be off from the start: technicians test in test mode instead.
        if (body.test && actor.user.role !== 'admin')
          throw forbidden('only an administrator creates a test home; test a citizen’s home in test mode');
        if (body.settings) {
          const parsed = parseHomeRuleSettings(body.settings);
          if (!parsed.ok) {
            throw new TryghedError('bad_request', 'invalid rule settings', {
              issues: parsed.issues.map((i) => ({
                in: 'body',
                path: `settings.${i.path}`,
                message: i.message,
              })),
            });
          }
        }
        const home = await ctx.registry.createHome(body);
        audit(ctx, actor, 'home.create', home.id, 'provisioning');
        return { home };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/devices',
      summary: 'Provision a device; its secret is shown this once',
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: z.object({ homeId: HomeId }),
      body: NewDevice,
      response: {
        status: 201,
        description: 'the device and its MQTT secret (only its hash is kept)',
        schema: z.strictObject({ device: DeviceView, secret: z.string() }),
      },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const { device, secret } = await ctx.registry.provisionDevice({ ...body, homeId: params.homeId });
        audit(ctx, actor, 'device.provision', device.homeId, 'provisioning', device.id);
        const { secretHash: _hidden, ...visible } = device;
        return { device: visible, secret };
      },
    }),
    // A device whose secret was lost gets a new one; the old one stops working at once (the broker closes its connection).
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/devices/:deviceId/secret',
      summary: "Replace a device's secret",
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: z.object({ homeId: HomeId, deviceId: HomeId }),
      response: {
        status: 200,
        description: 'the new secret',
        schema: z.strictObject({ secret: z.string() }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const device = ctx.registry.device(params.deviceId);
        if (!device || device.homeId !== params.homeId) throw notFound('device');
        const secret = await ctx.registry.rotateSecret(device.id);
        audit(ctx, actor, 'device.rotate_secret', device.homeId, 'provisioning', device.id);
        return { secret };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/users',
      summary: 'Create a user account',
      tag: 'provisioning',
      access: ['admin'],
      body: NewUser,
      response: { status: 201, description: 'the user', schema: z.strictObject({ user: PublicUser }) },
      errors: ['conflict'],
      handle: async ({ body, actor }) => {
        if (await ctx.people.userByUsername(body.username))
          throw conflict(`user ${body.username} exists`, 'user_exists');
        for (const teamId of body.teamIds ?? []) {
          if (!(await ctx.people.team(teamId))) {
            throw new TryghedError('bad_request', 'unknown team', {
              issues: [{ in: 'body', path: 'teamIds', message: `no team ${teamId}` }],
            });
          }
        }
        if (body.homeId && !ctx.registry.home(body.homeId)) {
          throw new TryghedError('bad_request', 'unknown home', {
            issues: [{ in: 'body', path: 'homeId', message: `no home ${body.homeId}` }],
          });
        }
        if (body.role === 'citizen' && !body.homeId) {
          throw new TryghedError('bad_request', 'a citizen needs a home', {
            issues: [{ in: 'body', path: 'homeId', message: 'required for a citizen' }],
          });
        }
        const user = await ctx.people.createUser({
          id: randomUUID(),
          username: body.username,
          displayName: body.displayName,
          role: body.role,
          passwordHash: await hashSecret(body.password, 'password'),
          homeId: body.homeId ?? null,
          teamIds: body.teamIds ?? [],
          mustChangePassword: body.mustChangePassword ?? false,
        });
        audit(ctx, actor, 'user.create', user.homeId, 'provisioning', user.id);
        return { user: publicUser(user) };
      },
    }),
  ];
}
