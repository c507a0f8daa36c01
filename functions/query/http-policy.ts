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

/** Pages send no Referer: a dashboard URL may carry a share token (SECURITY.md "Share links are secrets"). */
export const REFERRER_POLICY = 'no-referrer';

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
const INLINE_STYLE = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;

const sha256Source = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of one of our HTML pages (CSP Level 3): scripts, styles, images, fonts and
 * requests from our own origin only, plus the page's own inline `<script>` and `<style>` blocks by
 * SHA-256 hash (computed from the page itself, so a page may be edited without touching the policy);
 * nothing else — no other origin, no inline event handlers, no eval, no plugins, no `<base>`, no forms
 * posting elsewhere. Any page served by the query function (dashboard, embed, demo pages) uses it.
 *
 * One allowance: `style` attributes (`style-src-attr 'unsafe-inline'`), which the elements' templates
 * set for bar widths, tooltip positions and skeleton heights. A style attribute runs no script, and
 * with images, fonts and requests limited to 'self' it cannot send anything to another origin.
 * Templates that set them through Lit's styleMap (CSSOM, not an attribute) would let it go.
 */
export function contentSecurityPolicy(html: string | Uint8Array): string {
  const text = typeof html === 'string' ? html : Buffer.from(html).toString('utf8');
  const scripts = new Set<string>();
  for (const m of text.matchAll(INLINE_SCRIPT)) {
    if (!/\bsrc\s*=/i.test(m[1] ?? '')) scripts.add(sha256Source(m[2] ?? ''));
  }
  const styles = new Set<string>();
  for (const m of text.matchAll(INLINE_STYLE)) styles.add(sha256Source(m[1] ?? ''));
  return [
    "default-src 'none'",
    ["script-src 'self'", ...scripts].join(' '),
    ["style-src 'self'", ...styles].join(' '),
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** Headers of a static file: every one sends no Referer; HTML pages also get their CSP. */
export function staticFileHeaders(contentType: string, body: Uint8Array): Record<string, string> {
  const h: Record<string, string> = { 'Referrer-Policy': REFERRER_POLICY };
  if (contentType.startsWith('text/html')) h['Content-Security-Policy'] = contentSecurityPolicy(body);
  return h;
}
