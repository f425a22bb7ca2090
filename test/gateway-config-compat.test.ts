import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConsentFilter } from '../gateway/consent-filter.ts';
import { CONSENT_CATEGORIES, emptyScope, homeConfig } from '../services/domain/index.ts';
import { Metrics, silentLogger } from '../services/runtime/index.ts';

/**
 * The home config message as a gateway of an older release reads it: the schema of gateway/
 * consent-filter.ts at df8b6b3 (before 7a412c0), copied here because such gateways are in homes and
 * cannot be changed. Each grant was a strict object: a purpose it does not know refuses the whole
 * message, and the gateway keeps its last scope, a withdrawal with it.
 */
const OldGrant = z.strictObject({ alerts: z.boolean(), history: z.boolean() });
const OldHomeConfigMessage = z.object({
  consent: z.strictObject(Object.fromEntries(CONSENT_CATEGORIES.map((c) => [c, OldGrant]))),
  at: z.number().int().nonnegative().optional(),
});

const memory = () => {
  const values = new Map<string, string>();
  return {
    getValue: (k: string) => values.get(k),
    setValue: (k: string, v: string) => void values.set(k, v),
  };
};

describe('the home config the platform publishes, for every gateway release', () => {
  it('is accepted by a gateway of an older release (strict grants), a withdrawal included', () => {
    const scope = emptyScope();
    scope.emergency.alerts = true;
    scope.activity.history = true;
    scope.activity.night_round = true;
    scope.sleep.night_round = true;
    const old = OldHomeConfigMessage.safeParse(JSON.parse(JSON.stringify(homeConfig(scope, 5))));
    expect(old.success).toBe(true);
    expect(old.data?.consent.emergency).toEqual({ alerts: true, history: false });
    expect(old.data?.consent.activity).toEqual({ alerts: false, history: true });
    // the night round alone is not something an old gateway knows: it holds those readings back
    expect(old.data?.consent.sleep).toEqual({ alerts: false, history: false });

    scope.emergency.alerts = false;
    const withdrawn = OldHomeConfigMessage.safeParse(JSON.parse(JSON.stringify(homeConfig(scope, 6))));
    expect(withdrawn.data?.consent.emergency).toEqual({ alerts: false, history: false });
  });

  it("is read whole by this release's gateway: a category consented to for the night round only still leaves", () => {
    const filter = new ConsentFilter(memory(), silentLogger(), new Metrics());
    const scope = emptyScope();
    scope.sleep.night_round = true;
    scope.emergency.alerts = true;
    expect(filter.onConfig(Buffer.from(JSON.stringify(homeConfig(scope, 1))))).toBe('applied');
    expect(filter.allows('sleep')).toBe(true);
    expect(filter.allows('emergency')).toBe(true);
    expect(filter.allows('activity')).toBe(false);
    // withdrawn: held back at once
    scope.sleep.night_round = false;
    expect(filter.onConfig(Buffer.from(JSON.stringify(homeConfig(scope, 2))))).toBe('applied');
    expect(filter.allows('sleep')).toBe(false);
  });

  it('this gateway still reads the message of the release before (night_round inside each grant), and remembers it', () => {
    const kept = memory();
    const filter = new ConsentFilter(kept, silentLogger(), new Metrics());
    const consent = Object.fromEntries(
      CONSENT_CATEGORIES.map((c) => [c, { alerts: false, history: false, night_round: c === 'door' }]),
    );
    expect(filter.onConfig(Buffer.from(JSON.stringify({ consent, at: 3 })))).toBe('applied');
    expect(filter.allows('door')).toBe(true);
    // after a restart, from what it kept on disk
    const scope = emptyScope();
    scope.sleep.night_round = true;
    filter.onConfig(Buffer.from(JSON.stringify(homeConfig(scope, 4))));
    const restarted = new ConsentFilter(kept, silentLogger(), new Metrics());
    expect(restarted.allows('sleep')).toBe(true);
    expect(restarted.allows('door')).toBe(false);
  });
});
