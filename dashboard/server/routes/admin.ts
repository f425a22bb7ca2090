import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { z } from 'zod';
import { HomeId, SensorKind } from '../../../services/domain/index.ts';
import { parseHomeRuleSettings } from '../../../services/rules/index.ts';
import { conflict, hashSecret, notFound, TryghedError } from '../../../services/runtime/index.ts';
import { USER_ROLES } from '../../../services/store/index.ts';
import { actorOf, publicUser, requireRole } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';

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
  })
  .strict();

/** Provisioning: teams and users (admin); homes and devices (admin, technician). */
export function adminRoutes(ctx: DashboardContext): Router {
  const router = express.Router();

  router.post('/api/teams', requireRole('admin'), async (req, res) => {
    const body = parseBody(NewTeam, req.body);
    if (await ctx.store.teams.get(body.id)) throw conflict(`team ${body.id} exists`);
    const team = await ctx.store.teams.create(body);
    audit(ctx, actorOf(res), 'team.create', null, 'provisioning', team.id);
    res.status(201).json({ team });
  });

  router.get('/api/teams', requireRole('admin', 'technician'), async (_req, res) => {
    res.json({ teams: await ctx.store.teams.list() });
  });

  router.post('/api/homes', requireRole('admin', 'technician'), async (req, res) => {
    const body = parseBody(NewHome, req.body);
    if (body.settings) {
      const parsed = parseHomeRuleSettings(body.settings);
      if (!parsed.ok) {
        throw new TryghedError('bad_request', 'invalid rule settings', {
          issues: parsed.issues.map((i) => ({ path: `settings.${i.path}`, message: i.message })),
        });
      }
    }
    const home = await ctx.registry.createHome(body);
    audit(ctx, actorOf(res), 'home.create', home.id, 'provisioning');
    res.status(201).json({ home });
  });

  router.post('/api/homes/:homeId/devices', requireRole('admin', 'technician'), async (req, res) => {
    const body = parseBody(NewDevice, req.body);
    const { device, secret } = await ctx.registry.provisionDevice({
      ...body,
      homeId: String(req.params.homeId),
    });
    audit(ctx, actorOf(res), 'device.provision', device.homeId, 'provisioning', device.id);
    const { secretHash: _hidden, ...visible } = device;
    // The secret is shown this once; only its hash is kept.
    res.status(201).json({ device: visible, secret });
  });

  // A device whose secret was lost gets a new one; the old one stops working at its next connect.
  router.post(
    '/api/homes/:homeId/devices/:deviceId/secret',
    requireRole('admin', 'technician'),
    async (req, res) => {
      const device = ctx.registry.device(String(req.params.deviceId));
      if (!device || device.homeId !== String(req.params.homeId)) throw notFound('device');
      const secret = await ctx.registry.rotateSecret(device.id);
      audit(ctx, actorOf(res), 'device.rotate_secret', device.homeId, 'provisioning', device.id);
      res.json({ secret });
    },
  );

  router.post('/api/users', requireRole('admin'), async (req, res) => {
    const body = parseBody(NewUser, req.body);
    if (await ctx.store.users.byUsername(body.username)) throw conflict(`user ${body.username} exists`);
    for (const teamId of body.teamIds ?? []) {
      if (!(await ctx.store.teams.get(teamId))) {
        throw new TryghedError('bad_request', 'unknown team', {
          issues: [{ path: 'teamIds', message: `no team ${teamId}` }],
        });
      }
    }
    if (body.homeId && !ctx.registry.home(body.homeId)) {
      throw new TryghedError('bad_request', 'unknown home', {
        issues: [{ path: 'homeId', message: `no home ${body.homeId}` }],
      });
    }
    if (body.role === 'citizen' && !body.homeId) {
      throw new TryghedError('bad_request', 'a citizen needs a home', {
        issues: [{ path: 'homeId', message: 'required for a citizen' }],
      });
    }
    const user = await ctx.store.users.create({
      id: randomUUID(),
      username: body.username,
      displayName: body.displayName,
      role: body.role,
      passwordHash: await hashSecret(body.password, 'password'),
      homeId: body.homeId ?? null,
      teamIds: body.teamIds ?? [],
    });
    audit(ctx, actorOf(res), 'user.create', user.homeId, 'provisioning', user.id);
    res.status(201).json({ user: publicUser(user) });
  });

  return router;
}
