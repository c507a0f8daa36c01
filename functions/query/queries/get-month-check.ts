/**
 * The totals rows needed to tell which period rows are current: the stored totals of some months/weeks and the
 * day totals of the days they span (at most 366 + 64 small rows; see months.ts validPeriods).
 */
import { ROLLUP_COUNTERS, type Counters } from '../../../events/vocabulary';
import type { Period } from '../months';
import type { Reader } from './reader';
import { counters, num, str } from './rows';

export interface PeriodCheckRows {
  stored: Map<string, Counters>;
  dayTotals: (Counters & { bucket: number })[];
}

export async function getPeriodCheck(read: Reader, q: { siteId: number; periods: readonly Period[] }): Promise<PeriodCheckRows> {
  const months = q.periods.filter((p) => p.grain === 'c').map((p) => p.start);
  const weeks = q.periods.filter((p) => p.grain === 'w').map((p) => p.start);
  const rows = await read.select(
    `SELECT grain, bucket, ${ROLLUP_COUNTERS.join(', ')}
     FROM rollups
     WHERE site_id = :siteId AND dimension = ''
       AND ((grain = 'c' AND bucket IN (:months)) OR (grain = 'w' AND bucket IN (:weeks)) OR (grain = 'd' AND bucket >= :from AND bucket < :to))`,
    {
      siteId: q.siteId,
      // IN () is not SQL: an impossible bucket stands for "none"
      months: months.length === 0 ? [-1] : months,
      weeks: weeks.length === 0 ? [-1] : weeks,
      from: Math.min(...q.periods.map((p) => p.start)),
      to: Math.max(...q.periods.map((p) => p.end)),
    },
  );
  const out: PeriodCheckRows = { stored: new Map(), dayTotals: [] };
  for (const r of rows) {
    const grain = str(r.grain);
    if (grain === 'd') out.dayTotals.push({ bucket: num(r.bucket), ...counters(r) });
    else out.stored.set(`${grain}${num(r.bucket)}`, counters(r));
  }
  return out;
}
