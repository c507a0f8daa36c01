/** What a route gets and returns. Routes are thin: parse → permission → query → respond. */
import type { Database } from '../lib/db';
import type { Bearer } from './access';
import type { MonthRollups } from './month-rollups';
import type { Reader } from './queries/reader';
import type { VisitorCounter } from './visitors';

export interface RouteDeps {
  /** Access lookups (sites, tokens). */
  db: Database;
  /** Every stats SELECT, time-limited (queries/reader.ts). */
  read: Reader;
  visitors: VisitorCounter;
  /** Month rows of long ranges (month-rollups.ts). */
  months: MonthRollups;
  /** Kept visits a filtered request reads into memory at most (filtered/kept-visits.ts); past it, SQL alone. */
  maxSharedVisits: number;
  /** The time limit of one statement (ms); a filtered read in chunks stops past it in all (kept-visits.ts). */
  statementTimeoutMs: number;
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
  /** A non-JSON answer (the export's ZIP): sent as these bytes instead of `body`. */
  raw?: { contentType: string; bytes: Buffer; headers?: Readonly<Record<string, string>> };
  /** Cache-Control max-age in seconds. */
  maxAge: number;
  /** Public data may be shared through `Cache-Control: public` and `Access-Control-Allow-Origin: *`. */
  isPublicData: boolean;
}

export type Route = (req: RouteRequest, deps: RouteDeps) => Promise<RouteResult>;
