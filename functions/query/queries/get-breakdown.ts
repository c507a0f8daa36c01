/**
 * One page of a dimension's values over a range of whole days, from the day rollups (and the month rows of the
 * closed months it covers, month-rollups.ts): ranked in SQL by
 * exact visitors (the day rows' `visitors` sum to the range's visitors, ARCHITECTURE.md "Storage v2"), then
 * by tieColumn, then value_key so pages never overlap. No sketch is read and
 * only limit + 1 grouped rows leave the server, whatever the number of values or days.
 *
 * The GROUP BY carries no `value` (VARCHAR(2048)): with it, MariaDB's temporary table holds ~8 KiB per
 * group, outgrows the in-memory limit and spills to disk (3.7x slower for 2000 pages over 90 days,
 * EXPLAIN "Using temporary"). Each value is then read by primary key from the group's last bucket
 * (every row of a value_key holds the same value: value_key is its hash).
 */
import type { RangePlan } from '../months';
import type { Dimension } from '../params';
import type { Reader } from './reader';
import { counters, str, sumCounters, type Counters } from './rows';

export interface BreakdownRow extends Counters {
  value: string;
}

/** After visitors: custom events by their count (Plausible's "total"), every other dimension by pageviews. */
export function tieColumn(dimension: Dimension): 'pageviews' | 'events' {
  return dimension === 'event' ? 'events' : 'pageviews';
}

export interface BreakdownQuery {
  siteId: number;
  dimension: Dimension;
  limit: number;
  offset: number;
}

export interface WholeDaysBreakdownQuery extends BreakdownQuery {
  /** What to read (months.ts): month rows of these months, and day rows of these [from, to) ranges. */
  plan: RangePlan;
}

/** limit + 1 rows (the caller learns whether there is a next page), best first. */
export async function getBreakdown(read: Reader, q: WholeDaysBreakdownQuery): Promise<BreakdownRow[]> {
  // The ORDER BY column is one of two fixed names, never request text.
  const tie = tieColumn(q.dimension);
  const where = planWhere(q.plan);
  // The value is read by primary key from one row that exists in the group: its last day, else week, else month row.
  const rows = await read.select(
    `SELECT t.*, r.value
     FROM (
       SELECT value_key, MAX(CASE WHEN grain = 'd' THEN bucket END) AS last_day, MAX(CASE WHEN grain = 'w' THEN bucket END) AS last_week,
              MAX(CASE WHEN grain = 'c' THEN bucket END) AS last_month, ${sumCounters()}
       FROM rollups
       WHERE site_id = :siteId AND dimension = :dimension AND (${where.sql})
       GROUP BY value_key
       ORDER BY SUM(visitors) DESC, SUM(${tie}) DESC, value_key ASC
       LIMIT :limit OFFSET :offset
     ) t
     JOIN rollups r
       ON r.site_id = :siteId AND r.dimension = :dimension AND r.value_key = t.value_key
      AND r.grain = CASE WHEN t.last_day IS NOT NULL THEN 'd' WHEN t.last_week IS NOT NULL THEN 'w' ELSE 'c' END
      AND r.bucket = COALESCE(t.last_day, t.last_week, t.last_month)
     ORDER BY t.visitors DESC, t.${tie} DESC, t.value_key ASC`,
    { ...where.replacements, siteId: q.siteId, dimension: q.dimension, limit: q.limit + 1, offset: q.offset },
  );
  return rows.map((r) => ({ value: str(r.value), ...counters(r) }));
}

/** `(grain = 'c' AND bucket IN (…)) OR (grain = 'w' …) OR (grain = 'd' AND bucket >= … AND bucket < …) …`: primary-key ranges only. */
export function planWhere(plan: RangePlan): { sql: string; replacements: Record<string, unknown> } {
  const parts: string[] = [];
  const replacements: Record<string, unknown> = {};
  for (const [grain, name] of [
    ['c', 'months'],
    ['w', 'weeks'],
  ] as const) {
    const starts = plan.periods.filter((p) => p.grain === grain).map((p) => p.start);
    if (starts.length === 0) continue;
    parts.push(`(grain = '${grain}' AND bucket IN (:${name}))`);
    replacements[name] = starts;
  }
  plan.days.forEach(([from, to], i) => {
    parts.push(`(grain = 'd' AND bucket >= :from${i} AND bucket < :to${i})`);
    replacements[`from${i}`] = from;
    replacements[`to${i}`] = to;
  });
  if (parts.length === 0) throw new RangeError('an empty range has no breakdown');
  return { sql: parts.join(' OR '), replacements };
}
