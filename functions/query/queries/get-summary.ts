/**
 * Site totals (dimension '') of a range and of the range right before it, in one pass over the
 * rollups: the previous range ends where the current one begins.
 */
import type { LocalRange } from '../period';
import { counters, sumCounters, type Counters } from './rows';
import type { Reader } from './reader';

export interface SummaryTotals {
  current: Counters;
  previous: Counters;
}

export async function getSummary(read: Reader, siteId: number, current: LocalRange, previous: LocalRange): Promise<SummaryTotals> {
  if (previous.to !== current.from || previous.grain !== current.grain)
    throw new RangeError('previous range must end where the current begins');
  const rows = await read.select(
    `SELECT ${sumCounters('c_', 'bucket >= :from')}, ${sumCounters('p_', 'bucket < :from')}
     FROM rollups
     WHERE site_id = :siteId AND grain = :grain AND dimension = '' AND bucket >= :prevFrom AND bucket < :to`,
    { siteId, grain: current.grain, from: current.from, to: current.to, prevFrom: previous.from },
  );
  const r = rows[0] ?? {};
  return { current: counters(r, 'c_'), previous: counters(r, 'p_') };
}
