import { describe, expect, it } from 'vitest';
import { AlertService } from '../services/alerts/index.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import {
  type ConsentCategory,
  categoryOf,
  informationText,
  type Reading,
  type SensorKind,
} from '../services/domain/index.ts';
import { EscalationService } from '../services/escalation/index.ts';
import { createPlatformBus } from '../services/events/index.ts';
import { PlatformHealth } from '../services/health/index.ts';
import { type RetryPolicy, WebhookNotifier } from '../services/notify/index.ts';
import { ShardLeases, shardOf } from '../services/ownership/index.ts';
import { Registry } from '../services/registry/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import { ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { openStore, type Store, type StoreLocation } from '../services/store/index.ts';
import { cleanupAfterEach, eventually, tempDir } from './harness/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { storeLocation } from './harness/store.ts';

const TTL = 6000;
const CYCLE = 1000;
const MIN = 60_000;
/** 00:30 in Copenhagen (UTC+1 in January): inside the default night window 23:00-06:00 */
const NIGHT = Date.UTC(2026, 0, 5, 23, 30);
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 2000 };

/**
 * Issue 9 point 4: exactly one owner for each home's rules and escalation, by shard lease in the
 * shared store (real PostgreSQL). Each "process" here is its own store connection pool, registry,
 * rules, escalation and leases, with its own manual clock: a process dies when its clock stops (no
 * timer of it runs again) and nothing reaches its bus any more.
 */
