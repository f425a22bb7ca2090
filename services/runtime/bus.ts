import type { Logger } from 'pino';

/**
 * Typed events between parts. A failing listener is logged and the others still run:
 * one broken subscriber must never stop an alert reaching the dashboard.
 */
export class EventBus<Events extends Record<string, unknown>> {
  private listeners: { [K in keyof Events]?: Array<(event: Events[K]) => void | Promise<void>> } = {};

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void | Promise<void>): () => void {
    const list = this.listeners[name] ?? [];
    this.listeners[name] = list;
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    for (const listener of this.listeners[name] ?? []) {
      try {
        const result = listener(event);
        if (result instanceof Promise) {
          result.catch((err: unknown) =>
            this.logger.error({ err, event: String(name) }, 'event listener failed'),
          );
        }
      } catch (err) {
        this.logger.error({ err, event: String(name) }, 'event listener failed');
      }
    }
  }
}
