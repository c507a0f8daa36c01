/** The site registered under a hostname (or none). */
import type { Database } from '../../lib/db';
import { bool, num, select, str } from './rows';

export interface SiteRow {
  id: number;
  hostname: string;
  timezone: string;
  isPublic: boolean;
}

export async function getSite(db: Database, hostname: string): Promise<SiteRow | undefined> {
  const rows = await select(db, 'SELECT id, hostname, timezone, is_public FROM sites WHERE hostname = :hostname', { hostname });
  const r = rows[0];
  if (r === undefined) return undefined;
  return { id: num(r.id), hostname: str(r.hostname), timezone: str(r.timezone), isPublic: bool(r.is_public) };
}
