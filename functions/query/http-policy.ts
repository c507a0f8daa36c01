/**
 * Pure HTTP policies of the stats API: CORS allowlist, cache lifetimes and weak ETags.
 */
import { createHash } from 'node:crypto';
import type { ResolvedPeriod } from './period';

/** WTM_CORS_ORIGINS parsed: exact origins, and whether `*` may be used for public data. */
export interface CorsPolicy {
  origins: ReadonlySet<string>;
  anyForPublic: boolean;
}

export function parseCorsOrigins(value: string | undefined): CorsPolicy {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const origins = new Set<string>();
  let anyForPublic = false;
  for (const item of items) {
    if (item === '*') {
      anyForPublic = true;
      continue;
    }
    let u: URL;
    try {
      u = new URL(item);
    } catch {
      throw new Error(`WTM_CORS_ORIGINS: "${item}" is not an origin such as https://blog.example.com`);
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== item.replace(/\/$/, '')) {
      throw new Error(`WTM_CORS_ORIGINS: "${item}" is not an origin (scheme://host[:port], no path)`);
    }
    origins.add(u.origin);
  }
  return { origins, anyForPublic };
}

/**
 * CORS response headers. An allowlisted origin may read everything, with the Authorization header;
 * with `*` any other origin may read public data only, and never send a token (the preflight does not
 * allow the header), so private figures stay with the allowlist.
 */
export function corsHeaders(
  policy: CorsPolicy,
  origin: string | undefined,
  isPublicData: boolean,
  preflight: boolean,
): Record<string, string> {
  if (origin === undefined) return {};
  const h: Record<string, string> = {};
  if (policy.origins.has(origin)) {
    h['Access-Control-Allow-Origin'] = origin;
    if (preflight) h['Access-Control-Allow-Headers'] = 'Authorization, If-None-Match';
  } else if (policy.anyForPublic && (isPublicData || preflight)) {
    h['Access-Control-Allow-Origin'] = '*';
    if (preflight) h['Access-Control-Allow-Headers'] = 'If-None-Match';
  } else {
    return {};
  }
  if (preflight) {
    h['Access-Control-Allow-Methods'] = 'GET, HEAD, OPTIONS';
    h['Access-Control-Max-Age'] = '600';
  } else {
    h['Access-Control-Expose-Headers'] = 'ETag';
  }
  return h;
}

/** Seconds a stats answer may be reused: short while the range still grows, longer once it is closed. */
export const MAX_AGE = { realtime: 10, open: 60, openDays: 120, closed: 3600, sites: 60, document: 300 } as const;

export function periodMaxAge(p: ResolvedPeriod, isToday: boolean): number {
  if (p.closed) return MAX_AGE.closed;
  return p.hourly || isToday ? MAX_AGE.open : MAX_AGE.openDays;
}

/** A weak validator (RFC 9110 §8.8.1): equal bodies give equal tags. */
export function weakEtag(body: string | Uint8Array): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** RFC 9110 §13.1.2: If-None-Match uses weak comparison; `*` matches any current representation. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}
