/** GET /api/v1/goals?site= — the site's goals (managed with `npm run sites -- goal add|list|remove`). */
import { getGoals } from '../../sites/goals';
import { authorizeSite } from '../access';
import { MAX_AGE } from '../http-policy';
import { parseSiteOnly } from '../params';
import type { Route } from '../route';
import type { GoalsResponse } from '../shape';

export const goalsRoute: Route = async (req, deps) => {
  const params = parseSiteOnly(req.query);
  const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
  const body: GoalsResponse = { site: site.hostname, goals: await getGoals(deps.db, site.id) };
  return { body, maxAge: MAX_AGE.sites, isPublicData };
};
