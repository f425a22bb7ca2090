import pino, { type Logger } from 'pino';

export type { Logger };

/** what the log output held back: lines dropped because whatever reads it stopped reading */
export interface LogOutput {
  /** lines dropped since start */
  dropped(): number;
  /** called once per dropped line; returns what stops listening */
  onDrop(listener: () => void): () => void;
  /**
   * For the end of the process: waits up to `ms` for the output to take what is waiting, then lets
   * go of the rest, so that a reader that does not read cannot keep a stopping process alive.
   * Resolves true when everything was written.
   */
  close(ms: number): Promise<boolean>;
}

/** the bounded output of each root logger made by `createLogger` (its children share it) */
const outputs = new WeakMap<Logger, LogOutput>();

/** bytes of log lines held while the output does not take them, by default (LOG_BUFFER_BYTES) */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * The root logger. Parts take a child (`logger.child({ part: 'ingest' })`).
 * Never log a reading's content, a name, a CPR number or a secret: log ids and reasons.
 *
 * Lines are written to stdout without ever holding up the event loop, and at most `bufferBytes` of
 * them wait in memory while whatever reads the output (a log shipper, a terminal, `docker logs`)
 * does not take them: a stalled reader, with lines coming faster than it takes them, must not grow
 * the platform's memory until it dies (refusals, which anyone can cause, are logged up to a budget:
 * `LogBudget`). Lines beyond that are dropped and counted
 * (`logOutputOf`, `tryghed_log_lines_dropped_total`), and once the output takes lines again a
 * warning says how many were lost. A kill -9 loses the lines not yet written (at most the buffer).
 */
export function createLogger(
  options: { level?: string; pretty?: boolean; bufferBytes?: number } = {},
): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  if (options.pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  const maxLength = options.bufferBytes ?? LOG_BUFFER_BYTES;
  const destination = pino.destination({ dest: 1, sync: false, minLength: 0, maxLength });
  const logger = pino(
    {
      level,
      redact: { paths: ['password', 'secret', '*.password', '*.secret'], censor: '[redacted]' },
    },
    destination,
  );
  let dropped = 0;
  /** dropped and not yet reported in the log */
  let unreported = 0;
  const listeners = new Set<() => void>();
  destination.on('drop', () => {
    dropped++;
    unreported++;
    for (const listener of listeners) listener();
  });
  // The output moves again: say what was lost, once there is room for the saying (else the warning
  // would be dropped too, and counted, and said again).
  destination.on('write', () => {
    if (unreported === 0 || bufferedBytes(destination) > maxLength / 2) return;
    const lost = unreported;
    unreported = 0;
    logger.warn(
      { dropped: lost, droppedSinceStart: dropped },
      'log lines dropped while the log output was blocked',
    );
  });
  outputs.set(logger, {
    dropped: () => dropped,
    onDrop(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close(ms) {
      // sonic-boom's own flush does not wait when lines are written as they come (minLength 0)
      const deadline = Date.now() + ms;
      while (bufferedBytes(destination) > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      if (bufferedBytes(destination) === 0) return true;
      // what is left is lost; pino's flush at exit then finds the output destroyed and skips it
      destination.destroy();
      return false;
    },
  });
  return logger;
}

/** the bounded output of a logger made by `createLogger`; undefined for any other logger */
export function logOutputOf(logger: Logger): LogOutput | undefined {
  return outputs.get(logger);
}

/** bytes waiting in sonic-boom's buffer (its `_len`; 0 when a version does not have it) */
function bufferedBytes(destination: object): number {
  const len = (destination as { _len?: unknown })._len;
  return typeof len === 'number' ? len : 0;
}

/** A logger that discards everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
