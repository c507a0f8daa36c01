/**
 * The stats API client, typed after ARCHITECTURE.md "Stats API". Every call takes an AbortSignal so
 * a newer request (period switch, refresh) cancels the one it replaces. Failures become one
 * `ApiError` whose `message` is what the dashboard shows the reader.
 */

import {
  DIMENSIONS,
  INTERVALS,
  PERIODS,
  type Dimension,
  type Interval,
  type Metric as ApiMetric,
  type PeriodName as Period,
  PROPS_PREFIX,
} from '../../events/vocabulary';
import type {
  BreakdownResponse,
  GoalsResponse,
  PropsResponse,
  RealtimeResponse,
  SitesResponse,
  SummaryMetrics,
  SummaryResponse as ServerSummaryResponse,
  TimeseriesResponse,
} from '../../functions/query/shape';

export { DIMENSIONS, INTERVALS, PERIODS, PROPS_PREFIX, type Dimension, type Interval, type Period };

/** The metrics the dashboard shows (the API has `events` and `bot_events` too). */
export const METRICS = [
  'visitors',
  'pageviews',
  'visits',
  'bounce_rate',
  'visit_duration',
  'views_per_visit',
] as const satisfies readonly ApiMetric[];
export type Metric = (typeof METRICS)[number];

/** Narrows a string from an attribute or a form control to one of a closed list. */
export function isOneOf<T extends string>(list: readonly T[], s: string): s is T {
  return (list as readonly string[]).includes(s);
}

/*
 * The response documents are the server's own types (functions/query/shape.ts, which re-exports the
 * filtered answers' from filtered/types.ts), imported as types only: esbuild drops type imports, so no server code reaches the bundle, and a
 * change on either side is a compile error instead of drift.
 */
export type {
  BreakdownResponse,
  BreakdownResult as BreakdownRow,
  GoalsResponse,
  PropsResponse,
  RangeDoc as Range,
  RealtimeResponse,
  SitesResponse,
  SummaryMetrics as Metrics,
  TimeBucket as Bucket,
  TimeseriesResponse,
} from '../../functions/query/shape';

/** The summary with a goal filter's figures (the filters branch's SummaryMetrics) in both periods. */
export type SummaryResponse = ServerSummaryResponse & { metrics: SummaryMetrics; previous: { metrics: SummaryMetrics } };

/** What a breakdown can be by: a dimension, the site's goals, or a custom property's values. */
export type BreakdownDimension = Dimension | 'goal' | `${typeof PROPS_PREFIX}${string}`;

export function isBreakdownDimension(s: string): s is BreakdownDimension {
  return isOneOf(DIMENSIONS, s) || s === 'goal' || (s.startsWith(PROPS_PREFIX) && s.length > PROPS_PREFIX.length);
}

