/**
 * The stats API as one request → response function over plain values, so it runs under the
 * Functions Framework (express), a bare node:http server and tests alike. Routing, CORS, caching,
 * error mapping and the per-request log line live here; the routes only answer questions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConnectionError } from 'sequelize';
import type { Database } from '../lib/db';
import { errorMessage } from '../lib/errors';
import { silentLogger, type Logger } from '../lib/logger';
import { readinessBody, type Readiness } from '../lib/function';
import { checkDatabase, createReadinessLog } from '../lib/readiness';
import { readBearer } from './access';
import { ApiError, errorBody, isApiError } from './errors';
import { MAX_AGE, corsHeaders, etagMatches, parseCorsOrigins, weakEtag, type CorsPolicy } from './http-policy';
import { openApiDocument } from './openapi';
import { createMonthRollups } from './month-rollups';
import { parseQueryString } from './params';
import { DEFAULT_STATEMENT_TIMEOUT_MS, StatementTimeoutError, createReader, type Reader } from './queries/reader';
import type { Route, RouteDeps } from './route';
import { createExportRoute } from './filtered/export';
import { isFactOnlyDimension } from './filtered/params';
import { filteredBreakdownRoute, filteredRealtimeRoute, filteredSummaryRoute, filteredTimeseriesRoute } from './filtered/routes';
import { breakdownRoute } from './routes/breakdown';
import { goalsRoute } from './routes/goals';
import { propsRoute } from './routes/props';
import { realtimeRoute } from './routes/realtime';
import { sitesRoute } from './routes/sites';
import { summaryRoute } from './routes/summary';
import { MAX_SHARED_VISITS } from './filtered/kept-visits';
import { timeseriesRoute } from './routes/timeseries';
import { BUNDLE_NAMES, createStaticFiles, isTrackerPath } from './static-files';
import { hllVisitorCounter, type VisitorCounter } from './visitors';

export interface PlainRequest {
  method: string;
  /** Path and query as sent (`/api/v1/stats/summary?site=…`). */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface QueryHandlerDeps {
  db: Database;
  /** Merges the visitor sketches; default: the aggregate function's HyperLogLog. */
  visitors?: VisitorCounter;
  logger?: Logger;
  /** Parsed WTM_CORS_ORIGINS (default: same-origin only). */
  cors?: CorsPolicy;
  /** Folder holding `dist/` (bundle) and `demo/` (pages); static files are not served when omitted. */
  webRoot?: string;
  now?: () => number;
  /** Longest a stats statement may run (WTM_QUERY_TIMEOUT_MS); default DEFAULT_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number;
  /** The stats reader; default: createReader over `db` with `statementTimeoutMs`. */
  read?: Reader;
  /** Read and keep month rows for long ranges (default true; false reads day rows only). */
  monthRollups?: boolean;
  /** Kept visits one chunk of days of a filtered read holds at most (default MAX_SHARED_VISITS; 0: SQL alone). */
  maxSharedVisits?: number;
}

export interface QueryHandler {
  handle(req: PlainRequest): Promise<PlainResponse>;
  /** node:http / express adapter over `handle`. */
  listener(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): Promise<void>;
  ready(): Promise<Readiness>;
  /** Resolves when background month compactions have finished (tests, bench). */
  settled(): Promise<void>;
}

/** A request with `filters` (or a fact-only breakdown dimension) is answered from the facts (filtered/). */
const withFilters =
  (rollups: Route, facts: Route, factOnly: (q: Record<string, string>) => boolean = () => false): Route =>
  (req, deps) =>
    req.query.filters !== undefined || factOnly(req.query) ? facts(req, deps) : rollups(req, deps);

const statsRoutes = {
  summary: withFilters(summaryRoute, filteredSummaryRoute),
  timeseries: withFilters(timeseriesRoute, filteredTimeseriesRoute),
  breakdown: withFilters(breakdownRoute, filteredBreakdownRoute, (q) => isFactOnlyDimension(q.dimension)),
  realtime: withFilters(realtimeRoute, filteredRealtimeRoute),
};

