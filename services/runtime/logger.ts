import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The root logger. Parts take a child (`logger.child({ part: 'ingest' })`).
 * Never log a reading's content, a name, a CPR number or a secret: log ids and reasons.
 */
export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  if (options.pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino({
    level,
    redact: { paths: ['password', 'secret', '*.password', '*.secret'], censor: '[redacted]' },
  });
}

/** A logger that discards everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
