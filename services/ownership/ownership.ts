/** Shards gained: their homes' rules and escalation are this process's from now. */
export interface ShardsGained {
  shards: number[];
  /**
   * Readings received before this time (ms, the previous owner's clock) were handled by it: its
   * last beat, or when it let the shards go. Null when nobody owned them before.
   */
  handledUntil: number | null;
}

/** Shards lost: `evicted` when others judged this process dead and took them (nothing may be written for them). */
export interface ShardsLost {
  shards: number[];
  evicted: boolean;
}

/** Told when shards come and go; each call is awaited before the lease changes hands further. */
export interface OwnershipListener {
  /** load the shards' state and carry on their timers (a deadline passed meanwhile fires now) */
  gained(change: ShardsGained): Promise<void> | void;
  /** save what is kept (unless evicted) and forget the shards' homes */
  lost(change: ShardsLost): Promise<void> | void;
  /** the lease was confirmed again (every cycle): what waited for it may go now */
  confirmed?(): void;
}

/**
 * Which homes' rules and escalation this process runs. The rules and escalation act (raise, page)
 * only for homes they `owns`; one process owns each home at a time.
 */
export interface HomeOwnership {
  /** this process's name in the lease table */
  readonly owner: string;
  readonly shards: number;
  shardOf(homeId: string): number;
  /**
   * the home's shard is held and the lease confirmed within its time to live: act now. False for a
   * process that was paused past its lease, until it has confirmed it again.
   */
  owns(homeId: string): boolean;
  /** shard → epoch of each shard held in the store now (for fencing writes) */
  epochs(): ReadonlyMap<number, number>;
  /** the shards held now */
  held(): number[];
  /** resolves when no lease cycle is running (its confirmation told) */
  idle(): Promise<void>;
  /** listens for shards gained and lost; the returned function stops listening */
  watch(listener: OwnershipListener): () => void;
}
