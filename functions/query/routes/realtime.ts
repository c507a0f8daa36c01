/** GET /api/v1/stats/realtime — visitors of the last 5 minutes and pageviews of each of the last 30. */
import { authorizeSite } from '../access';
import { MAX_AGE } from '../http-policy';
import { parseSiteOnly } from '../params';
import { bucketStarts, formatLocal } from '../period';
import { getRealtime } from '../queries/get-realtime';
import { countSketchVisitors } from '../range-visitors';
import type { Route } from '../route';
import type { RealtimeResponse } from '../shape';
import { MINUTE_MS, bucketOf, toLocalMs } from '../../lib/time';

export const REALTIME_VISITOR_MINUTES = 5;
export const REALTIME_MINUTES = 30;

export const realtimeRoute: Route = async (req, deps) => {
  const params = parseSiteOnly(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  // The current (partial) minute is the last of the window.
  const end = bucketOf(toLocalMs(deps.now(), site.timezone), 'm') + MINUTE_MS;
  const from = end - REALTIME_MINUTES * MINUTE_MS;
  const [rows, visitors] = await Promise.all([
    getRealtime(deps.read, site.id, from, end),
    countSketchVisitors(deps, site.id, { from: end - REALTIME_VISITOR_MINUTES * MINUTE_MS, to: end, grain: 'm' }),
  ]);
  const perMinute = new Map(rows.map((r) => [r.bucket, r.pageviews]));
  const body: RealtimeResponse = {
    site: site.hostname,
    visitors,
    pageviews_per_minute: bucketStarts(from, end, MINUTE_MS).map((t) => ({ t: formatLocal(t), pageviews: perMinute.get(t) ?? 0 })),
  };
  return {
    body,
    maxAge: MAX_AGE.realtime,
    isPublicData,
  };
};
