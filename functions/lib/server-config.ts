/**
 * The bounded server's configuration (functions/lib/http-server.ts), read once by the entry
 * (functions/index.ts) when it runs the server itself. Kept apart from the functions' own config so
 * that only the entry reads these variables.
 */
import { ConfigError, envInt, envOptional, type Env } from './config';
import type { HttpLimits } from './http-server';

/**
 * Whose `X-Forwarded-For` is believed by default: loopback (Knative's queue-proxy sidecar connects from
 * 127.0.0.1) and the private ranges cluster pods (ingress, activator) live in. Without this every
 * request in Knative would come from 127.0.0.1 and share one rate-limit bucket. A deployment whose
 * clients connect directly from private addresses sets WTM_TRUSTED_PROXIES to its proxies only.
 */
export const DEFAULT_TRUSTED_PROXIES = '127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7';

/** The targets that face the internet: small bodies, a rate limit by default. */
export const PUBLIC_TARGETS: readonly string[] = ['query', 'collect'];

export interface HttpServerConfig {
  port: number;
  limits: HttpLimits;
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
  const headersTimeoutMs = envInt(env, 'WTM_HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 100 });
  const requestTimeoutMs = envInt(env, 'WTM_HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 100 });
  // Node refuses a headers timeout longer than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `WTM_HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed WTM_HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return Object.freeze({
    port: envInt(env, 'PORT', 8080, { max: 65535 }),
    limits: Object.freeze({
      maxBodyBytes: envInt(env, 'WTM_HTTP_MAX_BODY_BYTES', isPublic ? 128 * 1024 : 1024 * 1024 + 64 * 1024, { min: 1024 }),
      maxHeaderBytes: envInt(env, 'WTM_HTTP_MAX_HEADER_BYTES', 16 * 1024, { min: 1024, max: 1024 * 1024 }),
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs: envInt(env, 'WTM_HTTP_KEEPALIVE_TIMEOUT_MS', 5_000, { min: 100 }),
      maxConnections: envInt(env, 'WTM_HTTP_MAX_CONNECTIONS', 16_384, { min: 1 }),
      maxPendingConnections: envInt(env, 'WTM_HTTP_MAX_PENDING_CONNECTIONS', 1_024, { min: 1 }),
    }),
    rateLimitPerSecond: rate,
    rateLimitBurst: envInt(env, 'WTM_RATE_LIMIT_BURST', Math.max(1, rate * 6), { min: 1 }),
    trustedProxies: envOptional(env, 'WTM_TRUSTED_PROXIES') ?? DEFAULT_TRUSTED_PROXIES,
  });
}
