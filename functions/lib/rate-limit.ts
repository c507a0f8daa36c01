/**
 * A per-client token bucket with an injected clock and bounded memory, for public endpoints
 * (collect's POST /api/event; query can reuse it). Pure: no timers, no I/O.
 *
 * Each key (a client address, a token…) has a bucket of `burst` tokens that refills at
 * `ratePerSecond`. A request takes `cost` tokens or is refused with the time until it would fit.
 * Memory is bounded by `maxKeys`: buckets live in a Map kept in least-recently-used order, and when it
 * is full the least recently used bucket is forgotten. A forgotten client starts again with a full
 * bucket, which errs on the side of letting traffic through; an attacker cycling through more than
 * `maxKeys` addresses gets at most `burst` requests per address per cycle.
 */

export interface RateLimitOptions {
  /** Tokens added per second (the sustained rate). Must be > 0. */
  ratePerSecond: number;
  /** Bucket size: how many requests a client may send at once after being idle. Must be >= 1. */
  burst: number;
  /** Most buckets kept at once (default 100,000: about 10 MB). */
  maxKeys?: number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
}

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from `key`'s bucket, or refuses without taking any. */
  take(key: string, cost?: number): RateDecision;
  /** Buckets currently held (for tests and metrics). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimitConfigError extends Error {
  override readonly name = 'RateLimitConfigError';
}

export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  const { ratePerSecond, burst } = opts;
  const maxKeys = opts.maxKeys ?? 100_000;
  const now = opts.now ?? (() => performance.now());
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RateLimitConfigError('ratePerSecond must be a positive number');
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RateLimitConfigError('burst must be a number >= 1');
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RateLimitConfigError('maxKeys must be a positive integer');
  const perMs = ratePerSecond / 1000;
  const buckets = new Map<string, Bucket>();

  return {
    take(key, cost = 1) {
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        b = { tokens: burst, at: t };
        if (buckets.size >= maxKeys) {
          const oldest = buckets.keys().next();
          if (oldest.done !== true) buckets.delete(oldest.value);
        }
      } else {
        // A clock that went backwards refills nothing rather than draining the bucket.
        b.tokens = Math.min(burst, b.tokens + Math.max(0, t - b.at) * perMs);
        b.at = t;
        buckets.delete(key); // re-inserted below: Map order is least recently used first
      }
      buckets.set(key, b);
      if (b.tokens >= cost) {
        b.tokens -= cost;
        return { allowed: true, remaining: Math.floor(b.tokens) };
      }
      return { allowed: false, retryAfterMs: Math.ceil((cost - b.tokens) / perMs) };
    },
    size: () => buckets.size,
  };
}