/** What went wrong, in words for the reader; `kind` lets elements style or test it. */
export class ApiError extends Error {
  constructor(
    readonly kind: 'network' | 'unauthorized' | 'forbidden' | 'invalid' | 'not_found' | 'server',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiTarget {
  /** Base URL of the query function ('' = same origin). */
  api: string;
  site: string;
  token?: string | undefined;
}

export type Query = Record<string, string | number | undefined>;

/** Builds `<api>/api/v1/<path>?site=…&…`, dropping undefined parameters. */
export function apiUrl(target: ApiTarget, path: string, query: Query = {}, base = defaultBase()): string {
  const root = target.api.replace(/\/+$/, '');
  const url = new URL(`${root}/api/v1/${path}`, base);
  if (target.site !== '') url.searchParams.set('site', target.site);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

function defaultBase(): string {
  return typeof location === 'undefined' ? 'http://localhost/' : location.href;
}

function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const e = (body as { error: unknown }).error;
  if (typeof e !== 'object' || e === null || !('message' in e)) return undefined;
  const m = (e as { message: unknown }).message;
  return typeof m === 'string' ? m : undefined;
}

/** Maps an HTTP failure to the sentence the dashboard shows. */
export function errorForStatus(status: number, body: unknown, hadToken: boolean): ApiError {
  const apiMessage = errorMessageOf(body);
  if (status === 401 || (status === 403 && !hadToken)) {
    return new ApiError('unauthorized', 'This site is private: a token is needed.', status);
  }
  if (status === 403) return new ApiError('forbidden', 'The token was not accepted.', status);
  if (status === 400) return new ApiError('invalid', apiMessage ?? 'The API rejected the request.', status);
  if (status === 404) return new ApiError('not_found', apiMessage ?? 'Not found.', status);
  return new ApiError('server', `The API answered ${status}${apiMessage ? `: ${apiMessage}` : ''}.`, status);
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * How to load: `signal` cancels; `fresh` revalidates instead of using the browser cache, which the
 * API allows for up to an hour (a live refresh must see new data).
 */
export interface LoadOptions {
  signal: AbortSignal;
  fresh?: boolean;
}

/** GETs one API document; throws ApiError (or the AbortError when cancelled). */
export async function getJson<T>(target: ApiTarget, path: string, query: Query, opts: LoadOptions, fetchFn: Fetch = fetch): Promise<T> {
  const { signal } = opts;
  const url = apiUrl(target, path, query);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let res: Response;
  try {
    res = await fetchFn(url, { headers, signal, ...(opts.fresh ? { cache: 'no-cache' as const } : {}) });
  } catch (e) {
    if (signal.aborted) throw e;
    const where = target.api === '' ? new URL(url).origin : target.api;
    throw new ApiError('network', `Could not reach the API at ${where}.`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw errorForStatus(res.status, body, Boolean(target.token));
  if (body === undefined) throw new ApiError('server', 'The API answered with something that is not JSON.', res.status);
  return body as T;
}

const CUSTOM_RANGE = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/;

/** A custom range as the `period` attribute spells it: `2026-11-01..2026-11-15` (both days inclusive). */
export function customRange(period: string): { from: string; to: string } | undefined {
  const m = CUSTOM_RANGE.exec(period);
  return m?.[1] !== undefined && m[2] !== undefined ? { from: m[1], to: m[2] } : undefined;
}

/** Common query of the stats endpoints: a named period or `from`/`to` for a custom range. */
export function periodQuery(period: string): Query {
  return customRange(period) ?? { period: period || '7d' };
}

/** What every stats request narrows by: the period and the filters (Plausible's syntax, '' = none). */
export interface View {
  period: string;
  filters: string;
}

/** The period plus `filters` when there are any (the API reads unfiltered requests from the rollups). */
export function viewQuery(view: View): Query {
  return { ...periodQuery(view.period), filters: view.filters || undefined };
}

export const getSites = (t: ApiTarget, opts: LoadOptions, f?: Fetch) => getJson<SitesResponse>(t, 'sites', {}, opts, f);

export const getSummary = (t: ApiTarget, view: View, opts: LoadOptions, f?: Fetch) =>
  getJson<SummaryResponse>(t, 'stats/summary', viewQuery(view), opts, f);

export const getTimeseries = (t: ApiTarget, view: View, metrics: readonly Metric[], opts: LoadOptions, f?: Fetch) =>
  getJson<TimeseriesResponse>(t, 'stats/timeseries', { ...viewQuery(view), metrics: metrics.join(',') }, opts, f);

export const getBreakdown = (
  t: ApiTarget,
  view: View,
  dimension: BreakdownDimension,
  paging: { limit: number; page: number },
  opts: LoadOptions,
  f?: Fetch,
) => getJson<BreakdownResponse>(t, 'stats/breakdown', { ...viewQuery(view), dimension, ...paging }, opts, f);

export const getRealtime = (t: ApiTarget, filters: string, opts: LoadOptions, f?: Fetch) =>
  getJson<RealtimeResponse>(t, 'stats/realtime', { filters: filters || undefined }, opts, f);

export const getGoals = (t: ApiTarget, opts: LoadOptions, f?: Fetch) => getJson<GoalsResponse>(t, 'goals', {}, opts, f);

/** Property keys seen in the period (filters do not apply to the list of keys). */
export const getProps = (t: ApiTarget, period: string, opts: LoadOptions, f?: Fetch) =>
  getJson<PropsResponse>(t, 'props', periodQuery(period), opts, f);
