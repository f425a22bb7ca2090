import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

interface CardView {
  homeId: string;
  homeLabel: string;
  scope: 'full' | 'address';
  mayEdit: boolean;
  mayRevealKeyBoxCode: boolean;
  card: null | {
    address: { lines: string[]; postcode: string; city: string };
    keyBoxLocation?: string | null;
    hasKeyBoxCode?: boolean;
    accessNotes?: string | null;
    citizenPhone?: string | null;
    contacts?: Array<{ name: string; relation: string; phone: string; priority: number }>;
    detailsErasedAt: number | null;
  };
}

interface AccessEntry {
  actorRole: string;
  actorName: string | null;
  action: string;
  purpose: string;
  detail: string | null;
}

const CARD = {
  address: { lines: ['Skovvej 2, 1. th.'], postcode: '2750', city: 'Ballerup' },
  entry: { keyBoxLocation: 'Til venstre for hoveddøren, bag potteplanten', keyBoxCode: '4711' },
  accessNotes: 'Hund (venlig). Stejl trappe.',
  citizenPhone: '12 34 56 78',
  contacts: [
    { name: 'Dorte Lund', relation: 'datter', phone: '+46 70 123 45 67', priority: 2 },
    { name: 'Nabo Jens', relation: 'nabo', phone: '0045 87654321', priority: 1 },
  ],
};

