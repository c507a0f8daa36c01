/**
 * The filtered answers of summary, timeseries, breakdown and realtime, read from the facts (visits,
 * events, event_props). The handler sends a request here when it carries `filters` (or a breakdown asks
 * for a fact-only dimension); unfiltered requests keep reading the rollups. Same parameters, same
 * response shapes as the unfiltered routes, plus the goal metrics (api-v2 / openapi.ts).
 */
import { DAY_MS, MINUTE_MS, GRAIN_MS, bucketOf, toLocalMs } from '../../lib/time';
import { getGoals, type Goal } from '../../sites/goals';
import { authorizeSite } from '../access';
import { invalidParameter } from '../errors';
import { hasGoalFilter, type FilterCondition, type Filters } from '../filters';
import { periodMaxAge, MAX_AGE } from '../http-policy';
import { parseBreakdown, parseSiteOnly, parseSummary, parseTimeseries } from '../params';
import { bucketStarts, formatLocal, resolvePeriod, type LocalRange, type ResolvedPeriod } from '../period';
import type { Route, RouteDeps, RouteRequest } from '../route';
import { REALTIME_MINUTES, REALTIME_VISITOR_MINUTES } from '../routes/realtime';
import { chooseInterval } from '../routes/timeseries';
import { NONE_VALUE, type BreakdownResult, type TimeBucket } from '../shape';
import { getFactBreakdown, type FactBreakdownRow } from './fact-breakdown';
import { ZERO_TOTALS, getMatchingEvents } from './fact-totals';
import { readTimeseries, readTotals } from './kept-visits';
import { localBucketSql, offsetSegments } from './local-bucket';
import { conversionRate, metricsOf } from './metrics';
import { parseBreakdownDimension, takeFilters } from './params';
import { Binds, num, selectBound } from './sql';
import type { SummaryMetrics } from './types';
import { createFactContext, goalMatch, goalsOf, keptVisits, visitsWithEvents, type FactContext } from './where';

const rangeOf = (r: LocalRange) => ({ from: formatLocal(r.from), to: formatLocal(r.to) });
const isToday = (p: { period?: string }) => p.period === 'today';

async function context(req: RouteRequest, deps: RouteDeps, siteParam: string, filters: Filters) {
  const access = await authorizeSite(deps.db, siteParam, req.bearer);
  // Goals are read only when a goal is asked for (filter or breakdown), so other requests cost nothing more.
  const goals: Goal[] = hasGoalFilter(filters) ? await getGoals(deps.db, access.site.id) : [];
  return { ...access, ctx: createFactContext(deps, access.site, goals) };
}

const withoutGoals = (filters: Filters): Filters => filters.filter((c) => c.subject.kind !== 'goal');
const positiveGoalConditions = (filters: Filters): FilterCondition[] =>
  filters.filter((c) => c.subject.kind === 'goal' && c.operator !== '!=');

/** The goals whose conversions count: those named by the `==` / `~` goal conditions. */
function convertingGoals(ctx: FactContext, filters: Filters): Goal[] {
  const seen = new Map<number, Goal>();
  for (const c of positiveGoalConditions(filters)) for (const g of goalsOf(ctx, c)) seen.set(g.id, g);
  return [...seen.values()];
}

/** Summary metrics of a range; with a goal filter also conversions and conversion rate. */
async function summaryMetrics(ctx: FactContext, filters: Filters, range: LocalRange): Promise<SummaryMetrics> {
  const totals = readTotals(ctx, filters, range);
  if (positiveGoalConditions(filters).length === 0) return metricsOf(await totals);
  const goals = convertingGoals(ctx, filters);
  const [kept, base, conversions] = await Promise.all([
    totals,
    readTotals(ctx, withoutGoals(filters), range),
    goals.length === 0
      ? Promise.resolve({ events: 0, visitors: 0 })
      : getMatchingEvents(ctx, filters, range, (b) => `(${goals.map((g) => goalMatch(ctx, g, b)).join(' OR ')})`),
  ]);
  return { ...metricsOf(kept), conversions: conversions.events, conversion_rate: conversionRate(kept.visitors, base.visitors) };
}

