/**
 * Month and week rows (grains 'c' and 'w' in `rollups`): a derived cache of the day rows, kept by the query
 * function, because a breakdown's cost is its days × values (12mo of 1000 pages = 344,000 day rows, seconds on a
 * busy server) and rows of whole closed months and weeks cut that ~16× (12mo) and ~5× (30d). Exact: a period row
 * is the sum of its day rows, and it is used only while its totals row still equals the sum of its day totals
 * (months.ts validPeriods), so a late event makes the request read those days again, and the period is compacted
 * anew in the background.
 */
import type { Database } from '../lib/db';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { singleFlight } from '../lib/single-flight';
import { periodKey, planRange, validPeriods, withoutPeriods, type Period, type RangePlan } from './months';
import { compactPeriod } from './queries/compact-month';
import { getPeriodCheck } from './queries/get-month-check';
import type { Reader } from './queries/reader';

export interface MonthRollups {
  /** What to read for [from, to) of whole days; starts compacting the closed months it could not use. */
  plan(siteId: number, from: number, to: number, today: number): Promise<RangePlan>;
  /** Resolves when the compactions started so far have finished (tests, bench). */
  settled(): Promise<void>;
}

export function createMonthRollups(deps: { db: Database; read: Reader; logger: Logger; enabled?: boolean }): MonthRollups {
  // One compaction at a time per process: background work stays bounded, and SQLite (one connection) never
  // sees two transactions at once.
  const pending = new Set<string>();
  let queue: Promise<void> = Promise.resolve();
  const compact = (siteId: number, period: Period) => {
    const key = `${siteId}/${periodKey(period)}`;
    if (pending.has(key)) return;
    pending.add(key);
    queue = queue
      .then(() => compactPeriod(deps.db, siteId, period))
      .then(() =>
        deps.logger.info(
          { siteId, grain: period.grain, start: new Date(period.start).toISOString().slice(0, 10) },
          'period rollups compacted',
        ),
      )
      // Another replica compacting the same month (duplicate key, deadlock) or a busy database: the next request retries.
      .catch((e: unknown) => deps.logger.warn({ siteId, err: errorMessage(e) }, 'month compaction failed'))
      .finally(() => pending.delete(key));
  };
  // The requests of one dashboard load ask about the same periods at once: one check serves them all.
  type Check = Parameters<typeof getPeriodCheck>[1];
  const check = singleFlight(
    (q: Check) => `${q.siteId}/${q.periods.map(periodKey).join(',')}`,
    (q: Check) => getPeriodCheck(deps.read, q),
  );
  return {
    async plan(siteId, from, to, today) {
      const plan = planRange(from, to, today);
      if (deps.enabled === false) return withoutPeriods(plan, new Set(plan.periods.map(periodKey)));
      if (plan.periods.length === 0) return plan;
      const rows = await check({ siteId, periods: plan.periods });
      const valid = validPeriods(plan.periods, rows.stored, rows.dayTotals);
      const stale = plan.periods.filter((p) => !valid.has(periodKey(p)));
      for (const p of stale) compact(siteId, p);
      return withoutPeriods(plan, new Set(stale.map(periodKey)));
    },
    async settled() {
      while (pending.size > 0) await queue;
    },
  };
}
