import { createServer } from 'node:http';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceConnections } from '../broker/connections.ts';
import type { DashboardContext } from '../dashboard/server/context.ts';
import { LiveChannel } from '../dashboard/server/live.ts';
import { LoginLimiter } from '../dashboard/server/login-limit.ts';
import { SessionStore } from '../dashboard/server/sessions.ts';
import { AuditLog } from '../services/audit/index.ts';
import { ErasureLog } from '../services/erasure/index.ts';
import { EscalationService } from '../services/escalation/index.ts';
import { PlatformHealth } from '../services/health/index.ts';
import { People } from '../services/people/index.ts';
import { ResponderCards } from '../services/responder-cards/index.ts';
import { RuleEngine } from '../services/rules/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { tempDir, uniqueDatabase } from './harness/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { startTestPlatform } from './harness/platform.ts';
import { servicesFixture } from './harness/services.ts';

/**
 * Constructors assign; `start()` subscribes and starts work; `stop()` undoes it, in reverse order
 * (docs/architecture.md, "Lifecycle"). Counted on the bus: what a part listens to is what it started.
 */
describe('a part subscribes nothing until it starts, and nothing after it stops', () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  beforeEach(async () => {
    f = await servicesFixture();
  });
  afterEach(() => f.close());

  it('the rule engine', async () => {
    // a sensor that exists before the start: watched from the start, not from construction
    await f.home('h', ['motion']);
    const got: string[] = [];
    const engine = new RuleEngine({
      registry: f.registry,
      consent: f.consent,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
      onCandidate: (c) => got.push(c.rule),
    });
    expect(f.events.listenerCount()).toBe(0);
    // built but not started: a silent device is not its business yet
    f.clock.advance(24 * 3_600_000);
    engine.tick();
    expect(got).toEqual([]);
    engine.start();
    expect(f.events.listenerCount('reading/accepted')).toBe(1);
    expect(f.events.listenerCount('device/heard')).toBe(1);
    expect(f.events.listenerCount('device/changed')).toBe(1);
    expect(f.events.listenerCount('device/access-ended')).toBe(1);
    engine.stop();
    expect(f.events.listenerCount()).toBe(0);
  });

  it('the live channel (bus and the server upgrade handler)', async () => {
    const sessions = new SessionStore(f.store.sessions, f.clock, 60_000, 3_600_000, silentLogger(), f.events);
    const health = new PlatformHealth(silentLogger(), f.metrics, f.events);
    const ctx: DashboardContext = {
      people: new People(f.store),
      auditLog: new AuditLog(f.store),
      erasures: new ErasureLog(f.store),
      responderCards: new ResponderCards(f.store),
      loginLimiter: new LoginLimiter(f.store.loginLimits, f.clock, silentLogger()),
      registry: f.registry,
      consent: f.consent,
      alerts: f.alerts,
      events: f.events,
      metrics: f.metrics,
      logger: silentLogger(),
      clock: f.clock,
      sessions,
      identity: [],
      secureCookies: false,
      health,
    };
    const server = createServer();
    const live = new LiveChannel(ctx, server, () => []);
    expect(f.events.listenerCount()).toBe(0);
    expect(server.listenerCount('upgrade')).toBe(0);
    live.start();
    for (const name of [
      'alert/changed',
      'health/changed',
      'consent/changed',
      'test-mode/changed',
      'session/ended',
    ] as const)
      expect(f.events.listenerCount(name), name).toBe(1);
    expect(server.listenerCount('upgrade')).toBe(1);
    live.stop();
    expect(f.events.listenerCount()).toBe(0);
    expect(server.listenerCount('upgrade')).toBe(0);
  });

  it("the broker's device connections", () => {
    const connections = new DeviceConnections({
      registry: f.registry,
      serviceAccounts: [],
      logger: silentLogger(),
      metrics: f.metrics,
      clock: f.clock,
      events: f.events,
    });
    expect(f.events.listenerCount()).toBe(0);
    connections.start();
    expect(f.events.listenerCount('device/access-ended')).toBe(1);
    connections.close();
    expect(f.events.listenerCount()).toBe(0);
  });

  it('escalation', async () => {
    const escalation = new EscalationService({
      outbox: testOutbox(f, { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 }),
      alerts: f.alerts,
      registry: f.registry,
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
      events: f.events,
      deadlines: { critical: 60_000, high: null, medium: null, low: null },
      renotifyMinMs: 60_000,
      notifiers: { fallback: [], team: () => [], technician: [] },
      watchingTeams: () => new Set(),
      health: new PlatformHealth(silentLogger(), f.metrics, f.events),
      link: (id) => id,
    });
    expect(f.events.listenerCount()).toBe(0);
    await escalation.start();
    expect(f.events.listenerCount('alert/changed')).toBe(1);
    expect(f.events.listenerCount('health/changed')).toBe(1);
    await escalation.stop();
    expect(f.events.listenerCount()).toBe(0);
  });
});

describe('the platform', () => {
  it('starts its parts inside-out and stops them in exactly the reverse order, leaving no listener', async () => {
    const dir = tempDir();
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('life'), logger });
    let closed = false;
    try {
      const started = lines.filter((l) => l.msg === 'part started').map((l) => l.started as string);
      // the store first, the dashboard and what needs it (escalation) last: nothing hears a device
      // or a person before the parts behind it run
      const startsBefore = (a: string, b: string) =>
        expect(started.indexOf(a), `${a} before ${b}`).toBeLessThan(started.indexOf(b));
      for (const part of [
        'store',
        'readings',
        'alerts',
        'rules',
        'ingest',
        'broker',
        'dashboard',
        'escalation',
      ])
        expect(started).toContain(part);
      startsBefore('store', 'alerts');
      startsBefore('alerts', 'rules');
      startsBefore('rules', 'ingest');
      startsBefore('ingest', 'broker');
      startsBefore('broker', 'dashboard');
      startsBefore('dashboard', 'escalation');
      expect(platform.events.listenerCount()).toBeGreaterThan(0);

      await platform.close();
      closed = true;
      const stopped = lines.filter((l) => l.msg === 'part stopped').map((l) => l.stopped as string);
      expect(stopped).toEqual([...started].reverse());
      expect(lines.filter((l) => l.msg === 'error while stopping')).toEqual([]);
      // every subscription was undone by the stop of the part that made it
      expect(platform.events.listenerCount()).toBe(0);
    } finally {
      if (!closed) await platform.close();
      dir.remove();
    }
  });
});
