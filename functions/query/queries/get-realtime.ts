/** Pageviews per minute bucket (site totals) in [from, to); minutes without a row are absent. */
import { num } from './rows';
import type { Reader } from './reader';

export interface RealtimeRow {
  bucket: number;
  pageviews: number;
}

export async function getRealtime(read: Reader, siteId: number, from: number, to: number): Promise<RealtimeRow[]> {
  const rows = await read.select(
    `SELECT bucket, SUM(pageviews) AS pageviews
     FROM rollups
     WHERE site_id = :siteId AND grain = 'm' AND dimension = '' AND bucket >= :from AND bucket < :to
     GROUP BY bucket ORDER BY bucket`,
    { siteId, from, to },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), pageviews: num(r.pageviews) }));
}
