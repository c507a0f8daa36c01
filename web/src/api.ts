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
} from '../../events/vocabulary';

export { DIMENSIONS, INTERVALS, PERIODS, type Dimension, type Interval, type Period };

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

/** `from` inclusive, `to` exclusive; site-local ISO date-times without offset. */
export interface Range {
  from: string;
  to: string;
}

export interface Metrics {
  visitors: number;
  pageviews: number;
  visits: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  events: number;
  bot_events: number;
}

export interface SitesResponse {
  sites: { site: string; timezone: string; public: boolean }[];
}

export interface SummaryResponse {
  site: string;
  timezone: string;
  range: Range;
  metrics: Metrics;
  previous: { range: Range; metrics: Metrics };
}

/** One bucket: `t` plus one number per requested metric. */
export type Bucket = { t: string } & Partial<Record<Metric, number>>;

export interface TimeseriesResponse {
  site: string;
  timezone: string;
  interval: Interval;
  range: Range;
  metrics: Metric[];
  buckets: Bucket[];
}

export interface BreakdownRow {
  value: string;
  visitors: number | null;
  pageviews: number | null;
  visits: number | null;
  bounce_rate: number | null;
  visit_duration: number | null;
  events: number | null;
}

export interface BreakdownResponse {
  site: string;
  dimension: Dimension;
  range: Range;
  page: number;
  limit: number;
  has_more: boolean;
  results: BreakdownRow[];
}

export interface RealtimeResponse {
  site: string;
  visitors: number;
  pageviews_per_minute: { t: string; pageviews: number }[];
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

export const getSites = (t: ApiTarget, opts: LoadOptions, f?: Fetch) => getJson<SitesResponse>(t, 'sites', {}, opts, f);

export const getSummary = (t: ApiTarget, period: string, opts: LoadOptions, f?: Fetch) =>
  getJson<SummaryResponse>(t, 'stats/summary', periodQuery(period), opts, f);

export const getTimeseries = (t: ApiTarget, period: string, metrics: readonly Metric[], opts: LoadOptions, f?: Fetch) =>
  getJson<TimeseriesResponse>(t, 'stats/timeseries', { ...periodQuery(period), metrics: metrics.join(',') }, opts, f);

export const getBreakdown = (
  t: ApiTarget,
  period: string,
  dimension: Dimension,
  paging: { limit: number; page: number },
  opts: LoadOptions,
  f?: Fetch,
) => getJson<BreakdownResponse>(t, 'stats/breakdown', { ...periodQuery(period), dimension, ...paging }, opts, f);

export const getRealtime = (t: ApiTarget, opts: LoadOptions, f?: Fetch) => getJson<RealtimeResponse>(t, 'stats/realtime', {}, opts, f);
