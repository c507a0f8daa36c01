/**
 * Period rollups (pure planning). A range of whole days reads the rows of the closed calendar months (grain 'c')
 * and closed weeks (grain 'w', Monday to Sunday) it covers entirely, and day rows only for the rest: 12mo is then
 * 11 month buckets + ≤ 1 week + a few days per value instead of 344 day buckets, 30d 4 weeks + 2 days instead of 30.
 * Period rows are sums of day rows (visitors included: visitorIds are salted per day), so the answers are the
 * same (month-rollups.ts writes them and checks that they are current).
 */
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { DAY_MS } from '../lib/time';

/**
 * `c` calendar month, `w` week. Not 'M': the grain column compares case-insensitively on MySQL/MariaDB
 * (utf8mb4_unicode_ci), where 'M' would collide with the minute grain 'm'.
 */
export type PeriodGrain = 'c' | 'w';

export interface Period {
  grain: PeriodGrain;
  /** Site-local start (a day bucket) and exclusive end. */
  start: number;
  end: number;
}

/** Site-local month start of a site-local instant (months are calendar months of the site's zone). */
export function monthStart(localMs: number): number {
  const d = new Date(localMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonth(month: number): number {
  const d = new Date(month);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The Monday starting the week of a site-local day (ISO 8601 weeks). */
export function weekStart(day: number): number {
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
}

/** What to read for a range of whole days: period rows, and day ranges [from, to) for the rest. */
export interface RangePlan {
  periods: Period[];
  days: [number, number][];
}

/** Closed periods (ended by `today`, the site's current day start) of one kind tiling [from, to) greedily. */
function carve(from: number, to: number, today: number, grain: PeriodGrain): RangePlan {
  const startOf = grain === 'c' ? monthStart : weekStart;
  const next = grain === 'c' ? nextMonth : (s: number) => s + 7 * DAY_MS;
  const periods: Period[] = [];
  const first = startOf(from) === from ? from : next(startOf(from));
  for (let s = first; next(s) <= Math.min(to, today); s = next(s)) periods.push({ grain, start: s, end: next(s) });
  if (periods.length === 0) return { periods, days: [[from, to]] };
  const days: [number, number][] = [];
  if (from < periods[0]!.start) days.push([from, periods[0]!.start]);
  if (periods.at(-1)!.end < to) days.push([periods.at(-1)!.end, to]);
  return { periods, days };
}

/** Months first, then weeks inside what the months leave, then days. */
export function planRange(from: number, to: number, today: number): RangePlan {
  const months = carve(from, to, today, 'c');
  const periods = [...months.periods];
  const days: [number, number][] = [];
  for (const [f, t] of months.days) {
    const weeks = carve(f, t, today, 'w');
    periods.push(...weeks.periods);
    days.push(...weeks.days);
  }
  return { periods: periods.sort((a, b) => a.start - b.start), days: days.sort((a, b) => a[0] - b[0]) };
}

export const periodKey = (p: Period): string => `${p.grain}${p.start}`;

/** The plan with some periods read as days instead (missing or stale rows); adjacent ranges are merged. */
export function withoutPeriods(plan: RangePlan, drop: ReadonlySet<string>): RangePlan {
  if (drop.size === 0) return plan;
  const ranges = [...plan.days, ...plan.periods.filter((p) => drop.has(periodKey(p))).map((p): [number, number] => [p.start, p.end])];
  ranges.sort((a, b) => a[0] - b[0]);
  const days: [number, number][] = [];
  for (const r of ranges) {
    const last = days.at(-1);
    if (last !== undefined && last[1] === r[0]) last[1] = r[1];
    else days.push([r[0], r[1]]);
  }
  return { periods: plan.periods.filter((p) => !drop.has(periodKey(p))), days };
}

/**
 * The keys of the periods whose stored totals row equals the sum of their day totals rows, counter by counter.
 * A late event changes at least one totals counter of its day (pageviews, events, visits or bot_events), so it
 * invalidates its periods until they are compacted again. A period with neither day nor period rows is current
 * (empty). Engagement events count on page rows only (not on totals): a late engagement in a compacted period is
 * not seen by this check (documented in ARCHITECTURE.md).
 */
export function validPeriods(
  periods: readonly Period[],
  stored: ReadonlyMap<string, Counters>,
  dayTotals: readonly (Counters & { bucket: number })[],
): Set<string> {
  const valid = new Set<string>();
  for (const p of periods) {
    const rows = dayTotals.filter((r) => r.bucket >= p.start && r.bucket < p.end);
    const have = stored.get(periodKey(p));
    if (have === undefined) {
      if (rows.length === 0) valid.add(periodKey(p));
      continue;
    }
    if (ROLLUP_COUNTERS.every((c) => rows.reduce((a, r) => a + r[c], 0) === have[c])) valid.add(periodKey(p));
  }
  return valid;
}
