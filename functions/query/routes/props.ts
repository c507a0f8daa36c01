/** GET /api/v1/props?site=&period= (or from/to) — custom property keys seen in the range, most used first. */
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseSummary } from '../params';
import { formatLocal, resolvePeriod } from '../period';
import type { Route } from '../route';
import type { PropsResponse } from '../shape';
import { getPropKeys } from '../filtered/fact-breakdown';
import { createFactContext } from '../filtered/where';

export const MAX_PROP_KEYS_LISTED = 100;

export const propsRoute: Route = async (req, deps) => {
  const params = parseSummary(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const period = resolvePeriod(params.period, deps.now(), site.timezone);
  // An hourly period (24h) lists the keys of its whole days: properties are kept per day.
  const keys = await getPropKeys(createFactContext(deps, site, []), period.current, MAX_PROP_KEYS_LISTED);
  const body: PropsResponse = {
    site: site.hostname,
    range: { from: formatLocal(period.current.from), to: formatLocal(period.current.to) },
    keys,
  };
  return { body, maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'), isPublicData };
};
