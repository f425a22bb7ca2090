import express, { type Router } from 'express';
import { z } from 'zod';
import {
  CATEGORY_TEXTS,
  CONSENT_CATEGORIES,
  categoryOf,
  PURPOSE_TEXTS,
  PURPOSES,
  SENSOR_NAMES,
  TECHNICAL_TEXT,
} from '../../../services/domain/index.ts';
import { forbidden, TryghedError } from '../../../services/runtime/index.ts';
import { actorOf } from '../auth.ts';
import { audit, type DashboardContext } from '../context.ts';
import { parseBody } from '../http-errors.ts';
import {
  accessLog,
  accessLogHome,
  consentHistory,
  homeAlerts,
  purposeOf,
  recordHome,
} from '../transparency.ts';
import { exportRoutes } from './citizen-export.ts';
import { powerOfAttorneyRoutes } from './powers-of-attorney.ts';

const ErasureRequestBody = z.object({}).strict();

/**
 * The citizen's and relative's side: what is measured and why, consent with its information
 * texts, alerts, who looked, export and erasure. Every read and change is audited.
 */
export function citizenRoutes(ctx: DashboardContext): Router {
  const router = express.Router();

  router.get('/api/homes/:homeId/overview', async (req, res) => {
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    audit(ctx, actor, 'home.overview', home.id, purposeOf(actor.user));
    const devices = ctx.registry.devicesOfHome(home.id);
    const sensorsOf = (category: string) =>
      devices.flatMap((d) =>
        d.kinds
          .filter((k) => categoryOf(k) === category)
          .map((kind) => ({ deviceId: d.id, kind, name: SENSOR_NAMES[kind] })),
      );
    const scope = ctx.consent.scope(home.id);
    res.json({
      home: { id: home.id, label: home.label, timezone: home.timezone },
      retentionDays: ctx.retentionDays ?? null,
      categories: CONSENT_CATEGORIES.map((category) => ({
        category,
        text: CATEGORY_TEXTS[category],
        sensors: sensorsOf(category),
        purposes: PURPOSES.map((purpose) => ({
          purpose,
          granted: scope[category][purpose],
          basis: ctx.consent.basis(home.id, category, purpose)?.basis ?? null,
          text: PURPOSE_TEXTS[category][purpose],
        })),
      })),
      technical: { text: TECHNICAL_TEXT, sensors: sensorsOf('technical') },
      consentHistory: await consentHistory(ctx, home.id),
    });
  });

  router.get('/api/homes/:homeId/alerts', async (req, res) => {
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    audit(ctx, actor, 'alerts.read', home.id, purposeOf(actor.user));
    res.json({ alerts: await homeAlerts(ctx, actor.user, home.id) });
  });

  router.get('/api/homes/:homeId/access-log', async (req, res) => {
    const actor = actorOf(res);
    const home = accessLogHome(ctx, actor.user, req.params.homeId!);
    // Recorded before it is read, so a relative's look is itself in what the citizen sees.
    await ctx.store.audit.append({
      at: ctx.clock.now(),
      actorId: actor.user.id,
      actorRole: actor.user.role,
      action: 'access_log.read',
      homeId: home.id,
      purpose: purposeOf(actor.user),
      detail: null,
    });
    res.json({ entries: await accessLog(ctx, home.id) });
  });

  router.get('/api/homes/:homeId/erasure-requests', async (req, res) => {
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    audit(ctx, actor, 'erasure.list', home.id, purposeOf(actor.user));
    res.json({ requests: await ctx.store.erasures.listByHome(home.id) });
  });

  /**
   * Erases the readings stored about the home, at once, and records who asked and how it went.
   * Alerts and their notes are the municipality's care record and are not erased here.
   */
  router.post('/api/homes/:homeId/erasure-requests', async (req, res) => {
    parseBody(ErasureRequestBody, req.body ?? {});
    const actor = actorOf(res);
    const home = recordHome(ctx, actor.user, req.params.homeId!);
    if (actor.user.role === 'staff' && !actor.user.teamIds.includes(home.teamId))
      throw forbidden("only staff of the home's team may pass on an erasure request");
    if (!ctx.eraseHomeReadings) throw new TryghedError('unavailable', 'no time-series store is connected');
    const requestedAt = ctx.clock.now();
    let result: 'erased' | 'failed' = 'erased';
    let detail: string | null = null;
    try {
      await ctx.eraseHomeReadings(home.id);
    } catch (err) {
      result = 'failed';
      detail = 'the time-series store did not answer; please try again later';
      ctx.logger.error({ err, homeId: home.id }, 'erasing a home failed');
    }
    const request = await ctx.store.erasures.record({
      homeId: home.id,
      requestedBy: actor.user.id,
      requesterRole: actor.user.role,
      onBehalfOf: actor.user.role === 'citizen' ? null : `citizen:${home.id}`,
      scope: 'readings',
      requestedAt,
      completedAt: ctx.clock.now(),
      result,
      detail,
    });
    audit(ctx, actor, 'erasure.request', home.id, purposeOf(actor.user), `readings: ${result}`);
    if (result === 'failed') throw new TryghedError('unavailable', detail ?? 'erasure failed');
    res.status(201).json({ request });
  });

  router.use(exportRoutes(ctx));
  router.use(powerOfAttorneyRoutes(ctx));
  return router;
}
