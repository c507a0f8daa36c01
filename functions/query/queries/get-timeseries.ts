/** Site totals (dimension '') per bucket of a range; buckets without a row are absent (the route fills zeros). */
import type { Database } from '../../lib/db';
import type { Grain } from '../../lib/time';
import { counters, num, select, sumCounters, type Counters } from './rows';

export interface TimeseriesRow extends Counters {
  bucket: number;
}

export async function getTimeseries(db: Database, siteId: number, grain: Grain, from: number, to: number): Promise<TimeseriesRow[]> {
  const rows = await select(
    db,
    `SELECT bucket, ${sumCounters()}
     FROM rollups
     WHERE site_id = :siteId AND grain = :grain AND dimension = '' AND bucket >= :from AND bucket < :to
     GROUP BY bucket ORDER BY bucket`,
    { siteId, grain, from, to },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), ...counters(r) }));
}
