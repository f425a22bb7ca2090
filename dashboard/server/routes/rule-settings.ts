import { z } from 'zod';
import { HomeId } from '../../../services/domain/index.ts';
import { HomeRuleSettings, parseHomeRuleSettings } from '../../../services/rules/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import { canSeeHome } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import { purposeOf } from '../transparency.ts';

const HomeParams = z.object({ homeId: HomeId });
const SettingsView = z.strictObject({
  /** what the rules use now: the home's own settings over the defaults */
  settings: HomeRuleSettings,
});

/**
 * A home's rule settings (daytime windows, night window, thresholds, minutes): read and changed by
 * staff of the home's team (they know the routine) and administrators. Not technicians: the settings
 * describe the citizen's day and decide when care is called, so a technician who could change them
 * could switch care off (a 24-hour inactivity limit, a night window of one minute). They set a new
 * home's settings when they provision it. Validated by the rules' own zod schema, so a bad value is
 * refused with the field and the reason.
 */
export function ruleSettingsRoutes(ctx: DashboardContext): AnyApiRoute[] {
  const home = (homeId: string, user: Parameters<typeof canSeeHome>[0]) => {
    const found = ctx.registry.home(homeId);
    if (!found || !canSeeHome(user, homeId, ctx.registry)) throw notFound('home');
    return found;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/rule-settings',
      summary: "The home's rule settings, defaults filled in",
      tag: 'homes',
      access: ['staff', 'admin'],
      params: HomeParams,
      response: { status: 200, description: 'the settings in force', schema: SettingsView },
      errors: ['not_found'],
      handle: ({ params, actor }) => {
        const h = home(params.homeId, actor.user);
        const parsed = parseHomeRuleSettings(h.settings);
        audit(ctx, actor, 'rule_settings.read', h.id, purposeOf(actor.user.role));
        return {
          settings: parsed.ok ? parsed.settings : HomeRuleSettings.parse({}),
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/homes/:homeId/rule-settings',
      summary: "Replace the home's rule settings; what is left out takes its default",
      tag: 'homes',
      access: ['staff', 'admin'],
      params: HomeParams,
      body: z.record(z.string(), z.unknown()),
      response: { status: 200, description: 'the settings in force', schema: SettingsView },
      errors: ['not_found'],
      handle: async ({ params, body, actor }) => {
        const h = home(params.homeId, actor.user);
        const parsed = parseHomeRuleSettings(body);
        if (!parsed.ok)
          throw new TryghedError('bad_request', 'invalid rule settings', {
            issues: parsed.issues.map((i) => ({ path: i.path || '(body)', message: i.message })),
          });
        await ctx.registry.updateHome(h.id, { settings: body });
        audit(ctx, actor, 'rule_settings.update', h.id, purposeOf(actor.user.role));
        return { settings: parsed.settings };
      },
    }),
  ];
}