export const filteredSummaryRoute: Route = async (req, deps) => {
  const { filters, rest } = takeFilters(req.query);
  const params = parseSummary(rest);
  const { site, isPublicData, ctx } = await context(req, deps, params.site, filters);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const [current, previous] = await Promise.all([
    summaryMetrics(ctx, filters, period.current),
    summaryMetrics(ctx, filters, period.previous),
  ]);
  return {
    body: {
      site: site.hostname,
      timezone: site.timezone,
      range: rangeOf(period.current),
      metrics: current,
      previous: { range: rangeOf(period.previous), metrics: previous },
    },
    maxAge: periodMaxAge(period, 'period' in params.period && isToday(params.period)),
    isPublicData,
  };
};

export const filteredTimeseriesRoute: Route = async (req, deps) => {
  const { filters, rest } = takeFilters(req.query);
  const params = parseTimeseries(rest);
  const { site, isPublicData, ctx } = await context(req, deps, params.site, filters);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const today = 'period' in params.period && isToday(params.period);
  const interval = chooseInterval(params.interval, period, today);
  if (interval === 'minute') throw invalidParameter('interval', 'minute is not offered with filters (use /api/v1/stats/realtime)');
  const grain = interval === 'day' ? 'd' : 'h';
  const { from, to } = period.current;
  const byBucket = await readTimeseries(ctx, filters, period.current, grain);
  const buckets: TimeBucket[] = bucketStarts(from, to, GRAIN_MS[grain]).map((t) => {
    const all = metricsOf(byBucket.get(t) ?? ZERO_TOTALS);
    const out: TimeBucket = { t: formatLocal(t) };
    for (const m of params.metrics) out[m] = all[m];
    return out;
  });
  return {
    body: { site: site.hostname, timezone: site.timezone, interval, range: rangeOf(period.current), metrics: params.metrics, buckets },
    maxAge: periodMaxAge(period, today),
    isPublicData,
  };
};

/** A breakdown row with `null` for the metrics its dimension does not have. */
export function factRow(
  row: FactBreakdownRow,
  has: readonly ('pageviews' | 'visits' | 'bounce_rate' | 'visit_duration' | 'events')[],
  conversion: number | null = null,
): BreakdownResult {
  const m = metricsOf(row);
  const pick = <K extends 'pageviews' | 'visits' | 'bounce_rate' | 'visit_duration' | 'events'>(k: K) => (has.includes(k) ? m[k] : null);
  return {
    value: row.value === '' ? NONE_VALUE : row.value,
    visitors: row.visitors,
    pageviews: pick('pageviews'),
    visits: pick('visits'),
    bounce_rate: pick('bounce_rate'),
    visit_duration: pick('visit_duration'),
    events: pick('events'),
    // engagement per page is not read from the facts under a filter (see ARCHITECTURE "Filters")
    time_on_page: null,
    scroll_depth: null,
    conversion_rate: conversion,
  };
}

/**
 * `dimension=goal`: per goal of the site (only those a `==`/`~` goal filter names, when there is one),
 * unique conversions (visitors), total conversions (events) and the conversion rate against the
 * visitors of the same filters without the goal conditions.
 */