describe('shard leases on PostgreSQL', () => {
  const cleanup = cleanupAfterEach();

  const database = async () => {
    const dir = tempDir();
    const { location, drop } = await storeLocation('postgres', dir.path, 'lease');
    cleanup.push(() => dir.remove(), drop);
    return location;
  };

  const leasesOn = async (location: StoreLocation, t0: number, name: string) => {
    const store = await openStore(location);
    cleanup.push(() => store.close());
    const clock = new ManualClock(t0);
    const leases = new ShardLeases({
      store,
      clock,
      logger: silentLogger(),
      metrics: new Metrics(),
      ttlMs: TTL,
      cycleMs: CYCLE,
      owner: name,
    });
    return { store, clock, leases };
  };

  /** every shard has one holder, by the processes' own view and by the store's rows */
  const expectOneOwnerEach = async (store: Store, ...all: ShardLeases[]) => {
    const seen = new Map<number, string>();
    for (const l of all)
      for (const shard of l.held()) {
        expect(seen.get(shard), `shard ${shard} held twice`).toBeUndefined();
        seen.set(shard, l.owner);
      }
    const { shards } = await store.ruleLeases.view();
    for (const row of shards) if (seen.has(row.shard)) expect(row.owner).toBe(seen.get(row.shard));
  };

  it('a process alone takes every shard; one that joins gets its fair share, and no shard ever has two holders', async () => {
    const location = await database();
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const a = await leasesOn(location, t0, 'a');
    const b = await leasesOn(location, t0, 'b');
    await a.leases.cycle();
    expect(a.leases.held()).toHaveLength(64);
    expect(a.leases.owns('home-1')).toBe(true);
    for (let i = 0; i < 4; i++) {
      a.clock.advance(CYCLE);
      b.clock.advance(CYCLE);
      await b.leases.cycle();
      await expectOneOwnerEach(a.store, a.leases, b.leases);
      await a.leases.cycle();
      await expectOneOwnerEach(a.store, a.leases, b.leases);
    }
    expect(a.leases.held()).toHaveLength(32);
    expect(b.leases.held()).toHaveLength(32);
    // a home is owned by exactly one of them
    for (const home of ['home-1', 'home-2', 'h-door', 'x']) {
      expect(Number(a.leases.owns(home)) + Number(b.leases.owns(home))).toBe(1);
    }
    await b.leases.stop();
    await a.leases.cycle();
    expect(a.leases.held(), 'a stopped process hands its shards over at once').toHaveLength(64);
    await a.leases.stop();
  });

  it('when the owner stops beating, the other takes over after the time to live on its own clock, never before', async () => {
    const location = await database();
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const a = await leasesOn(location, t0, 'a');
    // b's clock is far off a's: only durations on each one's own clock count
    const b = await leasesOn(location, t0 + 3_600_000, 'b');
    await a.leases.cycle();
    await b.leases.cycle();
    expect(b.leases.held()).toHaveLength(0);
    // a dies: its clock stops, it never beats again
    let waited = 0;
    while (b.leases.held().length < 64) {
      b.clock.advance(CYCLE);
      waited += CYCLE;
      await b.leases.cycle();
      if (waited < TTL) expect(b.leases.held(), `taken over after only ${waited} ms`).toHaveLength(0);
      expect(waited).toBeLessThanOrEqual(TTL + 2 * CYCLE);
    }
    expect(b.leases.owns('home-1')).toBe(true);
    const { members, shards } = await b.store.ruleLeases.view();
    expect(members.map((m) => m.owner)).toEqual(['b']);
    expect(shards.every((s) => s.owner === 'b' && s.epoch === 2)).toBe(true);
    await b.leases.stop();
  });

  it('a paused owner stops acting as soon as its lease runs out, and on waking gives up what was taken', async () => {
    const location = await database();
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const a = await leasesOn(location, t0, 'a');
    const b = await leasesOn(location, t0, 'b');
    await a.leases.cycle();
    await b.leases.cycle();
    expect(a.leases.owns('home-1')).toBe(true);
    // a is paused (SIGSTOP, a long GC): its time passes, it runs nothing
    a.clock.advance(TTL - TTL / 4);
    expect(a.leases.owns('home-1'), 'a paused owner may not act past its lease').toBe(false);
    for (let i = 0; i < 8; i++) {
      b.clock.advance(CYCLE);
      await b.leases.cycle();
    }
    expect(b.leases.held()).toHaveLength(64);
    // a wakes: its beat fails (it was taken for dead), it lets go without writing, joins anew
    const lost: Array<{ shards: number; evicted: boolean }> = [];
    a.leases.watch({
      gained: () => {},
      lost: (c) => void lost.push({ shards: c.shards.length, evicted: c.evicted }),
    });
    a.clock.advance(CYCLE);
    await a.leases.cycle();
    expect(lost).toEqual([{ shards: 64, evicted: true }]);
    expect(a.leases.held()).toHaveLength(0);
    expect(a.leases.owner).not.toBe('a');
    for (let i = 0; i < 4; i++) {
      a.clock.advance(CYCLE);
      b.clock.advance(CYCLE);
      await a.leases.cycle();
      await b.leases.cycle();
      await expectOneOwnerEach(a.store, a.leases, b.leases);
    }
    expect(a.leases.held()).toHaveLength(32);
    await a.leases.stop();
    await b.leases.stop();
  });

  it('rule state is written only under the epoch held: a process that lost a shard cannot overwrite the new owner', async () => {
    const location = await database();
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const a = await leasesOn(location, t0, 'a');
    const b = await leasesOn(location, t0, 'b');
    await a.leases.cycle();
    const home = 'home-1';
    const shard = shardOf(home);
    const staleEpochs = new Map(a.leases.epochs());
    // b takes over a (dead)
    for (let i = 0; i < 9; i++) {
      b.clock.advance(CYCLE);
      await b.leases.cycle();
    }
    const row = (state: string) => ({ rule: 'co', key: 'd1', homeId: home, state, updatedAt: t0, shard });
    expect(
      await b.store.ruleState.save([row('{"new":1}')], [], { owner: 'b', epochs: b.leases.epochs() }),
    ).toBe(0);
    // a wakes and saves what it had: refused for that shard
    expect(await a.store.ruleState.save([row('{"old":1}')], [], { owner: 'a', epochs: staleEpochs })).toBe(1);
    expect(
      await a.store.ruleState.save([], [{ rule: 'co', key: 'd1', shard }], {
        owner: 'a',
        epochs: staleEpochs,
      }),
    ).toBe(1);
    expect((await b.store.ruleState.ofHomes([home])).map((r) => r.state)).toEqual(['{"new":1}']);
    await b.leases.stop();
  });

  it("escalation deadlines are written only under the epoch held: a stale epoch's write is refused", async () => {
    const location = await database();
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const a = await leasesOn(location, t0, 'a');
    const b = await leasesOn(location, t0, 'b');
    await a.leases.cycle();
    const shard = shardOf('home-1');
    const stale = { owner: 'a', shard, epoch: a.leases.epochs().get(shard)! };
    const deadline = (dueAt: number) => ({ alertId: 'al-1', dueAt, level: 1, reminders: 0, updatedAt: t0 });
    expect(await a.store.escalationDeadlines.put(deadline(1000), stale)).toBe(true);
    // b takes over a (dead)
    for (let i = 0; i < 9; i++) {
      b.clock.advance(CYCLE);
      await b.leases.cycle();
    }
    const held = { owner: 'b', shard, epoch: b.leases.epochs().get(shard)! };
    expect(held.epoch).toBeGreaterThan(stale.epoch);
    expect(await b.store.escalationDeadlines.put(deadline(2000), held)).toBe(true);
    // a wakes and moves the deadline it had: refused, the new owner's stays
    expect(await a.store.escalationDeadlines.put(deadline(9999), stale)).toBe(false);
    // a shard not held at all (epoch -1) is refused too
    expect(await a.store.escalationDeadlines.put(deadline(9999), { ...stale, epoch: -1 })).toBe(false);
    expect((await b.store.escalationDeadlines.all()).map((d) => d.dueAt)).toEqual([2000]);
    await b.leases.stop();
  });
});

