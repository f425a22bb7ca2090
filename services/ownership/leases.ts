import { hostname } from 'node:os';
import type { Clock, Logger, Metrics, Timer } from '../runtime/index.ts';
import type { HomeOwnership, OwnershipListener, ShardsGained } from './ownership.ts';
import { SHARDS, shardOf } from './shard.ts';

/** The store's `ruleLeases`, seen from here (owned by this service). */
export interface LeaseStore {
  view(): Promise<{
    members: Array<{ owner: string; beat: number; at: number }>;
    shards: Array<{ shard: number; owner: string; epoch: number; releasedAt: number | null }>;
  }>;
  join(owner: string, at: number): Promise<void>;
  beat(owner: string, beat: number, at: number): Promise<boolean>;
  evict(owner: string, beat: number): Promise<boolean>;
  claim(shard: number, owner: string, from: { owner: string; epoch: number } | null): Promise<number | null>;
  release(owner: string, shards: ReadonlyArray<{ shard: number; epoch: number }>, at: number): Promise<void>;
  leave(owner: string): Promise<void>;
}

export interface ShardLeasesOptions {
  store: { readonly ruleLeases: LeaseStore };
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** default 64; every process on one store must use the same */
  shards?: number;
  /** a member whose beat has not changed for this long (ms, on the observer's own clock) is dead; default 6,000 */
  ttlMs?: number;
  /** how often each process beats, reads the leases and claims or releases (ms); default 1,000 */
  cycleMs?: number;
  /** this process's name; default host, pid and a random part */
  owner?: string;
}

interface Seen {
  beat: number;
  /** monotonic time this beat was first seen */
  since: number;
  at: number;
}

/**
 * Exactly one owner per shard of homes, by lease in the shared store (issue 9 point 4).
 *
 * **Liveness** is a member row whose `beat` the process bumps every cycle (1 s). Another process
 * takes a member for dead when it has seen the same beat for the whole time to live (6 s) **on its
 * own clock** (the injected one, monotonic): clocks of different machines are never compared, so
 * skew cannot make a live owner look dead, and tests drive it with a ManualClock. The dead member
 * is evicted by compare-and-set on its beat (a beat that lands first wins), and its shards are
 * free. An owner counts its own lease as good until its last successful beat started + TTL - a
 * quarter of it: before anyone else can have judged it dead. A process paused longer (GC, SIGSTOP)
 * finds on waking that `owns()` is false, and its next beat fails once it was evicted: it drops
 * everything, without writing, and joins again under a new name.
 *
 * **Shares**: each cycle a process reads the 64 lease rows and the members, claims free shards
 * (never owned, released, or of an evicted member) up to its fair share (shards / live members,
 * rounded up), and lets go of what it holds beyond that, after its listeners have saved them, so
 * a process that joins gets its share within a few cycles. A takeover bumps the shard's epoch
 * (fencing: rule state is written only under the epoch held).
 *
 * Takeover time after a kill: the last beat seen ≤ the kill; seen within a cycle; dead after the
 * TTL; claimed in that cycle: at most TTL + 2 cycles (8 s), then the state is loaded.
 */
export class ShardLeases implements HomeOwnership {
  readonly shards: number;
  private readonly base: string;
  private incarnation = 0;
  private readonly ttlMs: number;
  private readonly cycleMs: number;
  private joined = false;
  private beat = 0;
  /** monotonic time until which our lease is good */
  private validUntil = Number.NEGATIVE_INFINITY;
  /**
   * The store did not answer the last cycle: nobody can take a shard over through it, so this
   * process goes on acting for what it held (an alarm reaches a human even while the database is
   * down). In a network split where another process does reach the store and takes the shards,
   * both act for a while: a fall shown twice, never not at all.
   */
  private storeUnreachable = false;
  /** shard → epoch, held in the store */
  private readonly heldEpochs = new Map<number, number>();
  /** held and not being let go: acted for */
  private readonly active = new Set<number>();
  private readonly seen = new Map<string, Seen>();
  /** the last beat time of members that left or were evicted by others: a takeover's watermark */
  private readonly lastAt = new Map<string, number>();
  private readonly listeners = new Set<OwnershipListener>();
  private timer: Timer | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly heldGauge;
  private readonly changes;

