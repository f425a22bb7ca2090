import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { type Logger, type Metrics, StartError } from '../runtime/index.ts';
import type { PlatformBus, PlatformEvents } from './events.ts';
import { eventOrigin, markOrigin } from './origin.ts';
import { parseRelayed, RELAYED_EVENTS, type RelayedEventName } from './wire.ts';

/** the Redis stream every platform process appends its events to and reads the others' from */
export const DEFAULT_EVENT_STREAM = 'tryghed:events';
/** entries (batches) kept in the stream: what a process that lost Redis for a moment can catch up on */
const DEFAULT_MAX_ENTRIES = 10_000;
/** batches handed to Redis and not yet confirmed; beyond it new batches are dropped and counted */
const MAX_UNCONFIRMED_BATCHES = 10_000;
const READ_COUNT = 500;
const READ_BLOCK_MS = 1000;

export interface ClusterLinkOptions {
  /** `redis://[user:password@]host:port[/db]` (REDIS_URL) */
  redisUrl: string;
  bus: PlatformBus;
  logger: Logger;
  metrics: Metrics;
  /** names this process in the cluster (logs); a random part is always added, so a restart is a new process */
  processName?: string;
  /** the stream's key; default `tryghed:events` */
  stream?: string;
  /** entries kept (approximately); default 10,000 batches */
  maxEntries?: number;
  /** how long opening waits for Redis; default 10 s */
  connectTimeoutMs?: number;
}

/** Run before a remote event is emitted here. `false`: do not emit it (the hook told the parts itself). */
export type ArrivalHook<K extends RelayedEventName> = (
  payload: PlatformEvents[K],
  origin: string,
) => Promise<boolean | undefined> | boolean | undefined;

/**
 * The typed bus, stretched over every platform process sharing one Redis. What happens here (an
 * accepted reading, a consent change, an alert event …; `RELAYED_EVENTS`) is appended to a Redis
 * stream; what the others append is read and emitted on this process's bus, marked with its origin
 * (`eventOrigin(payload)`), and never sent on again.
 */
