import { randomUUID } from 'node:crypto';
import type { ResponderCard, UserRole } from '../services/domain/index.ts';
import type { People } from '../services/people/index.ts';
import type { Registry } from '../services/registry/index.ts';
import type { ResponderCards } from '../services/responder-cards/index.ts';
import { hashSecret, type Logger, newSecret } from '../services/runtime/index.ts';
import type { Config } from './config.ts';

/**
 * Makes sure an administrator exists. The first start on an empty database creates one from
 * ADMIN_USERNAME/ADMIN_PASSWORD, or generates a password and prints it once: an operator must
 * never find a platform nobody can log in to, nor one with a well-known password.
 */
export async function ensureAdmin(people: People, config: Config, logger: Logger): Promise<string | null> {
  const users = await people.allUsers();
  if (users.some((u) => u.role === 'admin')) return null;
  const password = config.adminPassword || newSecret();
  try {
    await people.createUser({
      id: randomUUID(),
      username: config.adminUsername,
      displayName: 'Administrator',
      role: 'admin',
      passwordHash: await hashSecret(password, 'password'),
      homeId: null,
      teamIds: [],
    });
  } catch (err) {
    // several processes starting at once on a new database (ROLES): one of them made it first
    if ((await people.allUsers()).some((u) => u.role === 'admin')) return null;
    throw err;
  }
  logger.info({ username: config.adminUsername }, 'created the first administrator');
  return config.adminPassword ? null : password;
}

export const DEMO_PASSWORD = 'demo1234';

/** Demo users, one per role, all with DEMO_PASSWORD; only ever made with DEMO on. */
export const DEMO_USERS: Array<{
  username: string;
  displayName: string;
  role: UserRole;
  teamIds: string[];
  homeId: string | null;
}> = [
  {
    username: 'sosu-nord',
    displayName: 'Sosu-assistent, Team Nord',
    role: 'staff',
    teamIds: ['team-nord'],
    homeId: null,
  },
  {
    username: 'sosu-syd',
    displayName: 'Sosu-hjælper, Team Syd',
    role: 'staff',
    teamIds: ['team-syd'],
    homeId: null,
  },
  { username: 'tekniker', displayName: 'Tekniker', role: 'technician', teamIds: [], homeId: null },
  { username: 'borger', displayName: 'Borger i demo-1', role: 'citizen', teamIds: [], homeId: 'demo-1' },
  // a relative: acts for the citizen of demo-1 under a power of attorney recorded below
  {
    username: 'paaroerende',
    displayName: 'Pårørende til demo-1',
    role: 'relative',
    teamIds: [],
    homeId: null,
  },
];

/** The demo relative's power of attorney, as staff would record it after seeing the document. */
const DEMO_ATTORNEY = {
  username: 'paaroerende',
  homeId: 'demo-1',
  reference: 'Demo-fuldmagt (ikke et rigtigt dokument)',
};

/**
 * The demo citizen's responder's card: a made-up address, and numbers starting with 0, which no
 * Danish number does, so a tap on a demo `tel:` link never rings a real person.
 */
const DEMO_CARD: Omit<ResponderCard, 'updatedAt'> = {
  homeId: 'demo-1',
  addressLines: ['Demovej 1, st. tv.'],
  postcode: '2750',
  city: 'Ballerup',
  keyBoxLocation: 'Til venstre for hoveddøren (demo)',
  keyBoxCode: '0000',
  accessNotes: 'Demo: en venlig hund, ingen elevator.',
  citizenPhone: '+4501234567',
  contacts: [{ name: 'Pårørende (demo)', relation: 'datter', phone: '+4501234568', priority: 1 }],
  updatedBy: 'demo',
  updatedByRole: 'admin',
  detailsErasedAt: null,
};

export async function ensureDemoUsers(
  owners: { people: People; responderCards: ResponderCards },
  registry: Registry,
  now: number,
): Promise<void> {
  const { people, responderCards } = owners;
  if (registry.home(DEMO_CARD.homeId) && !(await responderCards.get(DEMO_CARD.homeId)))
    await responderCards.save({ ...DEMO_CARD, updatedAt: now });
  const hash = await hashSecret(DEMO_PASSWORD, 'password');
  for (const user of DEMO_USERS) {
    if (await people.userByUsername(user.username)) continue;
    if (user.homeId && !(await registry.findHome(user.homeId))) continue;
    await people.createUser({ id: randomUUID(), passwordHash: hash, ...user });
  }
  const relative = await people.userByUsername(DEMO_ATTORNEY.username);
  if (
    relative &&
    registry.home(DEMO_ATTORNEY.homeId) &&
    !registry.hasPowerOfAttorney(relative.id, DEMO_ATTORNEY.homeId)
  ) {
    await registry.grantPowerOfAttorney({
      relativeUserId: relative.id,
      homeId: DEMO_ATTORNEY.homeId,
      verifiedBy: 'demo',
      reference: DEMO_ATTORNEY.reference,
      at: now,
    });
  }
}