describe("the responder's card: who sees and edits it, audit, export and erasure", () => {
  const dir = tempDir();
  const password = 'password-123';
  let platform: Platform;
  let admin: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let technician: ApiClient;
  let citizenA: ApiClient;
  let citizenB: ApiClient;
  let relative: ApiClient;
  let relativeId: string;
  const path = '/api/homes/home-a/responder-card';

  const accessLog = async () =>
    (await citizenA.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/home-a/access-log')).entries;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('responder') });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/teams', { id: 'team-b', name: 'Team B' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Fru Lund', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Hr. Berg', teamId: 'team-b' });
    const user = (body: Record<string, unknown>) =>
      admin.ok<{ user: { id: string } }>('POST', '/api/users', { password, ...body });
    await user({ username: 'staff-a', displayName: 'Sosu Anna', role: 'staff', teamIds: ['team-a'] });
    await user({ username: 'staff-b', displayName: 'Sosu Bo', role: 'staff', teamIds: ['team-b'] });
    await user({ username: 'tech', displayName: 'Tekniker Tim', role: 'technician' });
    await user({ username: 'citizen-a', displayName: 'Astrid', role: 'citizen', homeId: 'home-a' });
    await user({ username: 'citizen-b', displayName: 'Bent', role: 'citizen', homeId: 'home-b' });
    relativeId = (await user({ username: 'datter', displayName: 'Dorte', role: 'relative' })).user.id;
    const login = (name: string) => ApiClient.login(url, name, password);
    [staffA, staffB, technician, citizenA, citizenB, relative] = (await Promise.all(
      ['staff-a', 'staff-b', 'tech', 'citizen-a', 'citizen-b', 'datter'].map(login),
    )) as [ApiClient, ApiClient, ApiClient, ApiClient, ApiClient, ApiClient];
  });

  afterAll(async () => {
    await platform?.close();
    dir.remove();
  });

  it('a home without a card says so; staff of the team make one, phone numbers as E.164, contacts by priority', async () => {
    expect((await staffA.ok<CardView>('GET', path)).card).toBeNull();
    const saved = await staffA.ok<CardView>('PUT', path, CARD);
    expect(saved.card).toMatchObject({
      address: CARD.address,
      keyBoxLocation: CARD.entry.keyBoxLocation,
      hasKeyBoxCode: true,
      accessNotes: CARD.accessNotes,
      citizenPhone: '+4512345678',
      contacts: [
        { name: 'Nabo Jens', phone: '+4587654321', priority: 1 },
        { name: 'Dorte Lund', relation: 'datter', phone: '+46701234567', priority: 2 },
      ],
    });
    // the code itself is never in the card
    expect(JSON.stringify(saved)).not.toContain('4711');
    const read = await staffA.ok<CardView>('GET', path);
    expect(read).toMatchObject({
      scope: 'full',
      mayEdit: true,
      mayRevealKeyBoxCode: true,
      homeLabel: 'Fru Lund',
    });
    expect(JSON.stringify(read)).not.toContain('4711');
  });

  it('refuses bad input by field: a phone number that is not one, two contacts with one priority, an unknown key', async () => {
    const bad = await staffA.request('PUT', path, {
      ...CARD,
      citizenPhone: '1234',
      contacts: [CARD.contacts[0], { ...CARD.contacts[1], priority: 2 }],
      extra: 1,
    });
    expect(bad.status).toBe(400);
    const paths = (bad.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['citizenPhone', 'contacts', 'extra']);
    const badCode = await staffA.request('PUT', path, {
      ...CARD,
      entry: { keyBoxLocation: null, keyBoxCode: '<x>' },
    });
    expect(badCode.status).toBe(400);
    // nothing changed
    expect((await staffA.ok<CardView>('GET', path)).card?.citizenPhone).toBe('+4512345678');
  });

  it('another team gets 404 for reading, editing and the code; so does another citizen', async () => {
    for (const client of [staffB, citizenB]) {
      expect((await client.request('GET', path)).status).toBe(404);
      expect((await client.request('PUT', path, CARD)).status).toBe(404);
      expect((await client.request('POST', `${path}/key-box-code`, {})).status).toBe(404);
    }
  });

  it('the key-box code is shown only on an explicit request, as its own read; absent keeps it, null removes it', async () => {
    expect(await staffA.ok('POST', `${path}/key-box-code`, {})).toEqual({ keyBoxCode: '4711' });
    const log = await eventually(async () =>
      (await accessLog()).find((e) => e.action === 'responder_card.key_box_code.read'),
    );
    expect(log).toMatchObject({ actorRole: 'staff', actorName: 'Sosu Anna', purpose: 'care' });
    const { keyBoxCode: _, ...entryWithoutCode } = CARD.entry;
    await staffA.ok('PUT', path, { ...CARD, entry: entryWithoutCode, accessNotes: 'Hund. Stejl trappe.' });
    expect(await staffA.ok('POST', `${path}/key-box-code`, {})).toEqual({ keyBoxCode: '4711' });
    await staffA.ok('PUT', path, { ...CARD, entry: { ...entryWithoutCode, keyBoxCode: null } });
    expect(await staffA.ok('POST', `${path}/key-box-code`, {})).toEqual({ keyBoxCode: null });
    await staffA.ok('PUT', path, CARD);
  });

  it('technicians see the address only and may not edit or see the code; administrators edit but do not see the code', async () => {
    const view = await technician.ok<CardView>('GET', path);
    expect(view).toMatchObject({ scope: 'address', mayEdit: false, mayRevealKeyBoxCode: false });
    expect(Object.keys(view.card ?? {}).sort()).toEqual([
      'address',
      'detailsErasedAt',
      'updatedAt',
      'updatedByRole',
    ]);
    expect(JSON.stringify(view)).not.toMatch(/Dorte|\+45|Hund|potteplanten/);
    expect((await technician.request('PUT', path, CARD)).status).toBe(403);
    expect((await technician.request('POST', `${path}/key-box-code`, {})).status).toBe(403);

    expect((await admin.ok<CardView>('GET', path)).card?.contacts).toHaveLength(2);
    expect((await admin.request('POST', `${path}/key-box-code`, {})).status).toBe(403);
    const entries = await eventually(async () => {
      const e = await accessLog();
      return e.some((x) => x.actorRole === 'technician') && e.some((x) => x.actorRole === 'admin') && e;
    });
    expect(
      entries.find((e) => e.actorRole === 'technician' && e.action === 'responder_card.read'),
    ).toMatchObject({ purpose: 'maintenance', detail: 'address' });
  });

  it('the citizen reads and edits their own card; each staff read and change is in their access log', async () => {
    const own = await citizenA.ok<CardView>('GET', path);
    expect(own).toMatchObject({ mayEdit: true, mayRevealKeyBoxCode: true });
    await citizenA.ok('PUT', path, { ...CARD, citizenPhone: '+45 11 22 33 44' });
    expect((await staffA.ok<CardView>('GET', path)).card?.citizenPhone).toBe('+4511223344');
    const entries = await eventually(async () => {
      const e = await accessLog();
      // the access log records a person's reads of a home once per 15 minutes (docs/architecture.md)
      return e.filter((x) => x.action === 'responder_card.read' && x.actorRole === 'staff').length === 1 && e;
    });
    expect(
      entries.find((e) => e.action === 'responder_card.update' && e.actorRole === 'staff'),
    ).toMatchObject({
      actorName: 'Sosu Anna',
      purpose: 'care',
    });
    // the change's detail names what was touched, never its content
    for (const e of entries.filter((x) => x.action === 'responder_card.update'))
      expect(e.detail).not.toMatch(/\d{4}|Hund|Dorte/);
  });

  it('a save from a stale form is refused with 409 and overwrites nothing', async () => {
    const read = await staffA.ok<CardView & { card: { updatedAt: number } }>('GET', path);
    const stamp = read.card.updatedAt;
    // the system clock: let it move on, so the next save gets a stamp of its own
    await new Promise((r) => setTimeout(r, 5));
    await citizenA.ok('PUT', path, { ...CARD, citizenPhone: '+45 11 22 33 44', expectedUpdatedAt: stamp });
    const stale = await staffA.request('PUT', path, {
      ...CARD,
      citizenPhone: '99999999',
      expectedUpdatedAt: stamp,
    });
    expect(stale.status).toBe(409);
    expect((await staffA.request('PUT', path, { ...CARD, expectedUpdatedAt: null })).status).toBe(409);
    expect((await staffA.ok<CardView>('GET', path)).card?.citizenPhone).toBe('+4511223344');
  });

  it('a relative reads and edits only with a recorded power of attorney, and not after it is revoked', async () => {
    expect((await relative.request('GET', path)).status).toBe(404);
    expect((await relative.request('PUT', path, CARD)).status).toBe(404);
    const { powerOfAttorney } = await staffA.ok<{ powerOfAttorney: { id: number } }>(
      'POST',
      '/api/homes/home-a/powers-of-attorney',
      { relativeUserId: relativeId, reference: 'Fremtidsfuldmagt 7' },
    );
    expect((await relative.ok<CardView>('GET', path)).card?.contacts).toHaveLength(2);
    await relative.ok('PUT', path, { ...CARD, citizenPhone: '11223344', accessNotes: 'Ingen hund længere.' });
    expect(await relative.ok('POST', `${path}/key-box-code`, {})).toEqual({ keyBoxCode: '4711' });
    const entry = await eventually(async () =>
      (await accessLog()).find((e) => e.action === 'responder_card.update' && e.actorRole === 'relative'),
    );
    expect(entry).toMatchObject({ actorName: 'Dorte', purpose: 'power_of_attorney', detail: 'access_notes' });

    await staffA.ok('DELETE', `/api/homes/home-a/powers-of-attorney/${powerOfAttorney.id}`);
    expect((await relative.request('GET', path)).status).toBe(404);
    expect((await relative.request('PUT', path, CARD)).status).toBe(404);
    expect((await relative.request('POST', `${path}/key-box-code`, {})).status).toBe(404);
  });

  it('the export holds the whole card, the code included, as JSON and as CSV', async () => {
    const json = await citizenA.ok<{ responderCard: Record<string, unknown> | null }>(
      'GET',
      '/api/homes/home-a/export?format=json',
    );
    expect(json.responderCard).toMatchObject({
      address: CARD.address,
      keyBoxCode: '4711',
      accessNotes: 'Ingen hund længere.',
      contacts: [{ priority: 1 }, { priority: 2, name: 'Dorte Lund' }],
    });
    const res = await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=csv`, {
      headers: { cookie: citizenA.sessionCookie },
    });
    const csv = await res.text();
    expect(csv).toContain('beredskabskort');
    expect(csv).toContain('1. Nabo Jens (nabo): +4587654321');
    expect(csv).toContain('nøgleboks-kode;;;;;;;;;;;;;;4711'); // the code's row, named in Danish
  });

  it('the parts of the card a change touched are recorded as codes and worded in the export, old English entries too', async () => {
    // an entry from before codes, in English words, as older rows hold it
    await platform.store.audit.append({
      at: platform.registry.home('home-a')!.createdAt + 1,
      actorId: 'someone-before',
      actorRole: 'admin',
      action: 'responder_card.update',
      homeId: 'home-a',
      purpose: 'administration',
      detail: 'key box location, contacts',
    });
    await staffA.ok('PUT', path, { ...CARD, accessNotes: 'Nøglen hænger i carporten.' });
    const csvOf = async (lang: string) =>
      (
        await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=csv&lang=${lang}`, {
          headers: { cookie: citizenA.sessionCookie },
        })
      ).text();
    const da = await csvOf('da');
    const updates = da.split('\r\n').filter((l) => l.includes('ændrede beredskabskortet'));
    // the change just made (access notes) and the old one, in Danish words from the catalog
    expect(updates.some((l) => l.endsWith(';noter om adgang'))).toBe(true);
    expect(updates.some((l) => l.endsWith(';"nøgleboksens placering, kontakter"'))).toBe(true);
    expect(da).not.toContain('key box location');
    const en = (await csvOf('en')).split('\r\n').filter((l) => l.includes('responder_card.update'));
    expect(en.some((l) => l.endsWith(';"key_box_location, contacts"'))).toBe(true);
    expect(en.some((l) => l.endsWith(';access_notes'))).toBe(true);
  });

  it('an erasure request removes phones, contacts, key box and notes; the address stays, and staff see when', async () => {
    // passed on by staff of the team (the citizen's own acts are not echoed in their access log)
    await staffA.ok('POST', '/api/homes/home-a/erasure-requests', {});
    const after = await staffA.ok<CardView>('GET', path);
    expect(after.card).toMatchObject({
      address: CARD.address,
      keyBoxLocation: null,
      hasKeyBoxCode: false,
      accessNotes: null,
      citizenPhone: null,
      contacts: [],
      detailsErasedAt: expect.any(Number),
    });
    expect(await staffA.ok('POST', `${path}/key-box-code`, {})).toEqual({ keyBoxCode: null });
    await eventually(async () => (await accessLog()).find((e) => e.action === 'responder_card.erase'));
    // a new card after the erasure is a card again
    const again = await staffA.ok<CardView>('PUT', path, CARD);
    expect(again.card?.detailsErasedAt).toBeNull();
  });
});