/** One platform process's rules and escalation on the shared store, with its own clock and bus. */
async function processOn(
  location: StoreLocation,
  t0: number,
  name: string,
  receivers: { team: Receiver; fallback: Receiver },
  /** teams with staff on the dashboard: by default the homes' team, so only deadlines escalate */
  watching: Set<string> = new Set(['t']),
) {
  const clock = new ManualClock(t0);
  const store = await openStore(location, { clock });
  const metrics = new Metrics();
  const logger = silentLogger();
  const events = createPlatformBus({ logger, metrics });
  const registry = await Registry.load(store, { events });
  const consent = await ConsentRegistry.load(store, registry, logger, clock, events);
  const alerts = new AlertService({ store, consent, registry, clock, logger, metrics, events });
  const leases = new ShardLeases({ store, clock, logger, metrics, ttlMs: TTL, cycleMs: CYCLE, owner: name });
  const rules = new RuleEngine({
    registry,
    consent,
    clock,
    logger,
    metrics,
    events,
    store,
    ownership: leases,
    onCandidate: (c) => void alerts.raise(c),
  });
  const health = new PlatformHealth(logger, metrics, events);
  const outbox = testOutbox(
    { store, clock, metrics },
    { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    { owner: name },
  );
  const escalation = new EscalationService({
    outbox,
    alerts,
    registry,
    clock,
    logger,
    metrics,
    events,
    store,
    ownership: leases,
    deadlines: { critical: 10_000, high: 180_000, medium: null, low: null },
    renotifyMinMs: 60_000,
    notifiers: {
      team: () => [new WebhookNotifier({ target: 'team:t', url: receivers.team.url, retry, logger })],
      fallback: [new WebhookNotifier({ target: 'fallback', url: receivers.fallback.url, retry, logger })],
      technician: [],
    },
    watchingTeams: () => watching,
    health,
    link: (id) => `https://tryghed.example/?alert=${id}`,
  });
  rules.start(1000);
  rules.follow();
  await leases.start();
  await escalation.start(1000);
  await outbox.start();
  let alive = true;
  return {
    name,
    clock,
    store,
    alerts,
    events,
    leases,
    rules,
    escalation,
    metrics,
    get alive() {
      return alive;
    },
    /** kill -9: nothing of it runs again (its clock never moves), nothing is written on the way out */
    kill() {
      alive = false;
    },
    async close() {
      if (alive) {
        await escalation.stop();
        await outbox.stop();
        await leases.stop();
        rules.stop();
      }
      await store.close();
    },
  };
}

type Proc = Awaited<ReturnType<typeof processOn>>;

describe('rules and escalation follow the lease (PostgreSQL, two processes)', () => {
  const cleanup = cleanupAfterEach();

  it('the owner dies: the other takes its homes over within 10 s, with their state, an overdue escalation fires at once, and nothing fires twice', async () => {
    const dir = tempDir();
    const { location, drop } = await storeLocation('postgres', dir.path, 'takeover');
    cleanup.push(() => dir.remove(), drop);
    const [team, fallback] = await Promise.all([startReceiver(), startReceiver()]);
    cleanup.push(
      () => team.close(),
      () => fallback.close(),
    );
    // a process alone takes every shard; when the second joins, the first lets the upper half go
    // (shards 32-63): homes in shards below 32 are the first's
    const homeIn = (low: boolean, prefix: string) => {
      for (let i = 0; ; i++) if (shardOf(`${prefix}-${i}`) < 32 === low) return `${prefix}-${i}`;
    };
    const hDoor = homeIn(true, 'door');
    const hFall = homeIn(true, 'fall');
    const hLate = homeIn(true, 'late');
    const hOther = homeIn(false, 'other');
    const kinds: Record<string, { kind: SensorKind; category: ConsentCategory }> = {
      [hDoor]: { kind: 'door', category: 'door' },
      [hFall]: { kind: 'fall', category: 'emergency' },
      [hLate]: { kind: 'fall', category: 'emergency' },
      [hOther]: { kind: 'fall', category: 'emergency' },
    };
    {
      const setup = await openStore(location);
      const registry = await Registry.load(setup, {
        events: createPlatformBus({ logger: silentLogger(), metrics: new Metrics() }),
      });
      const clock = new ManualClock(NIGHT);
      const consent = await ConsentRegistry.load(setup, registry, silentLogger(), clock);
      await setup.teams.create({ id: 't', name: 'T' });
      for (const [homeId, { kind, category }] of Object.entries(kinds)) {
        await registry.createHome({ id: homeId, label: homeId, teamId: 't', timezone: 'Europe/Copenhagen' });
        await registry.provisionDevice({ id: `${homeId}-dev`, homeId, kinds: [kind] });
        await consent.change(
          homeId,
          {
            category,
            purpose: 'alerts',
            action: 'grant',
            channel: 'web',
            textVersion: informationText(category, 'alerts').version,
          },
          { id: 'c', role: 'citizen', homeId },
        );
      }
      await setup.close();
    }
    const procs: Proc[] = [];
    const a = await processOn(location, NIGHT, 'a', { team, fallback });
    procs.push(a);
    cleanup.push(() => a.close());
    const b = await processOn(location, NIGHT, 'b', { team, fallback });
    procs.push(b);
    cleanup.push(() => b.close());
    let seq = 0;
    /** the bridge relays every accepted reading to every process's bus */
    const send = (homeId: string, value: number) => {
      const { kind } = kinds[homeId]!;
      const now = (procs.find((p) => p.alive) ?? b).clock.now();
      const reading: Reading = {
        homeId,
        deviceId: `${homeId}-dev`,
        kind,
        category: categoryOf(kind),
        value,
        ts: now,
        seq: ++seq,
        receivedAt: now,
      };
      for (const p of procs) if (p.alive) p.events.emit('reading/accepted', reading);
    };
    /** time passes for every live process, their timers running; then their work settles */
    const pass = async (ms: number) => {
      for (const p of procs) if (p.alive) await p.clock.advanceAsync(ms);
      for (const p of procs) if (p.alive) await p.leases.idle();
      for (const p of procs) if (p.alive) await p.escalation.idle();
      for (const p of procs) if (p.alive) await p.rules.saveState();
    };
    const second = () => pass(1000);
    for (let i = 0; i < 4; i++) await second();
    expect(a.leases.held()).toHaveLength(32);
    expect(b.leases.held()).toHaveLength(32);
    expect(a.leases.owns(hDoor) && a.leases.owns(hFall) && b.leases.owns(hOther)).toBe(true);

    // the door opens at night in a's home; a fall in a's home and in b's
    send(hDoor, 1);
    const doorOpenedAt = a.clock.now();
    send(hFall, 1);
    send(hOther, 1);
    await second();
    await second();
    const open = async () => (await b.alerts.list({ states: ['open'] })).map((x) => x.homeId).sort();
    expect(await open()).toEqual([hFall, hOther].sort());
    const fallAlert = (await b.alerts.list({ states: ['open'] })).find((x) => x.homeId === hFall)!;

    // kill -9 a, 6 s after the fall: its critical deadline (10 s) passes during the takeover
    for (let i = 0; i < 4; i++) await second();
    a.kill();
    const killedAt = b.clock.now();
    await second();
    await second();
    // a fall pressed after the kill, before anyone took a's homes over
    send(hLate, 1);
    let waited = 2000;
    while (!b.leases.owns(hDoor)) {
      await second();
      waited += 1000;
      expect(waited, 'taken over within 10 s').toBeLessThanOrEqual(10_000);
    }
    await b.escalation.idle();
    // state loaded: the fall pressed after the kill is raised by the new owner, once
    expect(await open()).toEqual([hFall, hLate, hOther].sort());
    // the deadline that passed during the takeover fired at once: the team was told once, by b
    const fallNotices = () => team.received.filter((r) => r.body.alertId === fallAlert.id);
    expect(b.clock.now() - killedAt).toBeLessThanOrEqual(10_000);
    expect(fallNotices().map((r) => r.body.level)).toEqual([1]);
    expect((await b.alerts.get(fallAlert.id))?.escalationLevel).toBe(1);

    // the door still open keeps its timer from before the kill: the alert comes at the original
    // deadline (10 min after it opened), not 10 min after the takeover, and once
    while (b.clock.now() < doorOpenedAt + 10 * MIN - 3000) {
      await pass(3000);
      expect(await open()).not.toContain(hDoor);
    }
    await pass(3000);
    await pass(3000);
    // the rule fired in that clock time; its alert row is written asynchronously (PostgreSQL),
    // which a loaded machine may not have finished when the clock's work settles
    await eventually(async () => (await open()).includes(hDoor), { what: 'the door alert written' });
    const doorAlerts = (await b.alerts.list({ homeIds: [hDoor] })).filter((x) => x.rule === 'door_night');
    expect(doorAlerts).toHaveLength(1);
    expect(doorAlerts[0]!.openedAt).toBeLessThanOrEqual(doorOpenedAt + 10 * MIN + 1000);
    // never twice: one notice per alert, level and reminder
    const keys = [...team.received, ...fallback.received].map(
      (r) => `${r.body.alertId}/${r.body.level}/${r.body.reminder}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  }, 60_000);

  it("a process that lost the home's lease (paused, not yet aware) moves no escalation level or deadline and pages nobody", async () => {
    const dir = tempDir();
    const { location, drop } = await storeLocation('postgres', dir.path, 'fence');
    cleanup.push(() => dir.remove(), drop);
    const [team, fallback] = await Promise.all([startReceiver(), startReceiver()]);
    cleanup.push(
      () => team.close(),
      () => fallback.close(),
    );
    const home = 'fence-1';
    {
      const setup = await openStore(location);
      const registry = await Registry.load(setup, {
        events: createPlatformBus({ logger: silentLogger(), metrics: new Metrics() }),
      });
      const consent = await ConsentRegistry.load(setup, registry, silentLogger(), new ManualClock(NIGHT));
      await setup.teams.create({ id: 't', name: 'T' });
      await registry.createHome({ id: home, label: home, teamId: 't' });
      await consent.change(
        home,
        {
          category: 'emergency',
          purpose: 'alerts',
          action: 'grant',
          channel: 'web',
          textVersion: informationText('emergency', 'alerts').version,
        },
        { id: 'c', role: 'citizen', homeId: home },
      );
      await setup.close();
    }
    // nobody watching: a critical alert of a's goes to the fallback at once, if a may
    const a = await processOn(location, NIGHT, 'a', { team, fallback }, new Set());
    cleanup.push(() => a.close());
    expect(a.leases.owns(home)).toBe(true);
    // a is paused (its clock stands still); b judges it dead on b's own clock and takes every shard
    const b = await openStore(location);
    cleanup.push(() => b.close());
    const bClock = new ManualClock(NIGHT);
    const bLeases = new ShardLeases({
      store: b,
      clock: bClock,
      logger: silentLogger(),
      metrics: new Metrics(),
      ttlMs: TTL,
      cycleMs: CYCLE,
      owner: 'b',
    });
    for (let i = 0; i < 9; i++) {
      bClock.advance(CYCLE);
      await bLeases.cycle();
    }
    cleanup.push(() => bLeases.stop());
    expect(bLeases.held()).toContain(shardOf(home));
    // a has not looked at its lease since: it still believes the home is its own
    expect(a.leases.owns(home)).toBe(true);

    const alert = (await a.alerts.raise({
      homeId: home,
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: NIGHT,
      evidence: { readings: [], summary: 'fall' },
    }))!;
    await a.escalation.idle();
    // the store refused a's writes: no level, no deadline, nobody paged, the alert let go
    expect((await a.alerts.get(alert.id))?.escalationLevel).toBe(0);
    expect(await a.store.escalationDeadlines.all()).toEqual([]);
    expect(fallback.received).toEqual([]);
    expect(a.escalation.armedAlerts()).toEqual([]);
    expect(await a.metrics.value('tryghed_escalation_fenced_total', { write: 'level' })).toBe(1);
  });
});
