/**
 * GET /api/v1/stats/summary — totals of a period and of the period before it. Whole days: every figure, visitors
 * included, is a sum of day rows. `24h`: counters from the hour rows, visitors from the hour sketches (hourly
 * visitors do not add up).
 */
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseSummary } from '../params';
import { formatLocal, resolvePeriod, type LocalRange } from '../period';
import { getSummary } from '../queries/get-summary';
import type { Counters } from '../queries/rows';
import { countSketchVisitors } from '../range-visitors';
import type { Route, RouteDeps } from '../route';
import { deriveMetrics, type SummaryResponse } from '../shape';

const rangeOf = (r: LocalRange) => ({ from: formatLocal(r.from), to: formatLocal(r.to) });

/** Sketch visitors of a range that cuts through days; undefined for whole days (their rows' sum is exact). */
const sketchVisitors = (deps: RouteDeps, siteId: number, range: LocalRange): Promise<number | undefined> =>
  range.grain === 'd' ? Promise.resolve(undefined) : countSketchVisitors(deps, siteId, range);

const withVisitors = (c: Counters, visitors: number | undefined): Counters => (visitors === undefined ? c : { ...c, visitors });

export const summaryRoute: Route = async (req, deps) => {
  const params = parseSummary(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const [totals, visitors, previousVisitors] = await Promise.all([
    getSummary(deps.read, site.id, period.current, period.previous),
    sketchVisitors(deps, site.id, period.current),
    sketchVisitors(deps, site.id, period.previous),
  ]);
  const body: SummaryResponse = {
    site: site.hostname,
    timezone: site.timezone,
    range: rangeOf(period.current),
    metrics: deriveMetrics(withVisitors(totals.current, visitors)),
    previous: { range: rangeOf(period.previous), metrics: deriveMetrics(withVisitors(totals.previous, previousVisitors)) },
  };
  return {
    body,
    maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'),
    isPublicData,
  };
};