export interface ClusterLink {
  readonly processId: string;
  /** true while both Redis connections answer */
  connected(): boolean;
  /**
   * A remote event of this name waits for `hook` before it is emitted here (say, consent read again
   * from the store first, so listeners see the new scope). Events keep their arrival order.
   */
  onArrival<K extends RelayedEventName>(name: K, hook: ArrivalHook<K>): void;
  /** called each time Redis answers again after an outage (what was missed: read it from the store) */
  onRestored(listener: () => void): () => void;
  /**
   * Starts emitting the others' events here, from where the stream stood when the link opened (so
   * nothing falls between loading the caches and listening). This process's events are sent from
   * the moment the link is open.
   */
  start(): void;
  /**
   * True for exactly one process of those asking within `ttlMs` (Redis `SET NX`): who carries out a
   * request every process hears. False when another has it, or Redis does not answer within 2 s.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** remote events received and emitted here so far (for tests) */
  received(): number;
  /** resolves when every event received so far has been emitted (hooks done) */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** one stream entry: who wrote it, its number in that process, the events as JSON `[[name, payload], …]` */
const Entry = z.strictObject({
  o: z.string().min(1).max(100),
  n: z.coerce.number().int().nonnegative(),
  b: z.string().max(64 * 1024 * 1024),
});

/**
 * Why a Redis Stream and not pub/sub: a process whose Redis connection blips (or that is busy
 * starting) reads on from the last entry it saw, so a relayed fall is late, not lost; pub/sub
 * would drop it. Entries are batches: the events of one turn of the event loop go in one XADD, so
 * 25,000 readings/s cost a few hundred Redis commands per second. The stream is trimmed to about
 * `maxEntries` batches (`MAXLEN ~`).
 *
 * Order and once: one process's batches are numbered; a batch number already seen from that
 * process (ioredis sends a command again when the connection broke before its answer came) is
 * skipped. Events from different processes are in stream order, which is not the order their store
 * writes committed in: parts that care (the dashboard's alert events) order by the store's own
 * sequence numbers.
 *
 * Redis down: this process's own events keep flowing on its own bus at once; events to send wait
 * (at most `MAX_UNCONFIRMED_BATCHES` batches, then dropped and counted) and go out when Redis is
 * back; the reader continues where it was. `onRestored` listeners then read the caches again from
 * the store, so a change whose event was dropped is not left stale.
 */
export async function openClusterLink(o: ClusterLinkOptions): Promise<ClusterLink> {
  const processId = `${o.processName ?? `${hostname()}:${process.pid}`}:${randomBytes(4).toString('hex')}`;
  const stream = o.stream ?? DEFAULT_EVENT_STREAM;
  const maxEntries = o.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const where = describe(o.redisUrl);
  const log = o.logger.child({ redis: where, processId });
  const sent = o.metrics.counter(
    'tryghed_cluster_events_sent_total',
    'Events sent to the other platform processes',
  );
  const received = o.metrics.counter(
    'tryghed_cluster_events_received_total',
    'Events received from the other platform processes and emitted here',
  );
  const refused = o.metrics.counter(
    'tryghed_cluster_events_refused_total',
    'Events from Redis that were unreadable or failed their schema, dropped',
    ['reason'],
  );
  const dropped = o.metrics.counter(
    'tryghed_cluster_events_dropped_total',
    'Events not sent to the other processes: too many waiting for Redis',
  );
  const up = o.metrics.gauge(
    'tryghed_cluster_link_up',
    'Whether the Redis between the platform processes answers',
  );

  const retryStrategy = (times: number) => Math.min(times * 100, 2000);
  const base = { retryStrategy, lazyConnect: true, connectionName: 'tryghed-events' } as const;
  // writing: commands wait for Redis (bounded by MAX_UNCONFIRMED_BATCHES), in order
  const writer = new Redis(o.redisUrl, { ...base, maxRetriesPerRequest: null });
  // reading: blocks on XREAD; a read cut by an outage is sent again when Redis is back
  const reader = new Redis(o.redisUrl, { ...base, maxRetriesPerRequest: null });
  const all = [writer, reader];
  const restored: Array<() => void> = [];
  let closing = false;
  let wasDown = false;
  const connected = () => all.every((c) => c.status === 'ready');
  const observe = () => {
    if (closing) return;
    const ok = connected();
    up.set(ok ? 1 : 0);
    if (!ok && !wasDown) {
      wasDown = true;
      log.error(
        'Redis between the platform processes is unreachable: events stay in this process until it is back',
      );
    } else if (ok && wasDown) {
      wasDown = false;
      log.info('Redis between the platform processes answers again');
      for (const listener of [...restored]) {
        try {
          listener();
        } catch (err) {
          log.error({ err }, 'link restored listener failed');
        }
      }
    }
  };
  for (const c of all) {
    c.on('error', () => undefined);
    for (const event of ['ready', 'close', 'end', 'reconnecting'] as const) c.on(event, observe);
  }

  const timeoutMs = o.connectTimeoutMs ?? 10_000;
  let lastId = '0-0';
  try {
    await withTimeout(
      Promise.all(all.map((c) => c.connect())).then(async () => {
        // from the newest entry now: what happened before this process started is in the store
        const newest = (await writer.xrevrange(stream, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
        lastId = newest[0]?.[0] ?? '0-0';
      }),
      timeoutMs,
    );
  } catch (err) {
    closing = true;
    for (const c of all) c.disconnect();
    throw new StartError(
      `Redis at ${where} (REDIS_URL) did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`,
      { setting: 'REDIS_URL', cause: err },
    );
  }
  up.set(1);

  // --- sending ---
  let batch: Array<[RelayedEventName, unknown]> = [];
  let flushScheduled = false;
  let batchNumber = 0;
  let unconfirmed = 0;
  const flush = () => {
    flushScheduled = false;
    if (batch.length === 0 || closing) return;
    const events = batch;
    batch = [];
    if (unconfirmed >= MAX_UNCONFIRMED_BATCHES) {
      dropped.inc(events.length);
      return;
    }
    unconfirmed++;
    const body = JSON.stringify(events);
    writer
      .xadd(stream, 'MAXLEN', '~', maxEntries, '*', 'o', processId, 'n', String(++batchNumber), 'b', body)
      .then(
        () => sent.inc(events.length),
        (err: unknown) => {
          dropped.inc(events.length);
          if (!closing) log.warn({ err, events: events.length }, 'events not sent to the other processes');
        },
      )
      .finally(() => {
        unconfirmed--;
      });
  };
  const send = (name: RelayedEventName, payload: unknown) => {
    // an event that came from another process is never sent again (no loops)
    if (eventOrigin(payload) !== null) return;
    batch.push([name, payload]);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  // --- receiving ---
  const hooks = new Map<RelayedEventName, ArrivalHook<RelayedEventName>>();
  const lastBatch = new Map<string, number>();
  /** remote events waiting behind a hook, in arrival order */
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  let emitted = 0;
  const emit = (name: RelayedEventName, payload: unknown) => {
    emitted++;
    received.inc();
    o.bus.emit(name, payload as never);
  };
  const deliver = (name: RelayedEventName, payload: object, origin: string) => {
    markOrigin(payload, origin);
    const hook = hooks.get(name);
    // the fast path: nothing waiting, nothing to do first (an accepted reading, an alert event)
    if (!hook && queued === 0) return emit(name, payload);
    queued++;
    queue = queue
      .then(async () => {
        let go: boolean | undefined = true;
        try {
          go = hook ? await hook(payload as never, origin) : true;
        } catch (err) {
          log.error({ err, event: name, origin }, 'preparing a remote event failed; emitted all the same');
        }
        if (go !== false) emit(name, payload);
      })
      .finally(() => {
        queued--;
      });
  };
  const relayed = new Set<string>(RELAYED_EVENTS);
  const handleEntry = (fields: string[]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
    const entry = Entry.safeParse(record);
    if (!entry.success) {
      refused.inc({ reason: 'entry' });
      log.warn('unreadable entry between the platform processes ignored');
      return;
    }
    const { o: origin, n, b } = entry.data;
    if (origin === processId) return;
    if ((lastBatch.get(origin) ?? 0) >= n) return; // sent twice (a retried XADD): once is enough
    lastBatch.set(origin, n);
    let events: unknown;
    try {
      events = JSON.parse(b);
    } catch {
      events = null;
    }
    if (!Array.isArray(events)) {
      refused.inc({ reason: 'batch' });
      log.warn({ origin }, 'unreadable batch of events from another process ignored');
      return;
    }
    for (const item of events) {
      const name = Array.isArray(item) ? item[0] : undefined;
      if (typeof name !== 'string' || !relayed.has(name)) {
        refused.inc({ reason: 'name' });
        log.warn({ origin }, 'event of unknown kind from another process ignored');
        continue;
      }
      const payload = parseRelayed(name as RelayedEventName, item[1]);
      if (payload === null || typeof payload !== 'object') {
        // the event's name and where it came from only: a payload may hold personal data
        refused.inc({ reason: 'payload' });
        log.warn({ origin, event: name }, 'event from another process failed its schema, ignored');
        continue;
      }
      deliver(name as RelayedEventName, payload, origin);
    }
  };
  let reading: Promise<void> | null = null;
  // a read waiting for a Redis that is down is never answered, not even by disconnect(): close ends the wait
  let stopReading: () => void = () => undefined;
  const stopped = new Promise<null>((resolve) => {
    stopReading = () => resolve(null);
  });
  const readLoop = async () => {
    while (!closing) {
      try {
        const res = (await Promise.race([
          reader.xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', stream, lastId),
          stopped,
        ])) as Array<[string, Array<[string, string[]]>]> | null;
        if (closing) return;
        for (const [, entries] of res ?? [])
          for (const [id, fields] of entries) {
            lastId = id;
            try {
              handleEntry(fields);
            } catch (err) {
              refused.inc({ reason: 'entry' });
              log.error({ err }, 'handling an entry from another process failed');
            }
          }
      } catch (err) {
        if (closing) return;
        log.debug({ err }, 'reading events from the other processes failed; trying again');
        await new Promise((r) => setTimeout(r, 200).unref());
      }
    }
  };

  const unsubscribe: Array<() => void> = [];
  for (const name of RELAYED_EVENTS) unsubscribe.push(o.bus.on(name, (payload) => send(name, payload)));
  return {
    processId,
    connected,
    onArrival(name, hook) {
      hooks.set(name, hook as ArrivalHook<RelayedEventName>);
    },
    onRestored(listener) {
      restored.push(listener);
      return () => {
        const i = restored.indexOf(listener);
        if (i >= 0) restored.splice(i, 1);
      };
    },
    start() {
      if (reading || closing) return;
      reading = readLoop();
      log.info({ stream }, 'platform processes share events through Redis');
    },
    async claim(key, ttlMs) {
      try {
        const won = await withTimeout(
          writer.set(`${stream}:claim:${key}`, processId, 'PX', ttlMs, 'NX'),
          2000,
        );
        return won === 'OK';
      } catch (err) {
        log.warn({ err }, 'claiming a request between the processes failed');
        return false;
      }
    },
    received: () => emitted,
    async settled() {
      while (queued > 0) await queue;
    },
    async close() {
      for (const off of unsubscribe.splice(0)) off();
      flush();
      closing = true;
      stopReading();
      // what was handed to Redis goes out if Redis answers; the blocked read ends at once
      reader.disconnect();
      if (writer.status === 'ready') {
        try {
          await withTimeout(writer.quit(), 1000);
        } catch {
          writer.disconnect();
        }
      } else writer.disconnect();
      await reading?.catch(() => undefined);
      await queue.catch(() => undefined);
    },
  };
}

/** host:port/db of a Redis URL, without user or password, for logs and errors */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'an unreadable URL';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
