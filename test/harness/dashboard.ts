import { randomUUID } from 'node:crypto';
import { type DashboardOptions, startDashboard } from '../../dashboard/server/index.ts';
import type { UserRole } from '../../services/domain/index.ts';
import { hashSecret, silentLogger } from '../../services/runtime/index.ts';
import type { servicesFixture } from './services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

/** The dashboard alone on port 0 over a services fixture, checking every response against the document. */
export function startTestDashboard(f: Fixture, options: Partial<DashboardOptions> = {}) {
  return startDashboard({
    host: '127.0.0.1',
    port: 0,
    store: f.store,
    registry: f.registry,
    consent: f.consent,
    alerts: f.alerts,
    events: f.events,
    metrics: f.metrics,
    logger: silentLogger(),
    clock: f.clock,
    secureCookies: false,
    checkResponses: true,
    readiness: {},
    ...options,
  });
}

/** A user with a password, straight into the store. */
export async function addUser(
  f: Fixture,
  username: string,
  role: UserRole,
  password: string,
  extra: { teamIds?: string[]; homeId?: string | null } = {},
) {
  return f.store.users.create({
    id: randomUUID(),
    username,
    displayName: username,
    role,
    passwordHash: await hashSecret(password, 'password'),
    teamIds: extra.teamIds ?? [],
    homeId: extra.homeId ?? null,
  });
}

/** `name=value` of a Set-Cookie header, or undefined. */
export function cookieOf(res: Response, name: string): string | undefined {
  for (const header of res.headers.getSetCookie()) {
    if (header.startsWith(`${name}=`)) return header.split(';')[0];
  }
  return undefined;
}

/** The whole Set-Cookie header for a cookie, attributes included. */
export function setCookieHeader(res: Response, name: string): string {
  return res.headers.getSetCookie().find((h) => h.startsWith(`${name}=`)) ?? '';
}
