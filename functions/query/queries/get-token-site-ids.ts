/** The sites an API token opens: its unrevoked rows in site_tokens, found by the token's sha256. */
import type { Database } from '../../lib/db';
import { num, select } from './rows';

export async function getTokenSiteIds(db: Database, tokenHash: string): Promise<Set<number>> {
  const rows = await select(db, 'SELECT site_id FROM site_tokens WHERE token_hash = :tokenHash AND revoked_at IS NULL', { tokenHash });
  return new Set(rows.map((r) => num(r.site_id)));
}