async function goalBreakdown(ctx: FactContext, filters: Filters, range: LocalRange): Promise<BreakdownResult[]> {
  const goals = positiveGoalConditions(filters).length > 0 ? convertingGoals(ctx, filters) : [...ctx.goals];
  if (goals.length === 0) return [];
  const [base, ...per] = await Promise.all([
    readTotals(ctx, withoutGoals(filters), range),
    ...goals.map((g) => getMatchingEvents(ctx, filters, range, (b) => goalMatch(ctx, g, b))),
  ]);
  return goals
    .map((g, i) => ({ g, c: per[i]! }))
    .filter(({ c }) => c.events > 0)
    .map(({ g, c }) =>
      factRow(
        { ...ZERO_TOTALS, value: g.name, visitors: c.visitors, events: c.events },
        ['events'],
        conversionRate(c.visitors, base!.visitors),
      ),
    )
    .sort(
      (a, b) =>
        (b.visitors ?? 0) - (a.visitors ?? 0) || (b.events ?? 0) - (a.events ?? 0) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
}

const VISIT_METRICS = ['pageviews', 'visits', 'bounce_rate', 'visit_duration'] as const;

export const filteredBreakdownRoute: Route = async (req, deps) => {
  const { filters, rest } = takeFilters(req.query);
  const dimension = parseBreakdownDimension(rest.dimension);
  // The other parameters are the unfiltered breakdown's; the dimension was checked above.
  const params = parseBreakdown({ ...rest, dimension: 'page' });
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const goals = dimension.kind === 'goal' || hasGoalFilter(filters) ? await getGoals(deps.db, site.id) : [];
  const ctx = createFactContext(deps, site, goals);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const offset = (params.page - 1) * params.limit;
  let results: BreakdownResult[];
  let hasMore: boolean;
  if (dimension.kind === 'goal') {
    const all = await goalBreakdown(ctx, filters, period.current);
    results = all.slice(offset, offset + params.limit);
    hasMore = all.length > offset + params.limit;
  } else {
    const rows = await getFactBreakdown(ctx, filters, period.current, dimension, { limit: params.limit, offset });
    const has = dimension.kind === 'visit' ? VISIT_METRICS : dimension.kind === 'page' ? (['pageviews'] as const) : (['events'] as const);
    results = rows.slice(0, params.limit).map((r) => factRow(r, has));
    hasMore = rows.length > params.limit;
  }
  return {
    body: {
      site: site.hostname,
      dimension: rest.dimension,
      range: rangeOf(period.current),
      page: params.page,
      limit: params.limit,
      has_more: hasMore,
      results,
    },
    maxAge: periodMaxAge(period, 'period' in params.period && isToday(params.period)),
    isPublicData,
  };
};

/**
 * Realtime under filters: visitors (distinct visitorIds of the kept visits' pageviews and custom events
 * in the last 5 minutes) and their pageviews per minute of the last 30, from the facts.
 */
export const filteredRealtimeRoute: Route = async (req, deps) => {
  const { filters, rest } = takeFilters(req.query);
  const params = parseSiteOnly(rest);
  const { site, isPublicData, ctx } = await context(req, deps, params.site, filters);
  const nowUtc = deps.now();
  const nowLocal = toLocalMs(nowUtc, site.timezone);
  const end = bucketOf(nowLocal, 'm') + MINUTE_MS;
  const from = end - REALTIME_MINUTES * MINUTE_MS;
  // Visits that started yesterday or today can have events in the window.
  const scope: LocalRange = { from: bucketOf(from, 'd') - DAY_MS, to: end, grain: 'd' };
  // The window's instants: local and UTC differ by one offset within 30 minutes (bar a DST change).
  const utcOf = (local: number) => nowUtc + (local - nowLocal);
  const utcFrom = utcOf(from);
  const utcTo = utcOf(end);
  const perMinute = async () => {
    const b = new Binds();
    const minute = localBucketSql('e.ts', offsetSegments(site.timezone, utcFrom, utcTo), MINUTE_MS, b);
    const rows = await selectBound(
      ctx,
      `SELECT ${minute} AS bucket, COUNT(*) AS pageviews
       FROM ${visitsWithEvents(ctx, filters, scope, b)}
       WHERE ${keptVisits(ctx, filters, scope, b)} AND e.kind = 'pageview' AND e.ts >= ${b.add(utcFrom)} AND e.ts < ${b.add(utcTo)}
       GROUP BY bucket`,
      b,
    );
    return new Map(rows.map((r) => [num(r.bucket), num(r.pageviews)]));
  };
  const visitors = async () => {
    const b = new Binds();
    const since = utcOf(end - REALTIME_VISITOR_MINUTES * MINUTE_MS);
    const rows = await selectBound(
      ctx,
      `SELECT COUNT(DISTINCT e.visitor_id) AS visitors
       FROM ${visitsWithEvents(ctx, filters, scope, b)}
       WHERE ${keptVisits(ctx, filters, scope, b)} AND e.kind IN ('pageview', 'event') AND e.ts >= ${b.add(since)} AND e.ts < ${b.add(utcTo)}`,
      b,
    );
    return num(rows[0]?.visitors);
  };
  const [minutes, count] = await Promise.all([perMinute(), visitors()]);
  return {
    body: {
      site: site.hostname,
      visitors: count,
      pageviews_per_minute: bucketStarts(from, end, MINUTE_MS).map((t) => ({ t: formatLocal(t), pageviews: minutes.get(t) ?? 0 })),
    },
    maxAge: MAX_AGE.realtime,
    isPublicData,
  };
};

export type { ResolvedPeriod };
