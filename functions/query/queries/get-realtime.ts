/** Pageviews per minute bucket (site totals) in [from, to); minutes without a row are absent. */
import type { Database } from '../../lib/db';
import { num, select } from './rows';

export interface RealtimeRow {
  bucket: number;
  pageviews: number;
}

export async function getRealtime(db: Database, siteId: number, from: number, to: number): Promise<RealtimeRow[]> {
  const rows = await select(
    db,
    `SELECT bucket, SUM(pageviews) AS pageviews
     FROM rollups
     WHERE site_id = :siteId AND grain = 'm' AND dimension = '' AND bucket >= :from AND bucket < :to
     GROUP BY bucket ORDER BY bucket`,
    { siteId, from, to },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), pageviews: num(r.pageviews) }));
}
