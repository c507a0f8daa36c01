/**
 * Writes one month's rows (grain 'M') of every dimension as the sums of its day rows, replacing the month's
 * previous rows, in one transaction. The only write of the query function: month rows are a derived cache of
 * the day rows (month-rollups.ts decides when to write them and when to trust them).
 */
import { DIMENSIONS, ROLLUP_COUNTERS } from '../../../events/vocabulary';
import type { Database } from '../../lib/db';

export async function compactMonth(db: Database, q: { siteId: number; month: number; end: number }): Promise<void> {
  const counters = ROLLUP_COUNTERS.join(', ');
  const sums = ROLLUP_COUNTERS.map((c) => `SUM(${c})`).join(', ');
  await db.sequelize.transaction(async (transaction) => {
    const replacements = { ...q, dimensions: ['', ...DIMENSIONS] };
    await db.sequelize.query(`DELETE FROM rollups WHERE site_id = :siteId AND grain = 'M' AND bucket = :month`, {
      replacements,
      transaction,
    });
    // value: every row of a value_key holds the same value (value_key is its hash), so MAX picks it.
    await db.sequelize.query(
      `INSERT INTO rollups (site_id, grain, dimension, bucket, value_key, value, ${counters})
       SELECT site_id, 'M', dimension, :month, value_key, MAX(value), ${sums}
       FROM rollups
       WHERE site_id = :siteId AND grain = 'd' AND dimension IN (:dimensions) AND bucket >= :month AND bucket < :end
       GROUP BY site_id, dimension, value_key`,
      { replacements, transaction },
    );
  });
}
