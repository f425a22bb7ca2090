import { describe, expect, it } from 'vitest';
import { CONSENT_CATEGORIES } from '../services/domain/index.ts';
import { parseHomeRuleSettings } from '../services/rules/index.ts';
import { deviceId, HOME_KIT, SCENARIO_NAMES, scenario } from '../simulators/index.ts';
import { MIN, rulesFixture, SEC } from './harness/rules.ts';

/**
 * Each simulator scenario, played into the rule engine on a manual clock (ticking once a second,
 * as the platform does by default), raises exactly the rules it promises the technician, each
 * once, in a home of the simulator's kit with full consent; the routine day raises none.
 */
describe('simulator scenarios make the rule engine fire what they promise', () => {
  for (const name of SCENARIO_NAMES) {
    it(`${name}`, async () => {
      const chosen = scenario(name, 3);
      // a Monday 10:00 local; the routine day begins at 07:00
      const start = name === 'routine' ? Date.UTC(2026, 0, 5, 6, 0) : Date.UTC(2026, 0, 5, 9, 0);
      const f = await rulesFixture(start);
      try {
        if (chosen.settings) expect(parseHomeRuleSettings(chosen.settings)).toMatchObject({ ok: true });
        await f.registry.createHome({
          id: 'sim',
          label: 'sim',
          teamId: 't',
          ...(chosen.settings ? { settings: chosen.settings } : {}),
        });
        for (const kit of HOME_KIT) await f.device(deviceId('sim', kit.suffix), 'sim', kit.kinds);
        for (const category of CONSENT_CATEGORIES) await f.setConsent('sim', category, 'alerts');
        f.start();
        for (const step of chosen.steps) {
          f.tickUntil(start + step.at, SEC);
          f.send(deviceId('sim', step.device), step.kind, step.value);
        }
        f.tickUntil(f.clock.now() + 6 * MIN, SEC);
        const fired = [...f.got, ...f.technical].map((c) => c.rule).sort();
        expect(fired).toEqual([...chosen.expects].sort());
        if (name === 'device_offline')
          expect(f.technical[0]?.evidence.thresholds?.deviceId).toBe(deviceId('sim', 'leak'));
      } finally {
        await f.close();
      }
    });
  }
});
