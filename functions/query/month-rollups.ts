/**
 * Month rows (grain 'M' in `rollups`): a derived cache of the day rows, kept by the query function, because
 * a breakdown's cost is its days × values (12mo of 1000 pages = 344,000 day rows, seconds on a busy server)
 * and rollups of whole closed months cut that ~16×. Exact: a month row is the sum of its day rows, and a month
 * row is used only while its totals row still equals the sum of its day totals (months.ts validMonths), so a
 * late event makes the request read that month's days again and the month is compacted anew in the background.
 */
import type { Database } from '../lib/db';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { nextMonth, planRange, validMonths, withoutMonths, type RangePlan } from './months';
import { compactMonth } from './queries/compact-month';
import { getMonthCheck } from './queries/get-month-check';
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
  const compact = (siteId: number, month: number) => {
    const key = `${siteId}/${month}`;
    if (pending.has(key)) return;
    pending.add(key);
    queue = queue
      .then(() => compactMonth(deps.db, { siteId, month, end: nextMonth(month) }))
      .then(() => deps.logger.info({ siteId, month: new Date(month).toISOString().slice(0, 7) }, 'month rollups compacted'))
      // Another replica compacting the same month (duplicate key, deadlock) or a busy database: the next request retries.
      .catch((e: unknown) => deps.logger.warn({ siteId, err: errorMessage(e) }, 'month compaction failed'))
      .finally(() => pending.delete(key));
  };
  return {
    async plan(siteId, from, to, today) {
      const plan = planRange(from, to, today);
      if (deps.enabled === false) return withoutMonths(plan, new Set(plan.months));
      if (plan.months.length === 0) return plan;
      const rows = await getMonthCheck(deps.read, {
        siteId,
        months: plan.months,
        from: plan.months[0]!,
        to: nextMonth(plan.months.at(-1)!),
      });
      const valid = validMonths(plan.months, rows.monthTotals, rows.dayTotals);
      const stale = new Set(plan.months.filter((m) => !valid.has(m)));
      for (const m of stale) compact(siteId, m);
      return withoutMonths(plan, stale);
    },
    async settled() {
      while (pending.size > 0) await queue;
    },
  };
}
