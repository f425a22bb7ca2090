import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HomeId, USER_ROLES, type User } from '../../../services/domain/index.ts';
import {
  conflict,
  hashSecret,
  notFound,
  TryghedError,
  verifySecret,
} from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { HomeView, PublicUser, TeamView } from '../api/schemas.ts';
import { publicUser } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { LoginLimited, type LoginLimiter } from '../login-limit.ts';
import { SettingsInForce } from '../settings-in-force.ts';

const PURPOSE = 'administration';
const Password = z.string().min(8, 'at least 8 characters').max(200);
const UserParams = z.strictObject({ userId: z.string().min(1).max(100) });
const UserPatch = z
  .strictObject({
    displayName: z.string().trim().min(1).max(200).optional(),
    role: z.enum(USER_ROLES).optional(),
    teamIds: z.array(z.string().min(1).max(100)).max(100).optional(),
    homeId: z.string().min(1).max(100).nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
const TeamPatch = z.strictObject({ name: z.string().trim().min(1).max(100) });
const HomeDetails = z
  .strictObject({
    label: z.string().trim().min(1).max(200).optional(),
    teamId: z.string().min(1).max(100).optional(),
    timezone: z
      .string()
      .refine(
        (tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC',
        'an IANA time zone, e.g. Europe/Copenhagen',
      )
      .optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

const badField = (message: string, path: string, why: string) =>
  new TryghedError('bad_request', message, { issues: [{ in: 'body', path, message: why }] });

/** A temporary password an administrator reads out to the person once: 16 characters, 96 random bits. */
function temporaryPassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The administrator's side: people, teams and homes kept up to date, a password reset, the
 * settings in force; and the person's own password change after such a reset. Every change is
 * audited (purpose `administration`), with which fields changed, never their values.
 */
export function administrationRoutes(ctx: DashboardContext): AnyApiRoute[] {
  // a wrong current password counts like a wrong login: a stolen session cannot guess the password
  const limiter = ctx.loginLimiter;
  const findUser = async (id: string) => {
    const user = await ctx.people.user(id);
    if (!user) throw notFound('user');
    return user;
  };
  const checkTeams = async (teamIds: readonly string[]) => {
    for (const teamId of teamIds) {
      if (!(await ctx.people.team(teamId))) throw badField('unknown team', 'teamIds', `no team ${teamId}`);
    }
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/users',
      summary: 'Every user account',
      tag: 'administration',
      access: ['admin'],
      response: {
        status: 200,
        description: 'the accounts, by username',
        schema: z.strictObject({ users: z.array(PublicUser) }),
      },
      handle: async () => ({ users: (await ctx.people.allUsers()).map(publicUser) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/users/:userId',
      summary: "Change a user's name, role, teams or home",
      description:
        '`teamIds` replaces the memberships. A citizen needs a home. The last administrator keeps the role (409). Takes effect at the next request; a changed role logs the person out everywhere.',
      tag: 'administration',
      access: ['admin'],
      params: UserParams,
      body: UserPatch,
      response: { status: 200, description: 'the user', schema: z.strictObject({ user: PublicUser }) },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const user = await findUser(params.userId);
        if (body.teamIds) await checkTeams(body.teamIds);
        if (body.homeId && !ctx.registry.home(body.homeId))
          throw badField('unknown home', 'homeId', `no home ${body.homeId}`);
        const role = body.role ?? user.role;
        const homeId = body.homeId === undefined ? user.homeId : body.homeId;
        if (role === 'citizen' && !homeId)
          throw badField('a citizen needs a home', 'homeId', 'required for a citizen');
        if (user.role === 'admin' && role !== 'admin') {
          const admins = (await ctx.people.allUsers()).filter((u) => u.role === 'admin');
          if (admins.length <= 1)
            throw conflict(
              'the last administrator keeps the role; make another one first',
              'last_administrator',
            );
        }
        const patch: Parameters<typeof ctx.people.updateUser>[1] = {};
        if (body.displayName !== undefined) patch.displayName = body.displayName;
        if (body.role !== undefined) patch.role = body.role;
        if (body.teamIds !== undefined) patch.teamIds = body.teamIds;
        if (body.homeId !== undefined) patch.homeId = body.homeId;
        const updated = await ctx.people.updateUser(user.id, patch);
        // a new role is a new set of rights: open sessions and live feeds of the old one end now
        if (updated.role !== user.role) await ctx.sessions.destroyOfUser(user.id);
        audit(ctx, actor, 'user.update', null, PURPOSE, `${user.id} ${changed(user, updated)}`);
        return { user: publicUser(updated) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/users/:userId/password-reset',
      summary: "Reset a user's password",
      description:
        'Sets the given temporary password, or makes one, shown this once. Until the person changes it (`POST /api/session/password`), a login only lets them do that.',
      tag: 'administration',
      access: ['admin'],
      params: UserParams,
      body: z.strictObject({ password: Password.optional() }),
      response: {
        status: 200,
        description: 'the temporary password, to give to the person',
        schema: z.strictObject({ temporaryPassword: z.string() }),
      },
      errors: ['not_found'],
      handle: async ({ params, body, actor }) => {
        const user = await findUser(params.userId);
        const password = body.password ?? temporaryPassword();
        await ctx.people.updateUser(user.id, {
          passwordHash: await hashSecret(password, 'password'),
          mustChangePassword: true,
        });
        // whoever is logged in as them now (perhaps the reason for the reset) is logged out everywhere
        await ctx.sessions.destroyOfUser(user.id);
        audit(ctx, actor, 'user.password_reset', null, PURPOSE, user.id);
        return { temporaryPassword: password };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/session/password',
      summary: 'Change my password',
      description: 'Needs the current password. Ends the limit a password reset put on the session.',
      tag: 'session',
      access: 'session',
      body: z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: Password }),
      response: { status: 204, description: 'changed' },
      errors: ['rate_limited'],
      handle: async ({ body, actor, req, res }) => {
        const user = await findUser(actor.user.id);
        let attempt: Awaited<ReturnType<LoginLimiter['admit']>>;
        try {
          attempt = await limiter.admit(req.ip ?? req.socket.remoteAddress ?? 'unknown', user.username);
        } catch (err) {
          if (!(err instanceof LoginLimited)) throw err;
          const seconds = Math.ceil(err.retryAfterMs / 1000);
          res.set('retry-after', String(seconds));
          throw new TryghedError('rate_limited', `too many wrong passwords; try again in ${seconds} s`);
        }
        let right: boolean;
        try {
          right = await verifySecret(body.currentPassword, user.passwordHash);
        } catch (err) {
          attempt.abandoned();
          throw err;
        }
        if (!right) {
          await attempt.failed();
          throw badField('the current password is wrong', 'currentPassword', 'not your current password');
        }
        await attempt.succeeded();
        if (body.newPassword === body.currentPassword)
          throw badField('choose a new password', 'newPassword', 'must differ from the current one');
        await ctx.people.updateUser(user.id, {
          passwordHash: await hashSecret(body.newPassword, 'password'),
          mustChangePassword: false,
        });
        audit(ctx, actor, 'user.password_change', null, PURPOSE, user.id);
        return undefined;
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/teams/:teamId',
      summary: 'Rename a care team',
      tag: 'administration',
      access: ['admin'],
      params: z.strictObject({ teamId: z.string().min(1).max(100) }),
      body: TeamPatch,
      response: { status: 200, description: 'the team', schema: z.strictObject({ team: TeamView }) },
      errors: ['not_found'],
      handle: async ({ params, body, actor }) => {
        if (!(await ctx.people.team(params.teamId))) throw notFound('team');
        const team = await ctx.people.renameTeam(params.teamId, body.name);
        audit(ctx, actor, 'team.update', null, PURPOSE, `${team.id} name`);
        return { team };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/homes/:homeId/details',
      summary: "Change a home's label, team or time zone",
      description:
        "A new team's staff see the home (and its alerts) from the next request on; the old team's no longer.",
      tag: 'administration',
      access: ['admin'],
      params: z.strictObject({ homeId: HomeId }),
      body: HomeDetails,
      response: { status: 200, description: 'the home', schema: z.strictObject({ home: HomeView }) },
      errors: ['not_found'],
      handle: async ({ params, body, actor }) => {
        const before = ctx.registry.home(params.homeId);
        if (!before) throw notFound('home');
        if (body.teamId !== undefined)
          await checkTeams([body.teamId]).catch(() => {
            throw badField('unknown team', 'teamId', `no team ${body.teamId}`);
          });
        const home = await ctx.registry.updateHome(before.id, body);
        const fields = (['label', 'teamId', 'timezone'] as const).filter((k) => before[k] !== home[k]);
        audit(ctx, actor, 'home.update', home.id, PURPOSE, fields.join(',') || 'unchanged');
        return { home };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/administration/settings',
      summary: 'The escalation and notification settings in force',
      description:
        'Whether each notifier is set up, never its URL, token or phone numbers. Set at start (see README).',
      tag: 'administration',
      access: ['admin'],
      response: {
        status: 200,
        description: 'the settings',
        schema: z.strictObject({ settings: SettingsInForce }),
      },
      errors: ['unavailable'],
      handle: async () => {
        const source = ctx.settingsInForce;
        if (!source)
          throw new TryghedError('unavailable', 'the settings in force are not known to this dashboard');
        const withHook = new Set(source.teamWebhookIds);
        const teamIds = new Set([...(await ctx.people.allTeams()).map((t) => t.id), ...withHook]);
        return {
          settings: {
            escalation: source.escalation,
            notifiers: {
              fallbackWebhook: source.fallbackWebhook,
              sms: source.sms,
              teamWebhooks: [...teamIds]
                .sort()
                .map((teamId) => ({ teamId, configured: withHook.has(teamId) })),
              technicianWebhook: source.technicianWebhook,
            },
          },
        };
      },
    }),
  ];
}

/** Which fields an update changed, by name: the audit log tells what was changed, not to what. */
function changed(before: User, after: User): string {
  const fields: string[] = [];
  if (before.displayName !== after.displayName) fields.push('displayName');
  if (before.role !== after.role) fields.push(`role=${after.role}`);
  if (before.teamIds.join() !== after.teamIds.join()) fields.push(`teamIds=${after.teamIds.join('+')}`);
  if (before.homeId !== after.homeId) fields.push('homeId');
  return fields.join(',') || 'unchanged';
}
