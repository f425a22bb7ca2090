import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AlertService } from '../services/alerts/index.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import { type Alert, type AlertCandidate, informationText } from '../services/domain/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { Registry } from '../services/registry/index.ts';
import { ManualClock, Metrics, silentLogger, TryghedError } from '../services/runtime/index.ts';
import { openStore, SCHEMA_VERSION, type Store } from '../services/store/index.ts';
import { untouchedAlert } from './harness/alert-fields.ts';
import { createPostgresDatabase } from './harness/postgres.ts';

/** one process's alert service on its own store (its own pool), as a platform process builds it */
async function alertProcess(store: Store, clock: ManualClock) {
  const events = createPlatformBus({ logger: silentLogger() });
  const registry = await Registry.load(store, { events });
  const consent = await ConsentRegistry.load(store, registry, silentLogger(), clock, events);
  const alerts = new AlertService({
    store,
    consent,
    registry,
    clock,
    logger: silentLogger(),
    metrics: new Metrics(),
    events,
  });
  return { registry, consent, alerts };
}

/** home `h` of team `t`, its citizen having given consent to emergency alerts */
async function homeWithEmergencyConsent(p: Awaited<ReturnType<typeof alertProcess>>) {
  await p.registry.createHome({ id: 'h', label: 'H', teamId: 't' });
  await p.consent.change(
    'h',
    {
      category: 'emergency',
      purpose: 'alerts',
      action: 'grant',
      channel: 'web',
      textVersion: informationText('emergency', 'alerts').version,
    },
    { id: 'c', role: 'citizen', homeId: 'h' },
  );
}

/**
 * Several platform processes share one PostgreSQL: each has its own store (its own pool). What
 * one process changes, another must not overwrite, and no in-process lock can see across them.
 * (SQLite is the one-process store: these races cannot happen there.)
 */
