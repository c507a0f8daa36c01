/**
 * Month rollups (pure planning). A long range of whole days reads the month rows (grain 'M', see
 * month-rollups.ts) of the closed calendar months it covers entirely, and day rows for the rest: 12mo is then
 * 11 month buckets + up to 31 day buckets per value instead of 344 day buckets. Month rows are sums of day rows
 * (visitors included: visitorIds are salted per day), so the answers are the same.
 */
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { DAY_MS } from '../lib/time';

/** Site-local month start of a site-local instant (months are calendar months of the site's zone). */
export function monthStart(localMs: number): number {
  const d = new Date(localMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonth(month: number): number {
  const d = new Date(month);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** What to read for a range of whole days: month buckets, and day ranges [from, to) for the rest. */
export interface RangePlan {
  months: number[];
  days: [number, number][];
}

/** The closed months (ended by `today`, the site's current day start) that lie entirely inside [from, to). */
export function planRange(from: number, to: number, today: number): RangePlan {
  const months: number[] = [];
  const first = monthStart(from) === from ? from : nextMonth(monthStart(from));
  for (let m = first; nextMonth(m) <= Math.min(to, today); m = nextMonth(m)) months.push(m);
  if (months.length === 0) return { months, days: [[from, to]] };
  const days: [number, number][] = [];
  if (from < months[0]!) days.push([from, months[0]!]);
  const end = nextMonth(months.at(-1)!);
  if (end < to) days.push([end, to]);
  return { months, days };
}

/** The plan with some months read as days instead (missing or stale month rows); adjacent ranges are merged. */
export function withoutMonths(plan: RangePlan, drop: ReadonlySet<number>): RangePlan {
  if (drop.size === 0) return plan;
  const ranges = [...plan.days, ...plan.months.filter((m) => drop.has(m)).map((m): [number, number] => [m, nextMonth(m)])];
  ranges.sort((a, b) => a[0] - b[0]);
  const days: [number, number][] = [];
  for (const r of ranges) {
    const last = days.at(-1);
    if (last !== undefined && last[1] === r[0]) last[1] = r[1];
    else days.push([r[0], r[1]]);
  }
  return { months: plan.months.filter((m) => !drop.has(m)), days };
}

/**
 * Months whose stored totals row equals the sum of their day totals rows, counter by counter. A late event
 * changes at least one totals counter of its day (pageviews, events, visits or bot_events), so it invalidates
 * its month until the month is compacted again. A month with neither day nor month rows is current (empty). Engagement events count on page rows only (not on totals): a
 * late engagement in a compacted month is not seen by this check (documented in ARCHITECTURE.md).
 */
export function validMonths(
  months: readonly number[],
  monthTotals: ReadonlyMap<number, Counters>,
  dayTotals: readonly (Counters & { bucket: number })[],
): Set<number> {
  const sums = new Map<number, Counters>();
  for (const r of dayTotals) {
    const m = monthStart(r.bucket);
    const s = sums.get(m) ?? (Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters);
    for (const c of ROLLUP_COUNTERS) s[c] += r[c];
    sums.set(m, s);
  }
  const valid = new Set<number>();
  for (const m of months) {
    const stored = monthTotals.get(m);
    const sum = sums.get(m);
    // A month without any day rows has nothing to compact: reading its (absent) month rows is exact too.
    if (stored === undefined && sum === undefined) valid.add(m);
    else if (stored !== undefined && sum !== undefined && ROLLUP_COUNTERS.every((c) => stored[c] === sum[c])) valid.add(m);
  }
  return valid;
}

/** Days of a plan (for tests and logs). */
export const planDays = (p: RangePlan): number => p.days.reduce((a, [f, t]) => a + (t - f) / DAY_MS, 0);
