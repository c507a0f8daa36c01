/** The site registered under a hostname (or none). */
import type { Database } from '../../lib/db';
import { singleFlight } from '../../lib/single-flight';
import { bool, num, select, str } from './rows';

export interface SiteRow {
  id: number;
  hostname: string;
  timezone: string;
  isPublic: boolean;
}

const lookups = new WeakMap<Database, (hostname: string) => Promise<SiteRow | undefined>>();

/** Concurrent lookups of one hostname on one database share a query (lib/single-flight.ts: never a stale answer). */
export function getSite(db: Database, hostname: string): Promise<SiteRow | undefined> {
  let lookup = lookups.get(db);
  if (lookup === undefined) {
    lookup = singleFlight(
      (h: string) => h,
      (h: string) => selectSite(db, h),
    );
    lookups.set(db, lookup);
  }
  return lookup(hostname);
}

async function selectSite(db: Database, hostname: string): Promise<SiteRow | undefined> {
  const rows = await select(db, 'SELECT id, hostname, timezone, is_public FROM sites WHERE hostname = :hostname', { hostname });
  const r = rows[0];
  if (r === undefined) return undefined;
  return { id: num(r.id), hostname: str(r.hostname), timezone: str(r.timezone), isPublic: bool(r.is_public) };
}
