/**
 * GET /api/v1/stats/breakdown — one page of a dimension's top values. The page is chosen in SQL by the
 * dimension's rollup counter (get-breakdown.ts), then visitors are merged from the per-value sketches
 * of just those values and the page is ordered by visitors (see shape.ts compareBreakdown).
 */
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseBreakdown } from '../params';
import { formatLocal, resolvePeriod } from '../period';
import { getBreakdown } from '../queries/get-breakdown';
import { getVisitorSketches } from '../queries/get-visitor-sketches';
import type { Route } from '../route';
import { compareBreakdown, shapeBreakdownRow } from '../shape';

export const breakdownRoute: Route = async (req, deps) => {
  const params = parseBreakdown(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  const { from, to, grain } = period.current;
  const rows = await getBreakdown(deps.db, {
    siteId: site.id,
    grain,
    dimension: params.dimension,
    from,
    to,
    limit: params.limit,
    offset: (params.page - 1) * params.limit,
  });
  const pageRows = rows.slice(0, params.limit);
  const sketches = await getVisitorSketches(deps.db, {
    siteId: site.id,
    grain,
    dimension: params.dimension,
    from,
    to,
    valueKeys: pageRows.map((r) => r.valueKey),
  });
  const byValue = new Map<string, Uint8Array[]>();
  for (const s of sketches) {
    const list = byValue.get(s.valueKey);
    if (list === undefined) byValue.set(s.valueKey, [s.sketch]);
    else list.push(s.sketch);
  }
  const results = pageRows
    .map((r) => shapeBreakdownRow(params.dimension, r, deps.visitors.countUnion(byValue.get(r.valueKey) ?? [])))
    .sort(compareBreakdown(params.dimension));
  return {
    body: {
      site: site.hostname,
      dimension: params.dimension,
      range: { from: formatLocal(from), to: formatLocal(to) },
      page: params.page,
      limit: params.limit,
      has_more: rows.length > params.limit,
      results,
    },
    maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'),
    isPublicData,
  };
};
