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
  /** forgets the key's state in memory, silently (its home went to another process) */
  drop(key: string): void;
}

export const evidenceReading = z.object({
  deviceId: z.string(),
  kind: SensorKind,
  value: z.number(),
  ts: z.number(),
});

export const noChange = (_key: string) => {};

type StateRow = { rule: string; key: string; homeId: string; state: string };

/** Where the engine keeps rule state: the store's `ruleState` repository, seen from the rules. */
export interface RuleStateStore {
  all(pageSize?: number): AsyncIterable<StateRow[]>;
  /** the rows of these homes: a shard's, when this process takes it over */
  ofHomes(homeIds: readonly string[]): Promise<StateRow[]>;
  /** with a fence, rows of shards no longer held at their epoch are left alone; how many */
  save(
    put: Array<StateRow & { updatedAt: number; shard?: number }>,
    remove: Array<{ rule: string; key: string; shard?: number }>,
    fence?: { owner: string; epochs: ReadonlyMap<number, number> },
  ): Promise<number>;
  /** removes every row of the home, whatever its rule */
  removeHome(homeId: string): Promise<void>;
}
