import type { Logger, Metrics } from '../runtime/index.ts';

/**
 * What may travel as an event payload: plain JSON (strings, numbers, booleans, null, arrays and
 * plain objects). No functions, class instances, Maps, Sets, Dates or Buffers, so an event can
 * later cross a process boundary (Redis, MQTT) unchanged. Checked by the type of `EventBus`; a
 * test round-trips every kind through `JSON`.
 */
export type JsonSafe<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends (...args: never[]) => unknown
    ? never
    : T extends Map<unknown, unknown> | Set<unknown> | Date | RegExp | Uint8Array | Promise<unknown>
      ? never
      : T extends readonly (infer U)[]
        ? readonly JsonSafe<U>[]
        : T extends object
          ? { [K in keyof T]: JsonSafe<T[K]> }
          : never;

/** Event name → payload. Names are `part/what-happened`, shaped like an MQTT topic. */
export type EventMap<M> = { [K in keyof M]: JsonSafe<M[K]> };

/** A listener may return a promise; a rejection is logged and counted like a throw. */
export type EventListener<P> = (payload: P) => unknown;

interface Subscribers {
  /** replaced, never changed in place, so an emit under way keeps the list it started with */
  listeners: ReadonlyArray<EventListener<never>>;
  /** made once per event name, so a listener returning a promise costs no new closure per event */
  rejected: (err: unknown) => void;
}

export interface EventBusOptions {
  logger: Logger;
  metrics?: Metrics;
}

/**
 * One typed bus for in-process events between parts (zigbee2mqtt's `lib/eventBus.ts` is the model).
 * `emit` calls every listener at once, synchronously, in subscription order: the reading path is
 * the alarm path, so there is no hop through the event loop. A listener that throws or rejects is
 * logged and counted (`tryghed_event_listener_failures_total`), and the others are still called:
 * one broken part never silences another.
 */
export class EventBus<M extends EventMap<M>> {
  private readonly subscribers = new Map<keyof M, Subscribers>();
  private readonly failures;
  private failed = 0;

  constructor(private readonly o: EventBusOptions) {
    this.failures = o.metrics?.counter(
      'tryghed_event_listener_failures_total',
      'Event listeners that threw or rejected, by event',
      ['event'],
    );
  }

  /** Calls `listener` with every later `name` event; returns the unsubscribe. */
  on<K extends keyof M>(name: K, listener: EventListener<M[K]>): () => void {
    const subscribers = this.subscribersOf(name);
    subscribers.listeners = [...subscribers.listeners, listener as EventListener<never>];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const i = subscribers.listeners.indexOf(listener as EventListener<never>);
      if (i >= 0) subscribers.listeners = subscribers.listeners.filter((_, j) => j !== i);
    };
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    const subscribers = this.subscribers.get(name);
    if (!subscribers) return;
    const listeners = subscribers.listeners as ReadonlyArray<EventListener<M[K]>>;
    for (let i = 0; i < listeners.length; i++) {
      try {
        const result = listeners[i]!(payload);
        if (result instanceof Promise) result.catch(subscribers.rejected);
      } catch (err) {
        this.fail(name, err);
      }
    }
  }

  /** Listeners subscribed to `name`, or to every event when no name is given (for lifecycle tests). */
  listenerCount(name?: keyof M): number {
    if (name !== undefined) return this.subscribers.get(name)?.listeners.length ?? 0;
    let n = 0;
    for (const s of this.subscribers.values()) n += s.listeners.length;
    return n;
  }

  /** Listener failures since this bus was made (also counted in metrics when it has them). */
  failureCount(): number {
    return this.failed;
  }

  private subscribersOf(name: keyof M): Subscribers {
    let subscribers = this.subscribers.get(name);
    if (!subscribers) {
      subscribers = { listeners: [], rejected: (err) => this.fail(name, err) };
      this.subscribers.set(name, subscribers);
    }
    return subscribers;
  }

  private fail(name: keyof M, err: unknown): void {
    this.failed++;
    this.failures?.inc({ event: String(name) });
    this.o.logger.error({ err, event: String(name) }, 'event listener failed');
  }
}
