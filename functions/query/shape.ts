/**
 * Response shaping (pure): derived metrics from rollup counters, zero-filled time buckets and
 * breakdown rows with `null` for metrics a dimension does not have. The response types below are the
 * API's documents (openapi.ts describes the same); the browser bundle takes them with `import type`.
 */
import { ZERO_COUNTERS, type Counters } from './queries/rows';
import type { Dimension, Interval, Metric } from './params';
import { formatLocal } from './period';

export type Metrics = Record<Metric, number>;

/** `from` inclusive, `to` exclusive; site-local ISO date-times without offset. */
export interface RangeDoc {
  from: string;
  to: string;
}

export interface SitesResponse {
  sites: { site: string; timezone: string; public: boolean }[];
}

export interface SummaryResponse {
  site: string;
  timezone: string;
  range: RangeDoc;
  metrics: Metrics;
  previous: { range: RangeDoc; metrics: Metrics };
}

export type TimeBucket = { t: string } & Partial<Metrics>;

export interface TimeseriesResponse {
  site: string;
  timezone: string;
  interval: Interval;
  range: RangeDoc;
  metrics: Metric[];
  buckets: TimeBucket[];
}

export interface BreakdownResult {
  value: string;
  visitors: number | null;
  pageviews: number | null;
  visits: number | null;
  bounce_rate: number | null;
  visit_duration: number | null;
  events: number | null;
  /** Pages: mean engaged seconds per visitor who engaged with the page; null without engagement data. */
  time_on_page: number | null;
  /** Pages: mean of those visitors' greatest scroll depth, percent; null without engagement data. */
  scroll_depth: number | null;
}

export interface BreakdownResponse {
  site: string;
  dimension: Dimension;
  range: RangeDoc;
  page: number;
  limit: number;
  has_more: boolean;
  results: BreakdownResult[];
}

export interface RealtimeResponse {
  site: string;
  visitors: number;
  pageviews_per_minute: { t: string; pageviews: number }[];
}

export interface ErrorResponse {
  error: { code: string; message: string };
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** ARCHITECTURE.md "Stats API": bounce rate 0–100 with one decimal, mean visit seconds, views per visit with two. */
export function deriveMetrics(c: Counters): Metrics {
  const perVisit = (n: number) => (c.visits === 0 ? 0 : n / c.visits);
  return {
    visitors: c.visitors,
    pageviews: c.pageviews,
    visits: c.visits,
    bounce_rate: round(perVisit(c.bounces) * 100, 1),
    visit_duration: Math.round(perVisit(c.duration_ms) / 1000),
    views_per_visit: round(perVisit(c.pageviews), 2),
    events: c.events,
    bot_events: c.bot_events,
  };
}

/** One entry per bucket start (zeros where no row exists), carrying only the requested metrics. */
export function fillBuckets(
  starts: readonly number[],
  rows: readonly (Counters & { bucket: number })[],
  metrics: readonly Metric[],
): TimeBucket[] {
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return starts.map((t) => {
    const all = deriveMetrics(byBucket.get(t) ?? ZERO_COUNTERS);
    const out: TimeBucket = { t: formatLocal(t) };
    for (const m of metrics) out[m] = all[m];
    return out;
  });
}

type BreakdownMetric = Exclude<keyof BreakdownResult, 'value'>;

/**
 * Which metrics each dimension has. Pages count pageviews per event (no visits attach to a page) and
 * engagement; custom events count events; the visit dimensions count the visits attributed to their value
 * and the pageviews of those visits.
 */
export function breakdownMetrics(dimension: Dimension): readonly BreakdownMetric[] {
  if (dimension === 'page') return ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'];
  if (dimension === 'event') return ['visitors', 'events'];
  return ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'];
}

/** Absent dimension values are stored as '' and shown as "(none)". */
export const NONE_VALUE = '(none)';

export function shapeBreakdownRow(dimension: Dimension, row: Counters & { value: string }): BreakdownResult {
  const all = deriveMetrics(row);
  const engaged = row.engaged_visitors;
  const measured: Record<'time_on_page' | 'scroll_depth', number | null> = {
    time_on_page: engaged === 0 ? null : Math.round(row.engaged_ms / engaged / 1000),
    scroll_depth: engaged === 0 ? null : Math.round(row.scroll_depth_sum / engaged),
  };
  const has = new Set(breakdownMetrics(dimension));
  const pick = (m: BreakdownMetric) => {
    if (!has.has(m)) return null;
    return m === 'time_on_page' || m === 'scroll_depth' ? measured[m] : all[m];
  };
  return {
    value: row.value === '' ? NONE_VALUE : row.value,
    visitors: pick('visitors'),
    pageviews: pick('pageviews'),
    visits: pick('visits'),
    bounce_rate: pick('bounce_rate'),
    visit_duration: pick('visit_duration'),
    events: pick('events'),
    time_on_page: pick('time_on_page'),
    scroll_depth: pick('scroll_depth'),
  };
}
