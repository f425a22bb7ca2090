import type { AlertCandidate, Reading, SensorKind } from '../../services/domain/index.ts';
import { categoryOf } from '../../services/domain/index.ts';
import { RuleEngine } from '../../services/rules/index.ts';
import { silentLogger } from '../../services/runtime/index.ts';
import { servicesFixture } from './services.ts';

export const SEC = 1000;
export const MIN = 60_000;

/**
 * The services fixture plus a rule engine on its manual clock, the candidates it raised, and
 * readings from any device (received now). Call `start()` after provisioning: like the platform,
 * the engine begins watching what exists when it is built.
 */
export async function rulesFixture(start = Date.UTC(2026, 0, 5, 8, 0)) {
  const f = await servicesFixture(start);
  /** candidates for care staff */
  const got: AlertCandidate[] = [];
  /** candidates for technicians (device_offline, low_battery) */
  const technical: AlertCandidate[] = [];
  let engine: RuleEngine | null = null;
  let seq = 0;
  const fx = {
    ...f,
    got,
    technical,
    get engine(): RuleEngine {
      if (!engine) throw new Error('call start() first');
      return engine;
    },
    /** with `tickIntervalMs` the engine also ticks on the clock's timer; else the tests tick by hand */
    start(options: { offlinePerTick?: number; tickIntervalMs?: number } = {}): RuleEngine {
      const { tickIntervalMs, ...engineOptions } = options;
      engine = new RuleEngine({
        ...engineOptions,
        registry: f.registry,
        consent: f.consent,
        clock: f.clock,
        logger: silentLogger(),
        metrics: f.metrics,
        events: f.events,
        onCandidate: (c) => (c.audience === 'care' ? got : technical).push(c),
      });
      // watches what exists now and listens on the bus
      engine.start(tickIntervalMs);
      return engine;
    },
    /** another device in an existing home */
    async device(id: string, homeId: string, kinds: SensorKind[], extra: { reportIntervalS?: number } = {}) {
      return (await f.registry.provisionDevice({ id, homeId, kinds, ...extra })).device;
    },
    /** a reading from `deviceId` (of the home its id starts with unless given), received now */
    reading(deviceId: string, kind: SensorKind, value: number, homeId?: string): Reading {
      const now = f.clock.now();
      const device = f.registry.device(deviceId);
      return {
        homeId: homeId ?? device?.homeId ?? deviceId.split('-')[0]!,
        deviceId,
        kind,
        category: categoryOf(kind),
        value,
        ts: now,
        seq: ++seq,
        receivedAt: now,
      };
    },
    send(deviceId: string, kind: SensorKind, value: number): Reading {
      const r = fx.reading(deviceId, kind, value);
      fx.engine.onReading(r);
      return r;
    },
    /** moves the clock to `t` and ticks */
    tickAt(t: number): void {
      f.clock.set(t);
      fx.engine.tick();
    },
    /** ticks every `stepMs` up to and including `until` */
    tickUntil(until: number, stepMs = SEC): void {
      for (let t = f.clock.now() + stepMs; t <= until; t += stepMs) fx.tickAt(t);
      if (f.clock.now() < until) fx.tickAt(until);
    },
    /** the candidates of one rule */
    of(rule: AlertCandidate['rule']): AlertCandidate[] {
      return [...got, ...technical].filter((c) => c.rule === rule);
    },
    async close() {
      engine?.stop();
      await f.close();
    },
  };
  return fx;
}
export type RulesFixture = Awaited<ReturnType<typeof rulesFixture>>;
