import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { type Logger, type Metrics, StartError } from '../services/runtime/index.ts';

const require = createRequire(import.meta.url);
/** aedes-persistence-redis 11 (the line aedes 1.x names as its peer): CommonJS, no types of its own */
const redisPersistence = require('aedes-persistence-redis') as (options: { conn: Redis }) => unknown;
const MQEmitterRedis = require('mqemitter-redis') as new (options: {
  subConn: Redis;
  pubConn: Redis;
  matchEmptyLevels: boolean;
}) => { emit(packet: MqPacket, cb?: MqCallback): void; state: EventEmitter };
/**
 * The ioredis both plugins are built and tested with (their own dependency, 5.x), not the
 * project's newer one: the connections are handed to them.
 */
const RedisClient = createRequire(require.resolve('mqemitter-redis'))('ioredis') as new (
  url: string,
  options: RedisOptions,
) => Redis;

export interface BrokerClusterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (REDIS_URL) */
  redisUrl: string;
  logger: Logger;
  metrics: Metrics;
  /** how long start waits for Redis to answer before it gives up; default 10 s */
  connectTimeoutMs?: number;
}

/** A packet as aedes hands it to its message queue. */
interface MqPacket {
  topic: string;
  [key: string]: unknown;
}
type MqCallback = (err?: Error | null) => void;

/**
 * What several aedes processes share through one Redis, with aedes' own plugins: routing
 * (`mqemitter-redis`: a message published on one broker reaches subscribers on every broker) and
 * state (`aedes-persistence-redis`: retained messages, persistent sessions with their
 * subscriptions and queued QoS 1 messages, wills). Give `mq` and `persistence` to aedes.
 */
export interface BrokerCluster {
  readonly mq: unknown;
  readonly persistence: unknown;
  /** true while every Redis connection is up */
  connected(): boolean;
  /** called once each time Redis is back after an outage */
  onRestored(listener: () => void): () => void;
  /** after aedes closed (aedes closes `mq` itself): ends the persistence connection */
  close(): Promise<void>;
}

/**
 * Opens the Redis connections and waits until Redis answers; a Redis that does not answer stops
 * start with a message naming REDIS_URL.
 *
 * When Redis dies mid-run, what already works keeps working as far as it can without it:
 * - a message is still routed to this broker's own subscribers: publishing to Redis fails fast
 *   (no queue on the publishing connection), and the message is then delivered locally (counted
 *   in `tryghed_broker_cluster_relay_failed_total`); only other brokers miss it;
 * - readings of connected devices are still handed to ingest and acknowledged when stored, since
 *   that happens before aedes routes the message (see `device-broker.ts`);
 * - a new connection is refused at once (CONNACK 3, in `device-broker.ts`): no session can be made
 *   or restored; the device tries again later;
 * - writes to the shared state wait for Redis instead of failing (the persistence connection
 *   queues its commands and retries for ever): a retained message is stored when Redis is back.
 * `connected()` says false the whole time: the platform reports it as degraded
 * (`broker_cluster_down`) and not ready on `/readyz`.
 */
