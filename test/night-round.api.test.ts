import { afterEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { informationText } from '../services/domain/index.ts';
import { NightRound } from '../services/night-round/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { eventually } from './harness/index.ts';
import { servicesFixture } from './harness/services.ts';

const MIN = 60_000;
/** 23:05 in Copenhagen (winter): the 23:00 round is open */
const NIGHT = Date.UTC(2026, 0, 5, 22, 5);
const ROUND_23 = Date.UTC(2026, 0, 5, 22, 0);

interface RoundBody {
  homes: Array<{ homeId: string; roundAt: number; status: string; summary: { mark: string } }>;
  next: unknown;
}
interface AccessEntry {
  actorRole: string;
  actorName: string | null;
  action: string;
  purpose: string;
  at: number;
}

let stopAll: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stopAll.reverse()) await stop();
  stopAll = [];
});

async function setup() {
  const f = await servicesFixture(NIGHT);
  stopAll.push(() => f.close());
  await f.store.teams.create({ id: 'other', name: 'Other' });
  await f.home('h1', ['bed', 'door', 'heartbeat']);
  await f.registry.createHome({
    id: 'h2',
    label: 'h2',
    teamId: 'other',
    settings: {},
    timezone: 'Europe/Copenhagen',
  });
  const round = await NightRound.load({
    store: f.store,
    registry: f.registry,
    consent: f.consent,
    raise: (c) => f.alerts.raise(c),
    events: f.events,
    clock: f.clock,
    logger: silentLogger(),
    lookWithinMs: 15 * MIN,
  });
  round.start();
  stopAll.push(() => round.stop());
  const dashboard: Dashboard = await startTestDashboard(f, { nightRound: round });
  stopAll.push(() => dashboard.close());
  await addUser(f, 'nat', 'staff', 'pw-nat-123456', { teamIds: ['t'] });
  await addUser(f, 'andet', 'staff', 'pw-andet-123456', { teamIds: ['other'] });
  await addUser(f, 'tek', 'technician', 'pw-tek-123456');
  await addUser(f, 'borger', 'citizen', 'pw-borger-123456', { homeId: 'h1' });
  const login = (u: string, p: string) => ApiClient.login(dashboard.url, u, p);
  return {
    f,
    round,
    staff: await login('nat', 'pw-nat-123456'),
    otherStaff: await login('andet', 'pw-andet-123456'),
    technician: await login('tek', 'pw-tek-123456'),
    citizen: await login('borger', 'pw-borger-123456'),
  };
}

describe('the night round API', () => {
  it('lets staff set times and see their own team’s due homes only; others get 404, technicians 403', async () => {
    const { f, staff, otherStaff, technician, citizen } = await setup();
    // the citizen consents to the night round for sleep, on their own page
    await citizen.ok('POST', '/api/homes/h1/consent', {
      category: 'sleep',
      purpose: 'night_round',
      action: 'grant',
      textVersion: informationText('sleep', 'night_round').version,
    });
    await staff.ok('PUT', '/api/homes/h1/night-round', { times: ['23:00', '02:00'] });
    expect((await staff.request('PUT', '/api/homes/h1/night-round', { times: ['25:00'] })).status).toBe(400);
    expect((await otherStaff.request('PUT', '/api/homes/h1/night-round', { times: ['23:00'] })).status).toBe(
      404,
    );
    expect((await otherStaff.request('GET', '/api/homes/h1/night-round')).status).toBe(404);
    expect((await technician.request('GET', '/api/night-round')).status).toBe(403);
    expect((await citizen.request('GET', '/api/night-round')).status).toBe(403);

    const mine = await staff.ok<RoundBody>('GET', '/api/night-round');
    expect(mine.homes.map((h) => [h.homeId, h.roundAt, h.status])).toEqual([['h1', ROUND_23, 'due']]);
    // the other team's staff see nothing of it, and may not record a look at it
    expect((await otherStaff.ok<RoundBody>('GET', '/api/night-round')).homes).toEqual([]);
    expect(
      (await otherStaff.request('POST', '/api/night-round/looks', { homeId: 'h1', roundAt: ROUND_23 }))
        .status,
    ).toBe(404);
    // a client cannot name who looked: the body is strict
    expect(
      (await staff.request('POST', '/api/night-round/looks', { homeId: 'h1', roundAt: ROUND_23, by: 'x' }))
        .status,
    ).toBe(400);
    expect((await f.store.nightRound.looksSince(0)).length).toBe(0);
  });

  it('writes every look to the citizen’s access log, and a withdrawal takes the home off the next round', async () => {
    const { f, staff, citizen } = await setup();
    await citizen.ok('POST', '/api/homes/h1/consent', {
      category: 'sleep',
      purpose: 'night_round',
      action: 'grant',
      textVersion: informationText('sleep', 'night_round').version,
    });
    await staff.ok('PUT', '/api/homes/h1/night-round', { times: ['23:00'] });
    await staff.ok('GET', '/api/night-round');
    await staff.ok('GET', '/api/night-round');
    const looked = await staff.ok<{ status: string; looks: Array<{ lookedAt: number; byMe: boolean }> }>(
      'POST',
      '/api/night-round/looks',
      { homeId: 'h1', roundAt: ROUND_23 },
    );
    expect(looked.status).toBe('looked');
    expect(looked.looks).toEqual([{ lookedAt: NIGHT, byMe: true }]);
    f.clock.set(NIGHT + 2 * MIN);
    await staff.ok('POST', '/api/night-round/looks', { homeId: 'h1', roundAt: ROUND_23 });
    const log = await eventually(async () => {
      const { entries } = await citizen.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/h1/access-log');
      const looks = entries.filter((e) => e.action === 'night_round.look');
      return looks.length === 2 ? entries : undefined;
    });
    const looks = log.filter((e) => e.action === 'night_round.look');
    expect(looks.map((e) => [e.at, e.purpose, e.actorRole, e.actorName])).toEqual([
      [NIGHT + 2 * MIN, 'night_round', 'staff', 'nat'],
      [NIGHT, 'night_round', 'staff', 'nat'],
    ]);
    // seeing the summary is a read of its own, recorded once per 15 minutes
    expect(log.filter((e) => e.action === 'night_round.read').map((e) => e.purpose)).toEqual(['night_round']);

    // the citizen withdraws: the home is off the round at once, and a look is refused
    await citizen.ok('POST', '/api/homes/h1/consent', {
      category: 'sleep',
      purpose: 'night_round',
      action: 'withdraw',
      textVersion: informationText('sleep', 'night_round').version,
    });
    expect((await staff.ok<RoundBody>('GET', '/api/night-round')).homes).toEqual([]);
    const refused = await staff.request('POST', '/api/night-round/looks', {
      homeId: 'h1',
      roundAt: ROUND_23,
    });
    expect(refused.status).toBe(409);
  });
});
