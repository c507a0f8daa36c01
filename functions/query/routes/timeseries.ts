/**
 * GET /api/v1/stats/timeseries — site totals per minute/hour/day bucket, every bucket present. Each bucket's
 * visitors are its rollup row's exact `visitors` (distinct visitorIds of that bucket): no sketch is read.
 */
import { authorizeSite } from '../access';
import { invalidParameter } from '../errors';
import { periodMaxAge } from '../http-policy';
import { parseTimeseries, type Interval } from '../params';
import { bucketStarts, formatLocal, resolvePeriod, type ResolvedPeriod } from '../period';
import { getTimeseries } from '../queries/get-timeseries';
import type { Route } from '../route';
import { fillBuckets, type TimeseriesResponse } from '../shape';
import { DAY_MS, GRAIN_MS, HOUR_MS, type Grain } from '../../lib/time';

const GRAIN: Record<Interval, Grain> = { minute: 'm', hour: 'h', day: 'd' };
/** Longest ranges per interval: minute rollups only cover the recent window; hourly charts stay readable. */
/** The longest range each interval is offered for (the filtered read makes hourly sums only up to `hour`'s). */
export const MAX_SPAN: Readonly<Record<Interval, number>> = { minute: 2 * HOUR_MS, hour: 31 * DAY_MS, day: Infinity };

/** The interval to use, or a 400 naming `interval` when it cannot fit the period. */
export function chooseInterval(requested: Interval | undefined, period: ResolvedPeriod, isToday: boolean): Interval {
  const interval = requested ?? (period.hourly || isToday ? 'hour' : 'day');
  const span = period.current.to - period.current.from;
  if (span > MAX_SPAN[interval]) {
    throw invalidParameter(
      'interval',
      interval === 'minute'
        ? 'minute needs a range of at most 2 hours (see /api/v1/stats/realtime)'
        : 'hour needs a range of at most 31 days',
    );
  }
  if (interval === 'day' && period.hourly) throw invalidParameter('interval', 'day does not fit the 24h period (use hour)');
  return interval;
}

export const timeseriesRoute: Route = async (req, deps) => {
  const params = parseTimeseries(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const isToday = 'period' in params.period && params.period.period === 'today';
  const interval = chooseInterval(params.interval, period, isToday);
  const grain = GRAIN[interval];
  const { from, to } = period.current;
  const rows = await getTimeseries(deps.read, site.id, grain, from, to);
  const body: TimeseriesResponse = {
    site: site.hostname,
    timezone: site.timezone,
    interval,
    range: { from: formatLocal(from), to: formatLocal(to) },
    metrics: params.metrics,
    buckets: fillBuckets(bucketStarts(from, to, GRAIN_MS[grain]), rows, params.metrics),
  };
  return {
    body,
    maxAge: periodMaxAge(period, isToday),
    isPublicData,
  };
};
