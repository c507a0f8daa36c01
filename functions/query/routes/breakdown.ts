/**
 * GET /api/v1/stats/breakdown — one page of a dimension's top values, ranked by visitors in SQL. Whole days read
 * the day rollups (get-breakdown.ts); `24h` cuts through days and reads the facts (get-fact-breakdown.ts).
 */
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseBreakdown } from '../params';
import { factRange, formatLocal, resolvePeriod } from '../period';
import { getBreakdown } from '../queries/get-breakdown';
import { getFactBreakdown } from '../queries/get-fact-breakdown';
import type { Route } from '../route';
import { shapeBreakdownRow, type BreakdownResponse } from '../shape';

export const breakdownRoute: Route = async (req, deps) => {
  const params = parseBreakdown(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const { from, to, grain } = period.current;
  const query = { siteId: site.id, dimension: params.dimension, limit: params.limit, offset: (params.page - 1) * params.limit };
  const rows =
    grain === 'd'
      ? await getBreakdown(deps.read, { ...query, from, to })
      : await getFactBreakdown(deps.read, { ...query, ...factRange(period.current, site.timezone) });
  const body: BreakdownResponse = {
    site: site.hostname,
    dimension: params.dimension,
    range: { from: formatLocal(from), to: formatLocal(to) },
    page: params.page,
    limit: params.limit,
    has_more: rows.length > params.limit,
    results: rows.slice(0, params.limit).map((r) => shapeBreakdownRow(params.dimension, r)),
  };
  return {
    body,
    maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'),
    isPublicData,
  };
};
