/** GET /api/v1/stats/summary — totals of a period and of the period before it. */
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseSummary } from '../params';
import { formatLocal, resolvePeriod, type LocalRange } from '../period';
import { getSummary } from '../queries/get-summary';
import { countRangeVisitors } from '../range-visitors';
import type { Route } from '../route';
import { deriveMetrics } from '../shape';

const rangeOf = (r: LocalRange) => ({ from: formatLocal(r.from), to: formatLocal(r.to) });

export const summaryRoute: Route = async (req, deps) => {
  const params = parseSummary(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const [totals, visitors, previousVisitors] = await Promise.all([
    getSummary(deps.db, site.id, period.current, period.previous),
    countRangeVisitors(deps, site.id, period.current),
    countRangeVisitors(deps, site.id, period.previous),
  ]);
  return {
    body: {
      site: site.hostname,
      timezone: site.timezone,
      range: rangeOf(period.current),
      metrics: deriveMetrics(totals.current, visitors),
      previous: { range: rangeOf(period.previous), metrics: deriveMetrics(totals.previous, previousVisitors) },
    },
    maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'),
    isPublicData,
  };
};
