import { z } from 'zod';
import { SensorKind } from '../domain/index.ts';

/**
 * A rule whose state is kept in the store. The rule says which key (a device or a home) changed;
 * the engine later asks for that key's state as it is then (null: nothing to keep, the row goes),
 * and at start hands back what was kept.
 */
export interface PersistedRule {
  /** the name its rows carry */
  readonly rule: string;
  /** set by the engine: called with a key whose state changed */
  changed: (key: string) => void;
  snapshot(key: string): { homeId: string; state: unknown } | null;
  /** takes back a kept state; the zod-checked shape of `snapshot`'s */
  restore(key: string, homeId: string, state: unknown): void;
  /**
   * Forgets what it holds about the home's readings (an erasure request): conditions under way go
   * with their timers, without raising; a watch that goes on (inactivity, device offline) counts
   * again from `now`, as for a home just provisioned. `deviceIds` are the home's devices now. Marks
   * nothing changed: the engine removes the home's rows itself.
   */
  forgetHome(homeId: string, now: number, deviceIds: readonly string[]): void;
}

export const evidenceReading = z.object({
  deviceId: z.string(),
  kind: SensorKind,
  value: z.number(),
  ts: z.number(),
});

export const noChange = (_key: string) => {};

/** Where the engine keeps rule state: the store's `ruleState` repository, seen from the rules. */
export interface RuleStateStore {
  all(pageSize?: number): AsyncIterable<Array<{ rule: string; key: string; homeId: string; state: string }>>;
  save(
    put: Array<{ rule: string; key: string; homeId: string; state: string; updatedAt: number }>,
    remove: Array<{ rule: string; key: string }>,
  ): Promise<void>;
  /** removes every row of the home, whatever its rule */
  removeHome(homeId: string): Promise<void>;
}
