/**
 * The totals rows needed to tell which month rows are current: the stored month totals (grain 'M') of some
 * months and the day totals of the days they span (at most 366 + 12 small rows; see months.ts validMonths).
 */
import { ROLLUP_COUNTERS, type Counters } from '../../../events/vocabulary';
import type { Reader } from './reader';
import { counters, num, str } from './rows';

export interface MonthCheckRows {
  monthTotals: Map<number, Counters>;
  dayTotals: (Counters & { bucket: number })[];
}

export async function getMonthCheck(
  read: Reader,
  q: { siteId: number; months: readonly number[]; from: number; to: number },
): Promise<MonthCheckRows> {
  const rows = await read.select(
    `SELECT grain, bucket, ${ROLLUP_COUNTERS.join(', ')}
     FROM rollups
     WHERE site_id = :siteId AND dimension = '' AND ((grain = 'M' AND bucket IN (:months)) OR (grain = 'd' AND bucket >= :from AND bucket < :to))`,
    { siteId: q.siteId, months: q.months, from: q.from, to: q.to },
  );
  const out: MonthCheckRows = { monthTotals: new Map(), dayTotals: [] };
  for (const r of rows) {
    if (str(r.grain) === 'M') out.monthTotals.set(num(r.bucket), counters(r));
    else out.dayTotals.push({ bucket: num(r.bucket), ...counters(r) });
  }
  return out;
}