  constructor(private readonly o: ShardLeasesOptions) {
    this.shards = o.shards ?? SHARDS;
    this.ttlMs = o.ttlMs ?? 6000;
    this.cycleMs = o.cycleMs ?? 1000;
    this.base = o.owner ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.heldGauge = o.metrics.gauge(
      'tryghed_ownership_shards_held',
      'Shards of homes whose rules this process runs',
    );
    this.changes = o.metrics.counter('tryghed_ownership_changes_total', 'Shards gained or lost, by how', [
      'change',
    ]);
  }

  get owner(): string {
    return this.ownerName();
  }

  shardOf(homeId: string): number {
    return shardOf(homeId, this.shards);
  }

  owns(homeId: string): boolean {
    return (
      this.active.has(this.shardOf(homeId)) &&
      (this.storeUnreachable || this.o.clock.monotonic() < this.validUntil)
    );
  }

  epochs(): ReadonlyMap<number, number> {
    return this.heldEpochs;
  }

  held(): number[] {
    return [...this.active].sort((a, b) => a - b);
  }

  watch(listener: OwnershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Joins and runs the first cycle (a process alone takes every shard here), then one per `cycleMs`. */
  async start(): Promise<void> {
    await this.cycle();
    this.timer = this.o.clock.setInterval(() => {
      void this.cycle();
    }, this.cycleMs);
    this.timer.unref();
  }

  /** One cycle now (tests drive it with the clock); a cycle already running is waited for instead. */
  cycle(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      // a cycle asked for while one runs comes right after it: the one running may have begun
      // before a long pause, and its beat would not confirm the lease for now
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.runCycle().catch((err: unknown) => {
          this.o.logger.error({ err }, 'lease cycle failed; trying again next cycle');
          if (this.storeUnreachable || this.active.size === 0) return;
          this.storeUnreachable = true;
          this.o.logger.warn(
            { shards: this.active.size },
            'the store does not answer: acting on for the shards held until it does',
          );
          this.confirm(); // what waited for the lease goes out now
        });
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no cycle is running (tests and a clean stop wait for it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Lets every shard go (after the listeners saved them) and leaves, so others take over at once. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.running) await this.running;
    this.stopped = true;
    if (!this.joined) return;
    try {
      await this.letGo([...this.heldEpochs.keys()]);
      await this.o.store.ruleLeases.leave(this.ownerName());
    } catch (err) {
      this.o.logger.warn({ err }, 'could not hand the shards over; others take them when the lease runs out');
    }
    this.joined = false;
  }

  private ownerName(): string {
    return this.incarnation === 0 ? this.base : `${this.base}#${this.incarnation}`;
  }

  private async runCycle(): Promise<void> {
    const { store, clock } = this.o;
    const leases = store.ruleLeases;
    const me = this.ownerName();
    const started = clock.monotonic();
    if (!this.joined) {
      await leases.join(me, clock.now());
      this.joined = true;
      this.beat = 0;
    } else if (await leases.beat(me, this.beat, clock.now())) {
      this.beat++;
      this.storeUnreachable = false;
    } else {
      this.storeUnreachable = false;
      // judged dead by another process (we were paused or cut off): what we held is theirs now
      this.o.logger.warn(
        { owner: me, shards: this.heldEpochs.size },
        'lease lost: this process was taken for dead',
      );
      await this.drop([...this.heldEpochs.keys()], true);
      this.validUntil = Number.NEGATIVE_INFINITY;
      this.joined = false;
      this.incarnation++;
      return;
    }
    this.validUntil = started + this.ttlMs - this.ttlMs / 4;
    const view = await leases.view();
    const now = clock.monotonic();
    // who is alive, judged on our own clock
    const live = new Set<string>([me]);
    const evicted = new Map<string, number>();
    const present = new Set(view.members.map((m) => m.owner));
    for (const [name, s] of this.seen) {
      if (present.has(name)) continue;
      this.seen.delete(name);
      this.lastAt.set(name, s.at);
    }
    for (const m of view.members) {
      if (m.owner === me) continue;
      const prior = this.seen.get(m.owner);
      if (!prior || prior.beat !== m.beat) {
        this.seen.set(m.owner, { beat: m.beat, since: now, at: m.at });
        live.add(m.owner);
      } else if (now - prior.since >= this.ttlMs && (await leases.evict(m.owner, m.beat))) {
        this.o.logger.warn({ owner: m.owner }, 'owner taken for dead: its shards are free');
        this.seen.delete(m.owner);
        evicted.set(m.owner, m.at);
      } else {
        live.add(m.owner);
      }
    }
    const rows = new Map(view.shards.map((s) => [s.shard, s]));
    // a shard we hold whose row says otherwise is not ours (cannot happen unless evicted; be safe)
    const stolen = [...this.heldEpochs].filter(([shard, epoch]) => {
      const row = rows.get(shard);
      return !row || row.owner !== me || row.epoch !== epoch;
    });
    if (stolen.length > 0)
      await this.drop(
        stolen.map(([s]) => s),
        true,
      );

    const fair = Math.ceil(this.shards / live.size);
    const mine = this.heldEpochs.size;
    if (mine < fair) {
      const gained: number[] = [];
      let handledUntil: number | null = null;
      let noneBefore = false;
      // start at a place of our own, so processes claiming at once mostly try different shards
      const offset = Number.parseInt(me.replace(/[^0-9a-z]/gi, '').slice(-6) || '0', 36) % this.shards;
      for (let i = 0; i < this.shards && this.heldEpochs.size < fair; i++) {
        const shard = (offset + i) % this.shards;
        const row = rows.get(shard);
        if (row && (row.owner === me || live.has(row.owner))) continue;
        if (clock.monotonic() >= this.validUntil) break; // our own lease ran out meanwhile
        const epoch = await leases.claim(shard, me, row ? { owner: row.owner, epoch: row.epoch } : null);
        if (epoch === null) continue;
        this.heldEpochs.set(shard, epoch);
        gained.push(shard);
        const until = !row
          ? null
          : row.owner === ''
            ? row.releasedAt
            : (evicted.get(row.owner) ?? this.lastAt.get(row.owner) ?? null);
        if (until === null) noneBefore = true;
        else handledUntil = handledUntil === null ? until : Math.min(handledUntil, until);
      }
      if (gained.length > 0) {
        this.changes.inc({ change: 'gained' }, gained.length);
        await this.gain({ shards: gained, handledUntil: noneBefore ? null : handledUntil });
      }
    } else if (mine > fair) {
      const excess = [...this.heldEpochs.keys()].sort((a, b) => b - a).slice(0, mine - fair);
      await this.letGo(excess);
    }
    this.heldGauge.set(this.active.size);
    if (clock.monotonic() < this.validUntil) this.confirm();
  }

  private confirm(): void {
    for (const listener of this.listeners) {
      try {
        listener.confirmed?.();
      } catch (err) {
        this.o.logger.error({ err }, 'a listener failed on lease confirmation');
      }
    }
  }

  private async gain(change: ShardsGained): Promise<void> {
    for (const shard of change.shards) this.active.add(shard);
    this.o.logger.info({ shards: change.shards.length, owner: this.ownerName() }, 'shards taken over');
    for (const listener of this.listeners) {
      try {
        await listener.gained(change);
      } catch (err) {
        this.o.logger.error({ err }, 'taking over shards failed in a listener');
      }
    }
  }

  /** saved by the listeners, then released in the store: the next owner loads what they wrote */
  private async letGo(shards: number[]): Promise<void> {
    if (shards.length === 0) return;
    const epochs = shards.map((shard) => ({ shard, epoch: this.heldEpochs.get(shard)! }));
    await this.drop(shards, false);
    await this.o.store.ruleLeases.release(this.ownerName(), epochs, this.o.clock.now());
    this.changes.inc({ change: 'released' }, shards.length);
  }

  /** stops acting for the shards and tells the listeners; the epochs stay until the store is told */
  private async drop(shards: number[], evicted: boolean): Promise<void> {
    for (const shard of shards) this.active.delete(shard);
    for (const listener of this.listeners) {
      try {
        await listener.lost({ shards, evicted });
      } catch (err) {
        this.o.logger.error({ err }, 'letting shards go failed in a listener');
      }
    }
    for (const shard of shards) this.heldEpochs.delete(shard);
    if (evicted) this.changes.inc({ change: 'evicted' }, shards.length);
    this.heldGauge.set(this.active.size);
  }
}
