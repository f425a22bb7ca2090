import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock, Logger, Metrics, Timer } from '../runtime/index.ts';

/** the Redis hash every platform process writes its watching teams into (one field per process) */
export const DEFAULT_PRESENCE_KEY = 'tryghed:watching';
const DEFAULT_BEAT_MS = 1000;
const DEFAULT_STALE_MS = 5000;
/** at most this many teams are taken from one process's field (a field is input like any other) */
const MAX_TEAMS = 10_000;

export interface TeamPresenceOptions {
  /** `redis://[user:password@]host:port[/db]` (REDIS_URL) */
  redisUrl: string;
  /** this process's name in the cluster (the cluster link's, new at every start) */
  processId: string;
  /** the teams with staff watching on this process's own dashboard now */
  local: () => Set<string>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** the hash's key; default `tryghed:watching` */
  key?: string;
  /** how often this process says what it has and reads the others' (ms); default 1 s */
  beatMs?: number;
  /** another process's field that has not moved for this long (this process's clock) is dead; default 5 s */
  staleMs?: number;
}

/**
 * Which teams have staff watching a board on any platform process, for escalation's "nobody of the
 * team is watching". Each process writes its own teams into one field of a Redis hash every beat,
 * with a beat number, and reads the others' fields.
 */
export interface TeamPresence {
  /** this process's watching teams, and those of every other process seen alive lately */
  watchingTeams(): Set<string>;
  /** whether the other processes' presence is known now (false: only this process's watchers count) */
  remoteKnown(): boolean;
  /** one beat now: write ours, read and judge the others' (the timer calls it; tests too) */
  beat(): Promise<void>;
  /** stops beating and removes this process's field, so its watchers are gone at once */
  close(): Promise<void>;
}

const Field = z.strictObject({
  b: z.number().int().nonnegative(),
  t: z.array(z.string().min(1).max(200)).max(MAX_TEAMS),
});

interface Seen {
  /** the raw field as last read (a dead process's field is removed only if still exactly this) */
  raw: string;
  beat: number;
  teams: string[];
  /** when (this process's clock) the field was first read */
  firstSeen: number;
  /** when (this process's clock) its beat was last seen to change; null: not yet seen to move */
  movedAt: number | null;
}

/** removes a field only if it still holds what was judged dead (a process that woke up wrote anew) */
const DELETE_IF_SAME = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;

/**
 * Expiry is judged as the shard leases judge liveness (services/ownership): a field whose beat has
 * not changed for `staleMs` **on this process's own clock** belongs to a dead process, so clock
 * skew between machines cannot keep a dead process's watchers alive; such a field is removed. A
 * field is counted only once it has been seen to move (a field left by a process killed long ago
 * is never counted at all). So staff who close their board on another process are gone here within
 * two beats; staff of a process that died, within `staleMs` and a beat.
 *
 * The safe direction when Redis does not answer is "nobody watching elsewhere": a critical alert
 * then goes to the fallback (loud: someone outside the dashboard is called, maybe needlessly),
 * never held back for watchers that may be gone (silent). So a failed read forgets the others at
 * once, and a read older than `staleMs` (a stalled beat) is not trusted either.
 */
