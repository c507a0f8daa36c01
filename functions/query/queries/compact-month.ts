/**
 * Writes one period's rows (grain 'c' month or 'w' week) of every dimension as the sums of its day rows,
 * replacing the period's previous rows, in one transaction. The only write of the query function: period rows
 * are a derived cache of the day rows (month-rollups.ts decides when to write them and when to trust them).
 */
import { DIMENSIONS, ROLLUP_COUNTERS } from '../../../events/vocabulary';
import type { Database } from '../../lib/db';
import type { Period } from '../months';

export async function compactPeriod(db: Database, siteId: number, p: Period): Promise<void> {
  const counters = ROLLUP_COUNTERS.join(', ');
  const sums = ROLLUP_COUNTERS.map((c) => `SUM(${c})`).join(', ');
  const replacements = { siteId, grain: p.grain, start: p.start, end: p.end, dimensions: ['', ...DIMENSIONS] };
  await db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query(`DELETE FROM rollups WHERE site_id = :siteId AND grain = :grain AND bucket = :start`, {
      replacements,
      transaction,
    });
    // value: every row of a value_key holds the same value (value_key is its hash), so MAX picks it.
    await db.sequelize.query(
      `INSERT INTO rollups (site_id, grain, dimension, bucket, value_key, value, ${counters})
       SELECT site_id, :grain, dimension, :start, value_key, MAX(value), ${sums}
       FROM rollups
       WHERE site_id = :siteId AND grain = 'd' AND dimension IN (:dimensions) AND bucket >= :start AND bucket < :end
       GROUP BY site_id, dimension, value_key`,
      { replacements, transaction },
    );
  });
}
