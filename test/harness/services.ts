import { AlertService } from '../../services/alerts/index.ts';
import { ConsentRegistry } from '../../services/consent/index.ts';
import type { ConsentCategory, Purpose, Reading, SensorKind } from '../../services/domain/index.ts';
import { categoryOf, informationText } from '../../services/domain/index.ts';
import { createPlatformBus } from '../../services/events/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { ManualClock, Metrics, silentLogger } from '../../services/runtime/index.ts';
import { openStore } from '../../services/store/index.ts';
import { tempDir } from './index.ts';
import { storeLocation, type TestEngine } from './store.ts';

/**
 * Store, registry, consent and alerts on a temp SQLite file (or a fresh PostgreSQL database), with
 * a manual clock and one event bus. `location` opens the same store again.
 */
export async function servicesFixture(
  start = Date.UTC(2026, 0, 5, 9, 0),
  options: { engine?: TestEngine } = {},
) {
  const dir = tempDir();
  const path = `${dir.path}/s.sqlite`;
  const { location, drop } = await storeLocation(options.engine ?? 'sqlite', dir.path, 's');
  const store = await openStore(location);
  await store.teams.create({ id: 't', name: 'T' });
  const metrics = new Metrics();
  const events = createPlatformBus({ logger: silentLogger(), metrics });
  const registry = await Registry.load(store, { events });
  const clock = new ManualClock(start);
  const consent = await ConsentRegistry.load(store, registry, silentLogger(), clock, events);
  const alerts = new AlertService({
    store,
    consent,
    registry,
    clock,
    logger: silentLogger(),
    metrics,
    events,
  });
  let seq = 0;
  return {
    dir,
    path,
    location,
    store,
    registry,
    clock,
    consent,
    metrics,
    events,
    alerts,
    async home(
      id: string,
      kinds: SensorKind[],
      settings: Record<string, unknown> = {},
      timezone = 'Europe/Copenhagen',
    ) {
      await registry.createHome({ id, label: id, teamId: 't', settings, timezone });
      await registry.provisionDevice({ id: `${id}-dev`, homeId: id, kinds });
    },
    setConsent(
      homeId: string,
      category: ConsentCategory,
      purpose: Purpose,
      action: 'grant' | 'withdraw' = 'grant',
    ) {
      return consent.change(
        homeId,
        {
          category,
          purpose,
          action,
          channel: 'web',
          textVersion: informationText(category, purpose).version,
        },
        { id: 'c', role: 'citizen', homeId },
      );
    },
    reading(homeId: string, kind: SensorKind, value: number): Reading {
      const now = clock.now();
      return {
        homeId,
        deviceId: `${homeId}-dev`,
        kind,
        category: categoryOf(kind),
        value,
        ts: now,
        seq: ++seq,
        receivedAt: now,
      };
    },
    async close() {
      await store.close();
      await drop();
      dir.remove();
    },
  };
}