/** The API routes; every one is documented in openapi.ts (a test checks both ways). */
export const API_ROUTES: Readonly<Record<string, Route>> = {
  '/api/v1/sites': sitesRoute,
  '/api/v1/stats/summary': statsRoutes.summary,
  '/api/v1/stats/timeseries': statsRoutes.timeseries,
  '/api/v1/stats/breakdown': statsRoutes.breakdown,
  '/api/v1/stats/realtime': statsRoutes.realtime,
  '/api/v1/stats/export': createExportRoute({ ...statsRoutes, props: propsRoute }),
  '/api/v1/goals': goalsRoute,
  '/api/v1/props': propsRoute,
};
export const OPENAPI_PATH = '/api/v1/openapi.json';

const MAX_URL_LENGTH = 4096;
const JSON_TYPE = 'application/json; charset=utf-8';

function header(req: PlainRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

interface Answer {
  status: number;
  body: string | Buffer;
  contentType: string;
  cacheControl: string;
  isPublicData: boolean;
  headers?: Readonly<Record<string, string>>;
}

const json = (status: number, value: unknown, cacheControl: string, isPublicData: boolean): Answer => ({
  status,
  body: JSON.stringify(value),
  contentType: JSON_TYPE,
  cacheControl,
  isPublicData,
});

function errorAnswer(e: ApiError): Answer {
  return { ...json(e.status, errorBody(e.code, e.message), 'no-store', true), headers: e.headers };
}

export function createQueryHandler(deps: QueryHandlerDeps): QueryHandler {
  const logger = deps.logger ?? silentLogger;
  const cors = deps.cors ?? parseCorsOrigins('');
  const statementTimeoutMs = deps.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const read = deps.read ?? createReader(deps.db, { statementTimeoutMs });
  const months = createMonthRollups({ db: deps.db, read, logger, enabled: deps.monthRollups });
  const routeDeps: RouteDeps = {
    db: deps.db,
    read,
    months,
    visitors: deps.visitors ?? hllVisitorCounter,
    now: deps.now ?? Date.now,
    maxSharedVisits: deps.maxSharedVisits ?? MAX_SHARED_VISITS,
    statementTimeoutMs,
  };
  const staticFiles = deps.webRoot === undefined ? undefined : createStaticFiles({ webRoot: deps.webRoot });
  const openApiBody = JSON.stringify(openApiDocument);

  const ready = (): Promise<Readiness> => checkDatabase(deps.db);
  // Its own /readyz (npm start, main.ts) logs each change once; the entry does that for the pod.
  const readyLogged = createReadinessLog(logger, ready);

  async function answer(req: PlainRequest, path: string, query: string): Promise<{ route: string; answer: Answer }> {
    const route = API_ROUTES[path];
    const known = route !== undefined || path === OPENAPI_PATH || path === '/healthz' || path === '/readyz';
    if (known && req.method !== 'GET' && req.method !== 'HEAD') {
      throw new ApiError(405, 'method_not_allowed', `${path} answers GET only`, { Allow: 'GET, HEAD, OPTIONS' });
    }
    if (route !== undefined) {
      const r = await route({ query: parseQueryString(query), bearer: readBearer(header(req, 'authorization')) }, routeDeps);
      if (r.raw !== undefined) {
        const { contentType, bytes, headers } = r.raw;
        return {
          route: path,
          answer: {
            status: 200,
            body: bytes,
            contentType,
            cacheControl: `private, max-age=${r.maxAge}`,
            isPublicData: r.isPublicData,
            ...(headers === undefined ? {} : { headers }),
          },
        };
      }
      return { route: path, answer: json(200, r.body, `private, max-age=${r.maxAge}`, r.isPublicData) };
    }
    if (path === OPENAPI_PATH) {
      return { route: path, answer: { ...json(200, null, `public, max-age=${MAX_AGE.document}`, true), body: openApiBody } };
    }
    if (path === '/healthz') return { route: path, answer: json(200, { ok: true }, 'no-store', true) };
    if (path === '/readyz') {
      const r = await readyLogged();
      return { route: path, answer: json(r.ok ? 200 : 503, readinessBody(r), 'no-store', true) };
    }
    if (!path.startsWith('/api/') && staticFiles !== undefined) {
      const file = await staticFiles.get(path);
      if (file !== undefined) {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          throw new ApiError(405, 'method_not_allowed', 'static files answer GET only', { Allow: 'GET, HEAD' });
        }
        return {
          route: 'static',
          answer: {
            status: 200,
            body: file.body,
            contentType: file.contentType,
            cacheControl: `public, max-age=${file.maxAge ?? MAX_AGE.document}`,
            isPublicData: true,
            headers: file.headers,
          },
        };
      }
      if (BUNDLE_NAMES.includes(path.slice(1)) || isTrackerPath(path)) {
        throw new ApiError(404, 'not_found', `${path.slice(1)} is not built yet: run \`npm run build\``);
      }
    }
    throw new ApiError(404, 'not_found', 'no such route; see /api/v1/openapi.json');
  }

  async function handle(req: PlainRequest): Promise<PlainResponse> {
    const started = performance.now();
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const query = q === -1 ? '' : req.url.slice(q + 1);
    const origin = header(req, 'origin');
    let route = 'unknown';
    let a: Answer;
    if (req.url.length > MAX_URL_LENGTH) {
      a = errorAnswer(new ApiError(414, 'uri_too_long', `the request URL must be at most ${MAX_URL_LENGTH} characters`));
    } else if (req.method === 'OPTIONS') {
      // CORS preflight (Fetch standard §3.2.2): answered the same for every path, no body.
      const headers = { ...corsHeaders(cors, origin, false, true), Vary: 'Origin' };
      logger.info({ route: 'preflight', method: req.method, status: 204, durationMs: Math.round(performance.now() - started) }, 'request');
      return { status: 204, headers, body: '' };
    } else {
      try {
        ({ route, answer: a } = await answer(req, path, query));
      } catch (e) {
        if (isApiError(e)) a = errorAnswer(e);
        else if (e instanceof StatementTimeoutError) {
          // Transient for the client (the same question may pass when the server is less busy), never a hang.
          logger.warn({ route: path, limitMs: e.limitMs }, 'statement timeout');
          a = errorAnswer(
            new ApiError(503, 'timeout', `the question took longer than ${e.limitMs} ms; retry shortly or ask for a shorter range`),
          );
        } else if (e instanceof ConnectionError) {
          logger.error({ route, err: errorMessage(e) }, 'database unavailable');
          a = errorAnswer(new ApiError(503, 'unavailable', 'the database is not answering; retry shortly'));
        } else {
          logger.error({ route, err: errorMessage(e) }, 'request failed');
          a = errorAnswer(new ApiError(500, 'internal', 'internal error'));
        }
        if (API_ROUTES[path] !== undefined) route = path;
      }
    }
    const headers: Record<string, string> = {
      'Content-Type': a.contentType,
      'Cache-Control': a.cacheControl,
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Origin, Authorization',
      ...corsHeaders(cors, origin, a.isPublicData, false),
      ...a.headers,
    };
    let status = a.status;
    let body: string | Buffer = a.body;
    if (status === 200) {
      headers.ETag = weakEtag(a.body);
      if (etagMatches(header(req, 'if-none-match'), headers.ETag)) {
        status = 304;
        body = '';
      }
    }
    if (req.method === 'HEAD') body = '';
    logger.info({ route, method: req.method, status, durationMs: Math.round(performance.now() - started) }, 'request');
    return { status, headers, body };
  }

  return {
    handle,
    ready,
    settled: () => months.settled(),
    async listener(req, res) {
      const r = await handle({ method: req.method ?? 'GET', url: req.originalUrl ?? req.url ?? '/', headers: req.headers });
      res.writeHead(r.status, r.headers);
      res.end(r.body);
    },
  };
}
