/**
 * Who may read a site. The rule (ARCHITECTURE.md "Stats API", "Access"):
 * - a public site answers everyone; a token sent with it is not checked;
 * - a private site needs `Authorization: Bearer <token>` whose sha256 hex is an unrevoked row of
 *   site_tokens for that site: no (or a malformed) Authorization → 401, any other token → 403;
 * - a hostname that is not registered answers exactly like a private site (401 without a token,
 *   403 with one, same messages), and runs the same token query, so no response tells whether a
 *   private site exists. The API therefore never answers 404 for a site.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../lib/db';
import { ApiError } from './errors';
import { getSite, type SiteRow } from './queries/get-site';
import { getTokenSiteIds } from './queries/get-token-site-ids';

const MAX_TOKEN_LENGTH = 512;

/** A bearer token read from the Authorization header: absent, malformed, or present. */
export type Bearer = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; hash: string };

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** RFC 6750 §2.1: `Bearer <b64token>`; the token itself is hashed at once and never kept or logged. */
export function readBearer(header: string | undefined): Bearer {
  if (header === undefined || header === '') return { kind: 'none' };
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (m === null || m[1]!.length > MAX_TOKEN_LENGTH) return { kind: 'malformed' };
  return { kind: 'token', hash: sha256Hex(m[1]!) };
}

const SITE_MESSAGE = 'this site needs a valid API token, or is not registered';

export function unauthorized(message = SITE_MESSAGE): ApiError {
  return new ApiError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="wtm"' });
}

export function forbidden(): ApiError {
  return new ApiError(403, 'forbidden', SITE_MESSAGE, { 'WWW-Authenticate': 'Bearer realm="wtm", error="invalid_token"' });
}

export interface SiteAccess {
  site: SiteRow;
  /** The answer may be shared with any origin (`Access-Control-Allow-Origin: *` is allowed). */
  isPublicData: boolean;
}

/** Resolves a site for a request or throws 401/403 by the rule above. */
export async function authorizeSite(db: Database, hostname: string, bearer: Bearer): Promise<SiteAccess> {
  const site = await getSite(db, hostname);
  if (site?.isPublic === true) return { site, isPublicData: true };
  if (bearer.kind !== 'token') throw unauthorized();
  // Run the token query for unknown sites too, so both take the same path.
  const opened = await getTokenSiteIds(db, bearer.hash);
  if (site === undefined || !opened.has(site.id)) throw forbidden();
  return { site, isPublicData: false };
}
