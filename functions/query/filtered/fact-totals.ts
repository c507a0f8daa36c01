/**
 * Totals of the kept visits (the filtered summary, timeseries and realtime read these), optionally per
 * bucket: the visit's day, or the site-local hour of its first event.
 *
 * - visits: kept visits; pageviews / events: theirs; bounces: kept visits with exactly one pageview;
 *   duration: last − first event of each;
 * - visitors: distinct `visits.visitor_id`. visitorIds are salted per site-day (ARCHITECTURE "Metric
 *   definitions"), so over whole days this is the sum of each day's distinct visitors.
 */
import { HOUR_MS, fromLocalMs } from '../../lib/time';
import type { Filters } from '../filters';
import type { LocalRange } from '../period';
import { localBucketSql, offsetSegments } from './local-bucket';
import { Binds, num, selectBound, type Row } from './sql';
import { keptVisits, visitsFrom, visitsWithEvents, type FactContext } from './where';

export interface FactTotals {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  durationMs: number;
}

export const ZERO_TOTALS: Readonly<FactTotals> = Object.freeze({
  visitors: 0,
  visits: 0,
  pageviews: 0,
  events: 0,
  bounces: 0,
  durationMs: 0,
});

export const TOTALS_SQL =
  'COUNT(DISTINCT v.visitor_id) AS visitors, COUNT(*) AS visits, SUM(v.pageviews) AS pageviews, SUM(v.events) AS events, ' +
  'SUM(CASE WHEN v.pageviews = 1 THEN 1 ELSE 0 END) AS bounces, SUM(v.ended_at - v.started_at) AS duration_ms';

export function totalsOf(r: Row): FactTotals {
  return {
    visitors: num(r.visitors),
    visits: num(r.visits),
    pageviews: num(r.pageviews),
    events: num(r.events),
    bounces: num(r.bounces),
    durationMs: num(r.duration_ms),
  };
}

export async function getFactTotals(ctx: FactContext, filters: Filters, range: LocalRange): Promise<FactTotals> {
  const b = new Binds();
  const rows = await selectBound(
    ctx,
    `SELECT ${TOTALS_SQL} FROM ${visitsFrom(ctx, filters)} WHERE ${keptVisits(ctx, filters, range, b)}`,
    b,
  );
  return rows[0] === undefined ? { ...ZERO_TOTALS } : totalsOf(rows[0]);
}

/** Totals per bucket of the range's grain (`d`: the visit's day; `h`: the local hour of its first event). */
export async function getFactTimeseries(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  grain: 'd' | 'h',
): Promise<Map<number, FactTotals>> {
  const b = new Binds();
  const bucket =
    grain === 'd'
      ? 'v.day'
      : localBucketSql(
          'v.started_at',
          offsetSegments(ctx.timezone, fromLocalMs(range.from, ctx.timezone), fromLocalMs(range.to, ctx.timezone)),
          HOUR_MS,
          b,
        );
  const where = keptVisits(ctx, filters, range, b);
  const rows = await selectBound(
    ctx,
    `SELECT ${bucket} AS bucket, ${TOTALS_SQL} FROM ${visitsFrom(ctx, filters)} WHERE ${where} GROUP BY bucket`,
    b,
  );
  return new Map(rows.map((r) => [num(r.bucket), totalsOf(r)]));
}

/** Conversions: the events of the kept visits that match `eventPredicate` (a goal's, over alias e). */
export async function getMatchingEvents(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  eventPredicate: (b: Binds) => string,
): Promise<{ events: number; visitors: number }> {
  const b = new Binds();
  const where = keptVisits(ctx, filters, range, b);
  const rows = await selectBound(
    ctx,
    `SELECT COUNT(*) AS events, COUNT(DISTINCT v.visitor_id) AS visitors
     FROM ${visitsWithEvents(ctx, filters, range, b)}
     WHERE ${where} AND ${eventPredicate(b)}`,
    b,
  );
  return { events: num(rows[0]?.events), visitors: num(rows[0]?.visitors) };
}
