/**
 * The site registry in SQL: hostname, time zone, public/private, and API tokens of which only the
 * SHA-256 is stored. The query API checks tokens here; enrich and aggregate look sites up through
 * `createCachedSiteLookup` (a SiteLookup, functions/sites/types.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { hostnameSchema } from '../../events';
import type { Database } from '../lib/db';
import { isValidTimeZone } from '../lib/time';
import type { SiteInfo, SiteLookup } from './types';

/** A bad argument to the registry (unknown site, invalid hostname or zone): say what to fix. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

export interface TokenInfo {
  id: number;
  label: string;
  /** The first 12 hex chars of the token's SHA-256: what `revokeToken` accepts besides the token. */
  hashPrefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface SiteRegistry {
  /** Registers a site, or updates its time zone and visibility (idempotent). */
  add(site: { hostname: string; timezone: string; isPublic: boolean }): Promise<SiteInfo>;
  get(hostname: string): Promise<SiteInfo | undefined>;
  list(): Promise<SiteInfo[]>;
  setPublic(hostname: string, isPublic: boolean): Promise<SiteInfo>;
  /** Removes the site, its tokens and goals; its stored statistics stay but are no longer reachable. */
  remove(hostname: string): Promise<boolean>;
  /** A new token (32 random bytes, base64url); only its SHA-256 is stored, so this is the one chance to read it. */
  createToken(hostname: string, label?: string): Promise<string>;
  listTokens(hostname: string): Promise<TokenInfo[]>;
  /** Revokes by the token itself or a unique prefix (≥ 8 hex chars) of its hash; returns how many were revoked. */
  revokeToken(hostname: string, tokenOrPrefix: string): Promise<number>;
  /** True when `token` is a live (not revoked) token of the site. */
  verifyToken(hostname: string, token: string): Promise<boolean>;
}

interface SiteRow {
  id: number;
  hostname: string;
  timezone: string;
  is_public: number | boolean;
}

