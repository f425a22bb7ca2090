import type { Alert, User, UserRole } from '../../services/domain/index.ts';
import type { Registry } from '../../services/registry/index.ts';

/** Who may call a route: anyone, anyone logged in, or the listed roles. */
export type Access = 'public' | 'session' | readonly [UserRole, ...UserRole[]];

/**
 * Who may see which homes: staff their teams' homes; a citizen their own; a relative the citizens
 * they hold a verified power of attorney for; technicians and administrators every home
 * (technicians for its devices only: each route decides what of a home a technician gets, never its
 * care readings, consent or record; the audit log records why they looked).
 */
export function visibleHomeIds(user: User, registry: Registry): string[] {
  switch (user.role) {
    case 'staff':
      return registry.homesOfTeams(user.teamIds).map((h) => h.id);
    case 'citizen':
      return user.homeId && registry.home(user.homeId) ? [user.homeId] : [];
    case 'relative':
      return registry.homesOfRelative(user.id);
    case 'admin':
    case 'technician':
      return registry.allHomes().map((h) => h.id);
    default:
      return [];
  }
}

/**
 * The homes a query should be limited to: a list, or undefined for "every home" (administrators,
 * technicians), so a municipality's 140,000 homes never end up in one SQL `IN (...)`.
 */
export function homeFilter(user: User, registry: Registry): string[] | undefined {
  return user.role === 'admin' || user.role === 'technician' ? undefined : visibleHomeIds(user, registry);
}

export function canSeeHome(user: User, homeId: string, registry: Registry): boolean {
  const home = registry.home(homeId);
  if (!home) return false;
  switch (user.role) {
    case 'staff':
      return user.teamIds.includes(home.teamId);
    case 'citizen':
      return user.homeId === homeId;
    case 'relative':
      return registry.hasPowerOfAttorney(user.id, homeId);
    case 'admin':
    case 'technician':
      return true;
    default:
      return false;
  }
}

/**
 * Acknowledge and resolve: staff of the home's team for care alerts, technicians for technical
 * ones and for test alerts.
 */
export function canHandleAlert(user: User, alert: Alert, registry: Registry): boolean {
  if (user.role === 'admin') return true;
  // A test alert never pages care staff: technicians see and clear it.
  if (alert.test) return user.role === 'technician';
  if (alert.audience === 'technical') return user.role === 'technician';
  return user.role === 'staff' && canSeeHome(user, alert.homeId, registry);
}

/** Who may see an alert at all (the citizen sees their own home's). */
export function canSeeAlert(user: User, alert: Alert, registry: Registry): boolean {
  if (alert.test) return user.role === 'technician' || user.role === 'admin';
  if (user.role === 'citizen' || user.role === 'relative')
    return alert.audience === 'care' && canSeeHome(user, alert.homeId, registry);
  // A technician sees technical alerts (and test alerts, above), never a care alert: not even a
  // critical one raised while they had the home in test mode; their device card shows that the
  // device was heard, and staff handle what it raised.
  if (user.role === 'technician') return alert.audience === 'technical';
  return canHandleAlert(user, alert, registry);
}

/** Consent: the citizen for their own home, staff of the home's team (paper, phone, in person), admins. */
export function canChangeConsent(user: User, homeId: string, registry: Registry): boolean {
  if (user.role === 'technician') return false;
  return canSeeHome(user, homeId, registry);
}
