/** Structured JSON logs (pino): decisions, ids and durations; never payloads, IPs, user agents or tokens. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      base: { function: opts.name },
      redact: {
        paths: ['token', 'authorization', 'headers.authorization', 'req.headers.authorization', 'ip', 'userAgent'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = pino({ level: 'silent' });
