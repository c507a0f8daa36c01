/** Sites a caller may list: every public site plus those its token (by sha256 hex; '' for none) opens. */
import type { Database } from '../../lib/db';
import { bool, select, str } from './rows';

export interface ListedSite {
  site: string;
  timezone: string;
  public: boolean;
}

export async function getSites(db: Database, tokenHash: string): Promise<ListedSite[]> {
  const rows = await select(
    db,
    `SELECT s.hostname, s.timezone, s.is_public FROM sites s
     WHERE s.is_public <> 0
        OR EXISTS (SELECT 1 FROM site_tokens t WHERE t.site_id = s.id AND t.token_hash = :tokenHash AND t.revoked_at IS NULL)
     ORDER BY s.hostname`,
    { tokenHash },
  );
  return rows.map((r) => ({ site: str(r.hostname), timezone: str(r.timezone), public: bool(r.is_public) }));
}
