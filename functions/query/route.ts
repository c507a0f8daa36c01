/** What a route gets and returns. Routes are thin: parse → permission → query → respond. */
import type { Database } from '../lib/db';
import type { Bearer } from './access';
import type { Reader } from './queries/reader';
import type { VisitorCounter } from './visitors';

export interface RouteDeps {
  /** Access lookups (sites, tokens). */
  db: Database;
  /** Every stats SELECT, time-limited (queries/reader.ts). */
  read: Reader;
  visitors: VisitorCounter;
  /** The current instant (UTC ms); injected so tests can pin "today". */
  now(): number;
}

export interface RouteRequest {
  /** Query parameters, each given once (params.ts). */
  query: Record<string, string>;
  bearer: Bearer;
}

export interface RouteResult {
  body: unknown;
  /** Cache-Control max-age in seconds. */
  maxAge: number;
  /** Public data may be shared through `Cache-Control: public` and `Access-Control-Allow-Origin: *`. */
  isPublicData: boolean;
}

export type Route = (req: RouteRequest, deps: RouteDeps) => Promise<RouteResult>;