describe('two stores on one PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let a: Store;
  let b: Store;

  beforeEach(async () => {
    ({ url, drop } = await createPostgresDatabase(inject('postgresUrl'), 'race'));
    // both start at once on an empty database: the migrations run once, one process after the other
    [a, b] = await Promise.all([openStore({ databaseUrl: url }), openStore({ databaseUrl: url })]);
    await a.teams.create({ id: 't', name: 'T' });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await drop();
  });

  it('migrate once when they start together', async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM schema_version');
      expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
    } finally {
      await client.end();
    }
  });

  it("racing the same alert's acknowledgement: exactly one wins, the other gets a typed conflict", async () => {
    await a.homes.create({
      id: 'h',
      label: 'H',
      teamId: 't',
      timezone: 'Europe/Copenhagen',
      settings: {},
      test: false,
    });
    for (let round = 0; round < 10; round++) {
      const id = `alert-${round}`;
      const open: Alert = {
        id,
        homeId: 'h',
        rule: 'fall',
        category: 'emergency',
        severity: 'critical',
        audience: 'care',
        state: 'open',
        openedAt: round,
        lastSeenAt: round,
        repeats: 0,
        evidence: { readings: [], summary: 'Fall' },
        ...untouchedAlert,
      };
      await a.alerts.open(open);
      const [seenByA, seenByB] = await Promise.all([a.alerts.get(id), b.alerts.get(id)]);
      const results = await Promise.allSettled([
        a.alerts.update(
          { ...seenByA!, state: 'acknowledged', acknowledgedBy: 'anna', acknowledgedAt: 1 },
          'acknowledged',
        ),
        b.alerts.update(
          { ...seenByB!, state: 'acknowledged', acknowledgedBy: 'bo', acknowledgedAt: 1 },
          'acknowledged',
        ),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(TryghedError);
      expect(lost[0]!.reason).toMatchObject({ code: 'conflict', status: 409 });
      const winner = (won[0] as PromiseFulfilledResult<{ alert: Alert }>).value.alert.acknowledgedBy;
      expect((await b.alerts.get(id))?.acknowledgedBy).toBe(winner);
      const events = (await a.alerts.eventsSince(0)).filter((e) => e.alert.id === id);
      expect(events.map((e) => e.type)).toEqual(['opened', 'acknowledged']);
      await a.alerts.update({ ...(await a.alerts.get(id))!, state: 'resolved', resolvedAt: 2 }, 'resolved');
    }
  });

  it('two alert services, one per process: one acknowledgement wins, the other is told it lost', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    const service = (store: Store) => alertProcess(store, clock);
    const first = await service(a);
    await homeWithEmergencyConsent(first);
    const second = await service(b);
    const alert = await first.alerts.raise({
      homeId: 'h',
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: clock.now(),
      evidence: { readings: [], summary: 'Fall' },
    });
    expect(alert).not.toBeNull();
    const results = await Promise.allSettled([
      first.alerts.acknowledge(alert!.id, { id: 'anna', role: 'staff' }),
      second.alerts.acknowledge(alert!.id, { id: 'bo', role: 'staff' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost?.reason).toMatchObject({ code: 'conflict' });
    expect((await a.alerts.eventsSince(0)).map((e) => e.type)).toEqual(['opened', 'acknowledged']);
  });

  /**
   * The dashboard process and the home's owner (the rules process) write the same alert: the owner
   * records a page or an escalation step, a repeat or a reopen, while staff act elsewhere. Each
   * write is refused if the row moved on since it was read, and is then decided again on the fresh
   * row: staff are never told "changed by someone else" for a page being recorded, and a press
   * after an acknowledgement is never lost to the race.
   */
  describe('a write that lost a race is decided again on the fresh row', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    /** the store with a hook run after one of its reads, before the caller writes */
    const interposed = (store: Store, method: 'get' | 'findActive') => {
      const hook: { meanwhile: (() => Promise<void>) | null; armed: number } = { meanwhile: null, armed: -1 };
      const read = store.alerts[method] as (...args: unknown[]) => Promise<Alert | null>;
      const alerts = {
        ...store.alerts,
        [method]: async (...args: unknown[]) => {
          const row = await read(...args);
          if (hook.meanwhile && hook.armed-- === 0) {
            const meanwhile = hook.meanwhile;
            hook.meanwhile = null;
            await meanwhile();
          }
          return row;
        },
      };
      return { store: { ...store, alerts } as Store, hook };
    };
    const service = (store: Store) => alertProcess(store, clock);
    const fall = (): AlertCandidate => ({
      homeId: 'h',
      rule: 'fall',
      category: 'emergency' as const,
      severity: 'critical' as const,
      audience: 'care' as const,
      at: clock.now(),
      evidence: { readings: [], summary: 'Fall' },
    });
    const setUp = async () => {
      const owner = await service(a);
      await homeWithEmergencyConsent(owner);
      return owner;
    };

    it('staff acknowledge at the dashboard process while the owner records an escalation step: taken on, not refused', async () => {
      const owner = await setUp();
      const { store, hook } = interposed(b, 'get');
      const board = await service(store);
      const alert = (await owner.alerts.raise(fall()))!;
      // after the board's process read the alert for the acknowledgement, the owner escalates it
      hook.armed = 1;
      hook.meanwhile = async () => {
        await owner.alerts.escalate(alert.id, 1);
      };
      const taken = await board.alerts.acknowledge(alert.id, { id: 'anna', role: 'staff' });
      expect(hook.meanwhile).toBeNull();
      expect(taken).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'anna', escalationLevel: 1 });
      expect((await a.alerts.eventsSince(0)).map((e) => e.type)).toEqual([
        'opened',
        'escalated',
        'acknowledged',
      ]);
    });

    it('two staff at two processes: the second is told it was already taken on, by its reason', async () => {
      const owner = await setUp();
      const { store, hook } = interposed(b, 'get');
      const board = await service(store);
      const alert = (await owner.alerts.raise(fall()))!;
      hook.armed = 1;
      hook.meanwhile = async () => {
        await owner.alerts.acknowledge(alert.id, { id: 'anna', role: 'staff' });
      };
      await expect(board.alerts.acknowledge(alert.id, { id: 'bo', role: 'staff' })).rejects.toMatchObject({
        code: 'conflict',
        reason: 'alert_already_handled',
      });
      expect((await a.alerts.get(alert.id))?.acknowledgedBy).toBe('anna');
    });

    it('a fall pressed again while staff acknowledge at another process reopens the alert, never lost', async () => {
      const { store, hook } = interposed(a, 'findActive');
      await setUp();
      const ownerHooked = await service(store);
      const board = await service(b);
      const alert = (await ownerHooked.alerts.raise(fall()))!;
      clock.advance(2000);
      // the owner read the open alert to count the press on it; staff take it on meanwhile
      hook.armed = 0;
      hook.meanwhile = async () => {
        await board.alerts.acknowledge(alert.id, { id: 'anna', role: 'staff' });
      };
      const again = await ownerHooked.alerts.raise(fall());
      expect(hook.meanwhile).toBeNull();
      expect(again).toMatchObject({ id: alert.id, state: 'open', acknowledgedBy: null, escalationLevel: 0 });
      expect((await a.alerts.get(alert.id))?.state).toBe('open');
      expect((await a.alerts.eventsSince(0)).map((e) => e.type)).toEqual([
        'opened',
        'acknowledged',
        'repeated',
      ]);
    });
  });

  it('a board resuming from the last event it saw misses none, while both processes write', async () => {
    await a.homes.create({
      id: 'h',
      label: 'H',
      teamId: 't',
      timezone: 'Europe/Copenhagen',
      settings: {},
      test: false,
    });
    const rules = ['fall', 'smoke', 'co', 'water_leak', 'door_night', 'out_of_bed'] as const;
    const alertFor = (rule: (typeof rules)[number]): Alert => ({
      id: rule,
      homeId: 'h',
      rule,
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      state: 'open',
      openedAt: 1,
      lastSeenAt: 1,
      repeats: 0,
      evidence: { readings: [], summary: rule },
      ...untouchedAlert,
    });
    for (const rule of rules) await a.alerts.open(alertFor(rule));
    let writing = true;
    const seen: number[] = [];
    // the board: asks for what came after the last event it saw, over and over
    const board = (async () => {
      let last = await b.alerts.lastEventSeq();
      seen.push(...Array.from({ length: last }, (_, i) => i + 1));
      while (writing) {
        for (const e of await b.alerts.eventsSince(last)) {
          seen.push(e.seq);
          last = e.seq;
        }
      }
      for (const e of await b.alerts.eventsSince(last)) seen.push(e.seq);
    })();
    // each process counts repeats on every alert, many writes in flight at once
    const writer = (store: Store) =>
      Promise.all(
        rules.map(async (rule) => {
          for (let i = 0; i < 15; i++) {
            const current = (await store.alerts.get(rule))!;
            await store.alerts
              .update({ ...current, repeats: current.repeats + 1 }, 'repeated')
              .catch((e: unknown) => {
                if ((e as TryghedError).code !== 'conflict') throw e;
              });
          }
        }),
      );
    await Promise.all([writer(a), writer(b)]);
    writing = false;
    await board;
    const all = (await a.alerts.eventsSince(0, { limit: 10_000 })).map((e) => e.seq);
    expect(seen).toEqual(all);
  });

  it('count every failed login when both processes count one account at once', async () => {
    const bump = (store: Store) =>
      store.loginLimits.update('anna', (c) => ({
        failures: (c?.failures ?? 0) + 1,
        lockLevel: 0,
        lockedUntil: 0,
        lastFailureAt: 1,
      }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? a : b)));
    expect((await a.loginLimits.get('anna'))?.failures).toBe(20);
  });

  it('open one alert per home and rule when both raise it at once', async () => {
    await a.homes.create({
      id: 'h',
      label: 'H',
      teamId: 't',
      timezone: 'Europe/Copenhagen',
      settings: {},
      test: false,
    });
    const alert = (id: string): Alert => ({
      id,
      homeId: 'h',
      rule: 'smoke',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      state: 'open',
      openedAt: 1,
      lastSeenAt: 1,
      repeats: 0,
      evidence: { readings: [], summary: 'Smoke' },
      ...untouchedAlert,
    });
    const results = await Promise.allSettled([a.alerts.open(alert('x')), b.alerts.open(alert('y'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
    expect(await a.alerts.list()).toHaveLength(1);
  });
});
