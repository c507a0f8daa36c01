/** GET /api/v1/sites — public sites plus those the token opens. */
import { getSites } from '../queries/get-sites';
import { parseNoParams } from '../params';
import { MAX_AGE } from '../http-policy';
import type { Route } from '../route';
import type { SitesResponse } from '../shape';

export const sitesRoute: Route = async (req, deps) => {
  parseNoParams(req.query);
  // A malformed Authorization lists public sites only, like no token: listing never fails on access.
  const tokenHash = req.bearer.kind === 'token' ? req.bearer.hash : '';
  const sites = await getSites(deps.db, tokenHash);
  const body: SitesResponse = { sites };
  return { body, maxAge: MAX_AGE.sites, isPublicData: tokenHash === '' };
};