const toInfo = (r: SiteRow): SiteInfo => ({ id: Number(r.id), hostname: r.hostname, timezone: r.timezone, isPublic: Boolean(r.is_public) });

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function createSiteRegistry(db: Database, opts: { now?: () => number } = {}): SiteRegistry {
  const now = opts.now ?? Date.now;
  const { sequelize, dialect } = db;
  const select = <T extends object>(sql: string, replacements: unknown[]) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  const run = (sql: string, replacements: unknown[]) => sequelize.query(sql, { replacements });

  const get = async (hostname: string): Promise<SiteInfo | undefined> => {
    const rows = await select<SiteRow>('SELECT id, hostname, timezone, is_public FROM sites WHERE hostname = ?', [hostname]);
    return rows[0] === undefined ? undefined : toInfo(rows[0]);
  };
  const mustGet = async (hostname: string): Promise<SiteInfo> => {
    const site = await get(hostname);
    if (site === undefined) throw new RegistryError(`site "${hostname}" is not registered (see \`npm run sites -- list\`)`);
    return site;
  };
  const liveHashes = async (siteId: number) =>
    (await select<{ token_hash: string }>('SELECT token_hash FROM site_tokens WHERE site_id = ? AND revoked_at IS NULL', [siteId])).map(
      (r) => r.token_hash,
    );

  return {
    get,
    async add({ hostname, timezone, isPublic }) {
      const h = hostnameSchema.safeParse(hostname);
      if (!h.success) throw new RegistryError(`hostname "${hostname}" ${h.error.issues[0]?.message ?? 'is invalid'}`);
      if (!isValidTimeZone(timezone)) throw new RegistryError(`time zone "${timezone}" is not an IANA zone such as Europe/Berlin or UTC`);
      const ins = dialect.insertIgnore(
        'sites',
        ['hostname', 'timezone', 'is_public', 'created_at'],
        [[hostname, timezone, isPublic, now()]],
      );
      await run(ins.sql, ins.replacements);
      await run('UPDATE sites SET timezone = ?, is_public = ? WHERE hostname = ?', [timezone, isPublic, hostname]);
      return mustGet(hostname);
    },
    async list() {
      return (await select<SiteRow>('SELECT id, hostname, timezone, is_public FROM sites ORDER BY hostname', [])).map(toInfo);
    },
    async setPublic(hostname, isPublic) {
      const site = await mustGet(hostname);
      await run('UPDATE sites SET is_public = ? WHERE id = ?', [isPublic, site.id]);
      return { ...site, isPublic };
    },
    async remove(hostname) {
      const site = await get(hostname);
      if (site === undefined) return false;
      await sequelize.transaction(async (transaction) => {
        await sequelize.query('DELETE FROM site_tokens WHERE site_id = ?', { replacements: [site.id], transaction });
        await sequelize.query('DELETE FROM goals WHERE site_id = ?', { replacements: [site.id], transaction });
        await sequelize.query('DELETE FROM sites WHERE id = ?', { replacements: [site.id], transaction });
      });
      return true;
    },
    async createToken(hostname, label = '') {
      const site = await mustGet(hostname);
      const token = randomBytes(32).toString('base64url');
      const ins = dialect.insert(
        'site_tokens',
        ['site_id', 'token_hash', 'label', 'created_at'],
        [[site.id, hashToken(token), label.slice(0, 100), now()]],
      );
      await run(ins.sql, ins.replacements);
      return token;
    },
    async listTokens(hostname) {
      const site = await mustGet(hostname);
      const rows = await select<{ id: number; label: string; token_hash: string; created_at: number; revoked_at: number | null }>(
        'SELECT id, label, token_hash, created_at, revoked_at FROM site_tokens WHERE site_id = ? ORDER BY id',
        [site.id],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        label: r.label,
        hashPrefix: r.token_hash.slice(0, 12),
        createdAt: Number(r.created_at),
        revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
      }));
    },
    async revokeToken(hostname, tokenOrPrefix) {
      const site = await mustGet(hostname);
      const isPrefix = /^[0-9a-f]{8,63}$/.test(tokenOrPrefix);
      const hashes = (await liveHashes(site.id)).filter(
        (h) => (isPrefix ? h.startsWith(tokenOrPrefix) : false) || h === hashToken(tokenOrPrefix),
      );
      if (hashes.length > 1) throw new RegistryError(`"${tokenOrPrefix}" matches ${hashes.length} tokens: give more of the hash`);
      if (hashes.length === 0) return 0;
      await run('UPDATE site_tokens SET revoked_at = ? WHERE site_id = ? AND token_hash = ? AND revoked_at IS NULL', [
        now(),
        site.id,
        hashes[0],
      ]);
      return 1;
    },
    async verifyToken(hostname, token) {
      const site = await get(hostname);
      if (site === undefined || token === '') return false;
      const candidate = Buffer.from(hashToken(token), 'hex');
      let ok = false;
      // compare against every live hash in constant time per comparison, without stopping early
      for (const h of await liveHashes(site.id)) ok = timingSafeEqual(candidate, Buffer.from(h, 'hex')) || ok;
      return ok;
    },
  };
}

/**
 * A SiteLookup over the registry with a time-to-live cache: hits and misses are both remembered
 * for `ttlMs`, so a site added or removed is noticed within that time, and concurrent lookups of
 * one hostname share one query.
 */
export function createCachedSiteLookup(
  registry: Pick<SiteRegistry, 'get'>,
  opts: { ttlMs: number; now?: () => number; maxEntries?: number },
): SiteLookup & { clear(): void } {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 10_000;
  const cache = new Map<string, { at: number; value: Promise<SiteInfo | undefined> }>();
  return {
    getSite(hostname) {
      const hit = cache.get(hostname);
      if (hit !== undefined && now() - hit.at < opts.ttlMs) return hit.value;
      const value = registry.get(hostname);
      if (cache.size >= max) cache.clear();
      cache.set(hostname, { at: now(), value });
      // a failed lookup (database down) must not be remembered
      value.catch(() => cache.delete(hostname));
      return value;
    },
    clear: () => cache.clear(),
  };
}
