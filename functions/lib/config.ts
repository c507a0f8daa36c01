/**
 * Small helpers for each runnable's `config.ts`: read one variable, validate it, and fail before
 * anything listens with a message that names the variable and the expected form.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The value, or `fallback` when unset or empty. Throws ConfigError when required and missing. */
export function envString(env: Env, name: string, opts: { fallback?: string; pattern?: RegExp; hint?: string } = {}): string {
  const raw = env[name];
  const value = raw === undefined || raw.trim() === '' ? opts.fallback : raw.trim();
  if (value === undefined) throw new ConfigError(`${name} is required${opts.hint === undefined ? '' : `: ${opts.hint}`}`);
  if (opts.pattern !== undefined && !opts.pattern.test(value)) {
    throw new ConfigError(`${name}="${value.slice(0, 80)}" is invalid${opts.hint === undefined ? '' : `: ${opts.hint}`}`);
  }
  return value;
}

/** The value, or undefined when unset or empty. */
export function envOptional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** KAFKA_BROKERS-style list: `host:port,host:port`. */
export function parseBrokers(value: string, name = 'KAFKA_BROKERS'): string[] {
  const brokers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = brokers.filter((b) => !HOST_PORT.test(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw new ConfigError(`${name} must be a comma-separated list of host:port, e.g. 127.0.0.1:9092 (bad: ${bad.join(', ') || 'empty'})`);
  }
  return brokers;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function envLogLevel(env: Env, name = 'LOG_LEVEL'): LogLevel {
  const value = envString(env, name, { fallback: 'info' }).toLowerCase();
  const level = LOG_LEVELS.find((l) => l === value);
  if (level === undefined) throw new ConfigError(`${name}="${value}" is invalid: one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** A non-negative integer variable, or `fallback` when unset. */
export function envInt(env: Env, name: string, fallback: number, opts: { min?: number; max?: number } = {}): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}="${raw.slice(0, 40)}" is invalid: an integer from ${min} to ${max}`);
  }
  return n;
}
