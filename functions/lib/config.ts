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

/** The targets that face the internet: small bodies, a rate limit by default. */
export const PUBLIC_TARGETS: readonly string[] = ['query', 'collect'];

export interface HttpServerConfig {
  port: number;
  limits: {
    maxBodyBytes: number;
    maxHeaderBytes: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  /** Requests per second per client; 0 = no limit. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** `WTM_TRUSTED_PROXIES`, unparsed (functions/lib/http-server.ts parses it). */
  trustedProxies: string;
}

/**
 * The bounded server's settings (ARCHITECTURE.md "Configuration"). Public targets take bodies up to
 * 128 KiB (an event is at most 96 KiB, events/limits.ts) and are rate-limited per client by default
 * (query: 10 requests/s, bursts of 60); internal ones take a Kafka record (1 MiB) plus headroom.
 */
export function readHttpServerConfig(env: Env, target: string): Readonly<HttpServerConfig> {
  const isPublic = PUBLIC_TARGETS.includes(target);
  const rate = envInt(env, 'WTM_RATE_LIMIT_PER_SECOND', target === 'query' ? 10 : 0, { max: 1_000_000 });
  return Object.freeze({
    port: envInt(env, 'PORT', 8080, { max: 65535 }),
    limits: Object.freeze({
      maxBodyBytes: envInt(env, 'WTM_HTTP_MAX_BODY_BYTES', isPublic ? 128 * 1024 : 1024 * 1024 + 64 * 1024, { min: 1024 }),
      maxHeaderBytes: envInt(env, 'WTM_HTTP_MAX_HEADER_BYTES', 16 * 1024, { min: 1024, max: 1024 * 1024 }),
      headersTimeoutMs: envInt(env, 'WTM_HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 100 }),
      requestTimeoutMs: envInt(env, 'WTM_HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 100 }),
      keepAliveTimeoutMs: envInt(env, 'WTM_HTTP_KEEPALIVE_TIMEOUT_MS', 5_000, { min: 100 }),
      maxConnections: envInt(env, 'WTM_HTTP_MAX_CONNECTIONS', 16_384, { min: 1 }),
    }),
    rateLimitPerSecond: rate,
    rateLimitBurst: envInt(env, 'WTM_RATE_LIMIT_BURST', Math.max(1, rate * 6), { min: 1 }),
    trustedProxies: envOptional(env, 'WTM_TRUSTED_PROXIES') ?? '',
  });
}
