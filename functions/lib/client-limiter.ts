/**
 * A per-client token bucket for the bounded server (functions/lib/http-server.ts): `ratePerSecond`
 * tokens a second, at most `burst` saved up. Memory is bounded: at most `maxClients` buckets are
 * kept; when full, buckets that have refilled completely (they equal a new bucket) are dropped first,
 * then the least recently used.
 */
import type { ClientRateLimiter } from './http-server';

export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createClientLimiter(opts: TokenBucketOptions): ClientRateLimiter {
  const maxClients = opts.maxClients ?? 100_000;
  const perMs = opts.ratePerSecond / 1000;
  // Map iteration order is insertion order: re-inserting on use makes the first entry the least recent.
  const buckets = new Map<string, Bucket>();
  const refill = (b: Bucket, now: number): void => {
    b.tokens = Math.min(opts.burst, b.tokens + Math.max(0, now - b.at) * perMs);
    b.at = now;
  };
  const evict = (now: number): void => {
    for (const [k, b] of buckets) {
      refill(b, now);
      if (b.tokens >= opts.burst) buckets.delete(k);
      if (buckets.size < maxClients * 0.9) return;
    }
    while (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value as string);
  };
  return {
    take(key, now) {
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxClients) evict(now);
        b = { tokens: opts.burst, at: now };
      } else {
        buckets.delete(key);
        refill(b, now);
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterMs: Math.ceil((1 - b.tokens) / perMs) };
    },
  };
}