export function openTeamPresence(o: TeamPresenceOptions): TeamPresence {
  const key = o.key ?? DEFAULT_PRESENCE_KEY;
  const beatMs = o.beatMs ?? DEFAULT_BEAT_MS;
  const staleMs = o.staleMs ?? DEFAULT_STALE_MS;
  const log = o.logger;
  const known = o.metrics.gauge(
    'tryghed_presence_remote_known',
    "Whether the other processes' watching teams are known (Redis answers)",
  );
  const processes = o.metrics.gauge(
    'tryghed_presence_processes',
    'Other platform processes seen alive with their watching teams',
  );
  const refused = o.metrics.counter(
    'tryghed_presence_refused_total',
    "Another process's presence field that was unreadable, ignored",
  );
  // commands fail at once while Redis is away (no offline queue): presence must be now or unknown
  const redis = new Redis(o.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: Math.max(beatMs * 2, 500),
    connectionName: 'tryghed-presence',
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  redis.on('error', () => undefined);
  const connecting = redis.connect().catch(() => undefined);

  const others = new Map<string, Seen>();
  let remote = new Set<string>();
  /** this process's clock when the others were last read successfully; null: not known */
  let readAt: number | null = null;
  let myBeat = 0;
  let failing = false;
  let closed = false;
  let running: Promise<void> | null = null;

  const judge = (fields: Record<string, string>, now: number): string[] => {
    const dead: string[] = [];
    for (const id of [...others.keys()]) if (!(id in fields)) others.delete(id);
    for (const [id, raw] of Object.entries(fields)) {
      if (id === o.processId) continue;
      let parsed: z.infer<typeof Field> | null = null;
      try {
        const r = Field.safeParse(JSON.parse(raw));
        parsed = r.success ? r.data : null;
      } catch {
        parsed = null;
      }
      const before = others.get(id);
      if (!parsed && before?.raw !== raw) {
        // never its content: a field is named by its process only
        refused.inc();
        log.warn({ process: id }, 'unreadable presence of another process ignored');
      }
      const beatNow = parsed?.b ?? -1;
      if (!before) {
        others.set(id, { raw, beat: beatNow, teams: parsed?.t ?? [], firstSeen: now, movedAt: null });
      } else if (before.beat !== beatNow) {
        others.set(id, { ...before, raw, beat: beatNow, teams: parsed?.t ?? [], movedAt: now });
      } else if (now - (before.movedAt ?? before.firstSeen) >= staleMs) {
        // the same beat for staleMs on this clock (a field never seen to move: since first read)
        dead.push(id);
      }
    }
    const teams = new Set<string>();
    let alive = 0;
    for (const [id, seen] of others) {
      if (seen.movedAt === null || seen.beat < 0 || dead.includes(id)) continue;
      if (now - seen.movedAt >= staleMs) continue;
      alive++;
      for (const t of seen.teams) teams.add(t);
    }
    remote = teams;
    processes.set(alive);
    return dead;
  };

  const beatOnce = async () => {
    await connecting;
    const field = JSON.stringify({ b: ++myBeat, t: [...o.local()].slice(0, MAX_TEAMS) });
    try {
      const [, fields] = await Promise.all([redis.hset(key, o.processId, field), redis.hgetall(key)]);
      const now = o.clock.now();
      const dead = judge(fields, now);
      readAt = now;
      known.set(1);
      if (failing) {
        failing = false;
        log.info('presence of the other processes known again');
      }
      for (const id of dead) {
        const raw = others.get(id)?.raw;
        others.delete(id);
        if (raw !== undefined) await redis.eval(DELETE_IF_SAME, 1, key, id, raw).catch(() => undefined);
        log.info({ process: id }, 'another process stopped beating: its watchers no longer count');
      }
    } catch (err) {
      // unknown: only this process's own watchers count, so critical alerts go to the fallback
      readAt = null;
      remote = new Set();
      others.clear();
      known.set(0);
      processes.set(0);
      if (!failing && !closed) {
        failing = true;
        log.error(
          { err },
          'who watches on the other processes is unknown (Redis does not answer): only this process counts',
        );
      }
    }
  };

  const beat = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (!running)
      running = beatOnce().finally(() => {
        running = null;
      });
    return running;
  };
  const timer: Timer = o.clock.setInterval(() => void beat(), beatMs);
  timer.unref();
  void beat();

  return {
    watchingTeams() {
      const teams = new Set(o.local());
      // a beat that stalled (a busy or paused process) is not trusted past the time that judges death
      if (readAt !== null && o.clock.now() - readAt < staleMs) for (const t of remote) teams.add(t);
      return teams;
    },
    remoteKnown: () => readAt !== null && o.clock.now() - readAt < staleMs,
    beat,
    async close() {
      if (closed) return;
      timer.cancel();
      await running?.catch(() => undefined);
      closed = true;
      if (redis.status === 'ready') {
        try {
          await redis.hdel(key, o.processId);
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      } else redis.disconnect();
    },
  };
}
