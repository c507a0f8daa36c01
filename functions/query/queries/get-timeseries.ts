/** Site totals (dimension '') per bucket of a range; buckets without a row are absent (the route fills zeros). */
import type { Grain } from '../../lib/time';
import { counters, num, sumCounters, type Counters } from './rows';
import type { Reader } from './reader';

export interface TimeseriesRow extends Counters {
  bucket: number;
}

export async function getTimeseries(read: Reader, siteId: number, grain: Grain, from: number, to: number): Promise<TimeseriesRow[]> {
  const rows = await read.select(
    `SELECT bucket, ${sumCounters()}
     FROM rollups
     WHERE site_id = :siteId AND grain = :grain AND dimension = '' AND bucket >= :from AND bucket < :to
     GROUP BY bucket ORDER BY bucket`,
    { siteId, grain, from, to },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), ...counters(r) }));
}
