import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../services/domain/index.ts';
import { StartError, TryghedError } from '../services/runtime/index.ts';
import { openStore, type Store, type StoreLocation } from '../services/store/index.ts';
import { untouchedAlert } from './harness/alert-fields.ts';
import { tempDir } from './harness/index.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

/** A year-2100 timestamp: more than 32 bits, so an INTEGER column or an int8 read as text would show. */
const Y2100 = Date.UTC(2100, 0, 1);

const alertOf = (id: string, homeId: string, over: Partial<Alert> = {}): Alert => ({
  id,
  homeId,
  rule: 'fall',
  category: 'emergency',
  severity: 'critical',
  audience: 'care',
  state: 'open',
  openedAt: Y2100,
  lastSeenAt: Y2100,
  repeats: 0,
  evidence: { readings: [], summary: 'Fall detected' },
  ...untouchedAlert,
  ...over,
});

async function withHome(store: Store, homeId = 'h1'): Promise<void> {
  if (!(await store.teams.get('t'))) await store.teams.create({ id: 't', name: 'T' });
  await store.homes.create({
    id: homeId,
    label: 'Home',
    teamId: 't',
    timezone: 'Europe/Copenhagen',
    settings: { nightStart: '23:00' },
    test: false,
  });
}

describe.each(ENGINES)('the store on %s', (engine) => {
  let dir: ReturnType<typeof tempDir>;
  let location: StoreLocation;
  let drop: () => Promise<void>;
  let store: Store;

  beforeEach(async () => {
    dir = tempDir();
    ({ location, drop } = await storeLocation(engine, dir.path, 'engines'));
    store = await openStore(location);
  });
  afterEach(async () => {
    await store.close();
    await drop();
    dir.remove();
  });

  it('keeps times past 2038 and reads every number back as a number', async () => {
    expect(store.kind).toBe(engine);
    await withHome(store);
    await store.homes.update('h1', { testUntil: Y2100 + 1 });
    const home = await store.homes.get('h1');
    expect(home).toMatchObject({ testUntil: Y2100 + 1, settings: { nightStart: '23:00' }, test: false });
    expect(typeof home?.createdAt).toBe('number');
    await store.alerts.open(alertOf('a1', 'h1'));
    const alert = await store.alerts.get('a1');
    expect(alert?.openedAt).toBe(Y2100);
    expect(typeof (await store.alerts.lastEventSeq())).toBe('number');
    const consent = await store.consent.append({
      homeId: 'h1',
      category: 'door',
      purpose: 'alerts',
      action: 'grant',
      actorId: 'c',
      actorRole: 'citizen',
      onBehalfOf: null,
      channel: 'web',
      textVersion: 'x',
      reference: null,
      basis: 'own_consent',
      reviewDue: null,
      at: Y2100,
    });
    expect(consent.id).toBe(1);
    expect((await store.consent.listAll())[0]).toEqual(consent);
  });

  it('refuses to start on a database a newer Tryghed has migrated', async () => {
    await store.close();
    const { sql } = await import('kysely');
    const { closeDatabase, openDatabase } = await import('../services/store/open.ts');
    const opened = await openDatabase(location);
    await sql`UPDATE schema_version SET version = 999`.execute(opened.db);
    await closeDatabase(opened);
    const refused = await openStore(location).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StartError);
    expect((refused as Error).message).toMatch(/schema version 999 is newer/);
  });

  it('answers the alert queries the board, history and statistics ask alike', async () => {
    await withHome(store, 'h1');
    await withHome(store, 'h2');
    const seq0 = await store.alerts.lastEventSeq();
    expect(seq0).toBe(0);
    await store.alerts.open(alertOf('a1', 'h1', { openedAt: 1000 }));
    await store.alerts.open(alertOf('a2', 'h2', { openedAt: 2000, rule: 'smoke', category: 'emergency' }));
    await store.alerts.open(
      alertOf('a3', 'h1', { openedAt: 3000, rule: 'low_battery', audience: 'technical', test: true }),
    );
    for (const [id, at] of [
      ['a1', 5000],
      ['a2', 5000],
      ['a3', 4000],
    ] as const) {
      const a = (await store.alerts.get(id))!;
      await store.alerts.update(
        { ...a, state: 'resolved', resolvedAt: at, resolvedBy: 'u', outcome: 'false_alarm' },
        'resolved',
      );
    }
    expect((await store.alerts.list({ states: ['resolved'] })).map((a) => a.id)).toEqual(['a3', 'a2', 'a1']);
    expect(await store.alerts.list({ homeIds: [] })).toEqual([]);
    expect((await store.alerts.list({ homeIds: ['h2'] })).map((a) => a.id)).toEqual(['a2']);
    expect((await store.alerts.openedBetween(1000, 3001)).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect((await store.alerts.openedBetween(1000, 3001, { includeTest: true })).length).toBe(3);
    const page1 = await store.alerts.listResolved({ since: 0, limit: 1, audience: 'care' });
    expect(page1.map((a) => a.id)).toEqual(['a2']);
    const page2 = await store.alerts.listResolved({
      since: 0,
      limit: 5,
      audience: 'care',
      before: { resolvedAt: page1[0]!.resolvedAt!, id: page1[0]!.id },
    });
    expect(page2.map((a) => a.id)).toEqual(['a1']);
    expect(
      (await store.alerts.listResolved({ since: 0, limit: 5, audience: 'technical' })).map((a) => a.id),
    ).toEqual(['a3']);
    expect(
      (await store.alerts.listCareOfHome({ homeId: 'h1', includeTest: true, limit: 5 })).map((a) => a.id),
    ).toEqual(['a1']);
    const events = await store.alerts.eventsSince(seq0, { homeIds: ['h1'] });
    expect(events.map((e) => [e.alert.id, e.type])).toEqual([
      ['a1', 'opened'],
      ['a3', 'opened'],
      ['a1', 'resolved'],
      ['a3', 'resolved'],
    ]);
    // an event shows the alert as people see it, without the store's row version
    expect(events[2]!.alert).not.toHaveProperty('version');
    expect(await store.alerts.lastEventSeq()).toBe(6);
    expect(await store.alerts.findActive('h1', 'fall')).toBeNull();
  });

  it('refuses a change to an alert made from a copy read before someone else changed it', async () => {
    await withHome(store);
    await store.alerts.open(alertOf('a1', 'h1'));
    const readByAnna = (await store.alerts.get('a1'))!;
    const readByBo = (await store.alerts.get('a1'))!;
    expect(readByAnna.version).toBe(0);
    const acknowledged = await store.alerts.update(
      { ...readByAnna, state: 'acknowledged', acknowledgedBy: 'anna', acknowledgedAt: Y2100 },
      'acknowledged',
    );
    expect(acknowledged.alert.acknowledgedBy).toBe('anna');
    // Bo's copy is stale: writing it would undo Anna's acknowledgement
    const stale = await store.alerts
      .update({ ...readByBo, repeats: 1, lastSeenAt: Y2100 + 1 }, 'repeated')
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(TryghedError);
    expect(stale).toMatchObject({ code: 'conflict', status: 409 });
    expect(await store.alerts.get('a1')).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'anna',
      version: 1,
    });
    // read again, the same change goes through
    const fresh = (await store.alerts.get('a1'))!;
    await store.alerts.update({ ...fresh, repeats: 1 }, 'repeated');
    expect(await store.alerts.get('a1')).toMatchObject({ state: 'acknowledged', repeats: 1, version: 2 });
    expect((await store.alerts.eventsSince(0)).map((e) => e.type)).toEqual([
      'opened',
      'acknowledged',
      'repeated',
    ]);
    const missing = await store.alerts.update(alertOf('nope', 'h1'), 'repeated').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found' });
  });

  it('keeps one unresolved alert per home and rule, as a typed conflict', async () => {
    await withHome(store);
    await store.alerts.open(alertOf('a1', 'h1'));
    const second = await store.alerts.open(alertOf('a2', 'h1')).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'conflict' });
    expect((await store.alerts.list()).map((a) => a.id)).toEqual(['a1']);
  });

  it('users, teams, devices, sessions, limits, cards, powers of attorney, erasures and notifications', async () => {
    await withHome(store);
    await store.teams.create({ id: 't2', name: 'Two' });
    await store.users.create({
      id: 'u1',
      username: 'anna',
      displayName: 'Anna',
      role: 'staff',
      passwordHash: 'h',
      homeId: null,
      teamIds: ['t2', 't'],
    });
    expect((await store.users.byUsername('anna'))?.teamIds).toEqual(['t', 't2']);
    expect(await store.users.update('u1', { teamIds: ['t2', 't2'], mustChangePassword: true })).toMatchObject(
      {
        teamIds: ['t2'],
        mustChangePassword: true,
        displayName: 'Anna',
      },
    );
    expect((await store.users.list()).map((u) => u.username)).toEqual(['anna']);
    await expect(store.teams.rename('nope', 'x')).rejects.toThrow();
    expect(await store.teams.rename('t2', 'To')).toEqual({ id: 't2', name: 'To' });

    // all or none: a batch with one device that is already there adds nothing
    await store.devices.create({
      id: 'd1',
      homeId: 'h1',
      role: 'sensor',
      kinds: ['motion'],
      secretHash: 's',
      test: false,
    });
    const batch = [
      {
        id: 'd2',
        homeId: 'h1',
        role: 'sensor' as const,
        kinds: ['fall' as const],
        secretHash: 's',
        test: false,
      },
      {
        id: 'd1',
        homeId: 'h1',
        role: 'sensor' as const,
        kinds: ['fall' as const],
        secretHash: 's',
        test: false,
      },
    ];
    await expect(store.devices.createMany(batch)).rejects.toThrow();
    expect((await store.devices.listAll()).map((d) => d.id)).toEqual(['d1']);
    expect(await store.devices.replaceSecretHash('d1', 'wrong', 's2')).toBe(false);
    expect(await store.devices.replaceSecretHash('d1', 's', 's2')).toBe(true);
    expect(await store.devices.update('d1', { reportIntervalS: 60, testUntil: Y2100 })).toMatchObject({
      reportIntervalS: 60,
      testUntil: Y2100,
      secretHash: 's2',
      kinds: ['motion'],
    });

    await store.sessions.create({
      idHash: 'x1',
      userId: 'u1',
      csrfToken: 'c',
      createdAt: 10,
      lastSeenAt: 10,
    });
    await store.sessions.create({
      idHash: 'x2',
      userId: 'u1',
      csrfToken: 'c',
      createdAt: 10,
      lastSeenAt: 50,
    });
    await store.sessions.touch('x1', 5);
    expect((await store.sessions.get('x1'))?.lastSeenAt).toBe(10);
    expect(await store.sessions.deleteExpired(20, 0)).toEqual(['x1']);
    expect(await store.sessions.deleteOfUser('u1')).toEqual(['x2']);

    const failed = (n: number) => ({ failures: n, lockLevel: 0, lockedUntil: 0, lastFailureAt: 100 });
    await store.loginLimits.update('anna', (c) => failed((c?.failures ?? 0) + 1));
    await store.loginLimits.update('anna', (c) => failed((c?.failures ?? 0) + 1));
    expect(await store.loginLimits.get('anna')).toEqual(failed(2));
    expect(await store.loginLimits.sweep(101)).toBe(1);
    expect(await store.loginLimits.get('anna')).toBeNull();

    const card = {
      homeId: 'h1',
      addressLines: ['Vej 1'],
      postcode: '8000',
      city: 'Aarhus',
      keyBoxLocation: 'door',
      keyBoxCode: '1234',
      accessNotes: null,
      citizenPhone: '+4512345678',
      contacts: [
        { name: 'B', relation: 'son', phone: '+4511111111', priority: 2 },
        { name: 'A', relation: 'daughter', phone: '+4522222222', priority: 1 },
      ],
      updatedAt: 1,
      updatedBy: 'u1',
      updatedByRole: 'staff',
      detailsErasedAt: null,
    };
    expect((await store.responderCards.save(card, null))?.contacts.map((c) => c.name)).toEqual(['A', 'B']);
    // a second first card, or a save over a card that changed meanwhile, writes nothing
    expect(await store.responderCards.save({ ...card, city: 'X' }, null)).toBeNull();
    expect(await store.responderCards.save({ ...card, city: 'X', updatedAt: 2 }, 0)).toBeNull();
    expect((await store.responderCards.save({ ...card, city: 'Y', updatedAt: 2 }, 1))?.city).toBe('Y');
    expect(await store.responderCards.eraseDetails('h1', 3)).toBe(true);
    expect(await store.responderCards.get('h1')).toMatchObject({ keyBoxCode: null, contacts: [], city: 'Y' });

    const poa = await store.powersOfAttorney.add({
      relativeUserId: 'u1',
      homeId: 'h1',
      verifiedBy: 's',
      verifiedAt: 1,
      reference: 'doc',
    });
    await expect(
      store.powersOfAttorney.add({
        relativeUserId: 'u1',
        homeId: 'h1',
        verifiedBy: 's',
        verifiedAt: 2,
        reference: 'x',
      }),
    ).rejects.toThrow();
    expect(await store.powersOfAttorney.revoke(poa.id, 's', 5)).toBe(true);
    expect(await store.powersOfAttorney.revoke(poa.id, 's', 6)).toBe(false);
    expect(await store.powersOfAttorney.activeForRelative('u1')).toEqual([]);
    expect(await store.powersOfAttorney.listByHome('h1')).toEqual([{ ...poa, revokedAt: 5, revokedBy: 's' }]);

    const erasure = await store.erasures.record({
      homeId: 'h1',
      requestedBy: 'c',
      requesterRole: 'citizen',
      onBehalfOf: null,
      scope: 'readings',
      requestedAt: 1,
      completedAt: 2,
      result: 'erased',
      detail: null,
    });
    expect(await store.erasures.listByHome('h1')).toEqual([erasure]);

    await store.alerts.open(alertOf('a1', 'h1'));
    const n = await store.notifications.record({
      alertId: 'a1',
      at: Y2100,
      notifier: 'log',
      target: 'log',
      level: 2,
      attempt: 1,
      result: 'delivered',
      detail: null,
    });
    expect(await store.notifications.listByAlert('a1')).toEqual([n]);
    const entry = await store.audit.append({
      at: 1,
      actorId: 'u1',
      actorRole: 'staff',
      action: 'x',
      homeId: 'h1',
      purpose: 'care',
      detail: null,
    });
    expect(await store.audit.listByHome('h1')).toEqual([entry]);
    await store.ping();
  });
});