export async function openBrokerCluster(o: BrokerClusterOptions): Promise<BrokerCluster> {
  const where = describe(o.redisUrl);
  const log = o.logger.child({ redis: where });
  const relayFailed = o.metrics.counter(
    'tryghed_broker_cluster_relay_failed_total',
    'Messages that could not be relayed to the other brokers through Redis (delivered on this broker only)',
  );
  const up = o.metrics.gauge(
    'tryghed_broker_cluster_redis_up',
    'Whether the Redis the brokers share answers',
  );
  // reconnect quickly at first, then every 2 s at most: the outage may end at any moment
  const retryStrategy = (times: number) => Math.min(times * 100, 2000);
  const base: RedisOptions = { retryStrategy, connectionName: 'tryghed-broker', lazyConnect: true };
  const connections = {
    // subscribing: fails fast while down (a closing client must not wait on its unsubscribe);
    // what was subscribed is subscribed again on reconnect (by ioredis, and by `resubscribe`)
    sub: new RedisClient(o.redisUrl, { ...base, enableOfflineQueue: false }),
    // relaying: fails fast while down, so a message is delivered locally instead of waiting
    pub: new RedisClient(o.redisUrl, { ...base, enableOfflineQueue: false }),
    // sessions, retained messages, wills: wait for Redis rather than lose a write
    state: new RedisClient(o.redisUrl, { ...base, maxRetriesPerRequest: null }),
  };
  const all = Object.values(connections);
  const restored: Array<() => void> = [];
  let wasDown = false;
  let closing = false;
  const connected = () => all.every((c) => c.status === 'ready');
  const observe = () => {
    if (closing) return;
    const ok = connected();
    up.set(ok ? 1 : 0);
    if (!ok && !wasDown) {
      wasDown = true;
      log.error(
        'Redis shared by the brokers is unreachable: new connections are refused, messages stay on this broker',
      );
    } else if (ok && wasDown) {
      wasDown = false;
      log.info('Redis shared by the brokers answers again');
      for (const listener of [...restored]) {
        try {
          listener();
        } catch (err) {
          log.error({ err }, 'Redis restored listener failed');
        }
      }
    }
  };
  for (const c of all) {
    // ioredis reports every failed attempt: the state change is logged once by `observe`
    c.on('error', () => undefined);
    for (const event of ['ready', 'close', 'end', 'reconnecting'] as const) c.on(event, observe);
  }

  const timeoutMs = o.connectTimeoutMs ?? 10_000;
  try {
    await withTimeout(
      Promise.all(all.map((c) => c.connect())).then(() => connections.state.ping()),
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
  log.info('brokers share routing, sessions and retained messages through Redis');

  const mq = new MQEmitterRedis({
    subConn: connections.sub,
    pubConn: connections.pub,
    // as aedes' own in-memory queue: `a/#` matches `a` ([MQTT-4.7.1-3])
    matchEmptyLevels: true,
  });
  // mqemitter-redis re-emits its connections' errors here; without a listener they would throw
  mq.state.on('error', () => undefined);
  const relay = mq.emit.bind(mq) as (packet: MqPacket, cb?: MqCallback) => void;
  // the queue's local delivery, without Redis (mqemitter-redis keeps MQEmitter's own as `_emit`)
  const local = (mq as unknown as { _emit: (packet: MqPacket, cb?: MqCallback) => void })._emit.bind(mq);
  const deliverLocally = (packet: MqPacket, cb?: MqCallback) => {
    relayFailed.inc();
    local(packet, cb);
  };
  (mq as unknown as { emit: (packet: MqPacket, cb?: MqCallback) => void }).emit = (packet, cb) => {
    if (closing || connections.pub.status !== 'ready') return deliverLocally(packet, cb);
    relay(packet, (err) => (err ? deliverLocally(packet, cb) : cb?.()));
  };

  /**
   * A subscription asked for while Redis was down failed (fast, see `sub`); ioredis subscribes
   * again only to what succeeded. So every channel this broker's queue listens on is asked for
   * again (Redis takes a repeated SUBSCRIBE as a no-op).
   */
  const resubscribe = () => {
    const wanted = Object.keys((mq as unknown as { _topics: Record<string, number> })._topics);
    for (const channel of wanted) {
      const asked = channel.includes('*')
        ? connections.sub.psubscribe(channel)
        : connections.sub.subscribe(channel);
      asked.catch((err: unknown) => log.warn({ err }, 'subscribing again after the outage failed'));
    }
  };
  restored.push(resubscribe);

  /** ends a connection now: QUIT when Redis answers, else at once */
  const end = async (c: Redis) => {
    if (c.status === 'end') return;
    if (c.status === 'ready') {
      try {
        await withTimeout(c.quit(), 1000);
        return;
      } catch {
        // fall through
      }
    }
    c.disconnect();
  };
  // aedes.close() ends the queue; mqemitter-redis' own close waits for an 'end' that a
  // connection already ended never sends, and leaves QUIT's rejection unhandled while Redis is down
  const closeQueue = (mq as unknown as { _close: (cb: () => void) => void })._close.bind(mq);
  (mq as unknown as { close: (cb?: () => void) => void }).close = (cb) => {
    closing = true;
    (mq as unknown as { closing: boolean }).closing = true;
    void Promise.all([end(connections.sub), end(connections.pub)]).then(() =>
      closeQueue(cb ?? (() => undefined)),
    );
  };

  return {
    mq,
    // aedes-persistence-redis does not await every command it sends (a will's list, say): such a
    // command failing at shutdown, with Redis down, must not be an unhandled rejection
    persistence: redisPersistence({ conn: handledRejections(connections.state) }),
    connected,
    onRestored(listener) {
      restored.push(listener);
      return () => {
        const i = restored.indexOf(listener);
        if (i >= 0) restored.splice(i, 1);
      };
    },
    async close() {
      closing = true;
      // aedes.close() ended `sub` and `pub` through mq.close(); `state` is what is left
      await Promise.all(all.map(end));
    },
  };
}

/**
 * The connection, with a do-nothing handler added to every command's promise: the caller still
 * sees the rejection when it awaits, and one it does not await is no longer unhandled.
 */
function handledRejections(conn: Redis): Redis {
  return new Proxy(conn, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) result.catch(() => undefined);
        return result;
      };
    },
  });
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
