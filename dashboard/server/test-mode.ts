import type { Device, Home, User } from '../../services/domain/index.ts';
import type { LiveTestMode } from '../../services/domain/shared/live-messages.ts';
import type { TestMode } from '../../services/registry/index.ts';
import { canSeeHome } from './access.ts';
import type { DashboardContext } from './context.ts';

/** The longest a technician may keep a citizen's home or device in test mode, and the default. */
export const TEST_MODE_MAX_MINUTES = 240;
export const TEST_MODE_DEFAULT_MINUTES = 60;

/** A home as lists and the home view show it, with its test mode if one is running now. */
export function homeSummary(ctx: DashboardContext, home: Home) {
  return {
    id: home.id,
    label: home.label,
    teamId: home.teamId,
    timezone: home.timezone,
    test: home.test,
    testUntil: ctx.registry.homeTestUntil(home.id, ctx.clock.now()),
  };
}

/** A device's own test mode, if it is running now (its home's is on the home). */
export function deviceTestUntil(ctx: DashboardContext, device: Device): number | null {
  return device.testUntil !== null && device.testUntil > ctx.clock.now() ? device.testUntil : null;
}

/** What a board is told about a home's test mode: `until` null and no devices once it is over. */
export type TestModeNotice = LiveTestMode;

export function testModeNotice(ctx: DashboardContext, homeId: string): TestModeNotice {
  const mode = ctx.registry.testMode(homeId, ctx.clock.now());
  return {
    type: 'test_mode',
    homeId,
    homeLabel: ctx.registry.home(homeId)?.label ?? homeId,
    until: mode?.until ?? null,
    devices: mode?.devices ?? [],
  };
}

/** Who is told of test mode on the board: care staff of the home's team, technicians, administrators. */
export function seesTestMode(user: User, homeId: string, ctx: DashboardContext): boolean {
  return (
    (user.role === 'staff' || user.role === 'technician' || user.role === 'admin') &&
    canSeeHome(user, homeId, ctx.registry)
  );
}

/** The homes in test mode right now that this person is told of, for a board that (re)connects. */
export function visibleTestModes(ctx: DashboardContext, user: User): TestModeNotice[] {
  return ctx.registry
    .homesInTestMode(ctx.clock.now())
    .filter((m: TestMode) => seesTestMode(user, m.homeId, ctx))
    .map((m) => ({
      type: 'test_mode' as const,
      homeId: m.homeId,
      homeLabel: ctx.registry.home(m.homeId)?.label ?? m.homeId,
      until: m.until,
      devices: m.devices,
    }));
}
