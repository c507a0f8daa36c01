/**
 * Response shaping (pure): derived metrics from rollup counters, zero-filled time buckets and
 * breakdown rows with `null` for metrics a dimension does not have.
 */
import { ZERO_COUNTERS, type Counters } from './queries/rows';
import type { Dimension, Metric } from './params';
import { formatLocal } from './period';

export type Metrics = Record<Metric, number>;

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** ARCHITECTURE.md "Stats API": bounce rate 0–100 with one decimal, mean visit seconds, views per visit with two. */
export function deriveMetrics(c: Counters, visitors: number): Metrics {
  const perVisit = (n: number) => (c.visits === 0 ? 0 : n / c.visits);
  return {
    visitors,
    pageviews: c.pageviews,
    visits: c.visits,
    bounce_rate: round(perVisit(c.bounces) * 100, 1),
    visit_duration: Math.round(perVisit(c.durationMs) / 1000),
    views_per_visit: round(perVisit(c.pageviews), 2),
    events: c.events,
    bot_events: c.botEvents,
  };
}

export type TimeBucket = { t: string } & Partial<Metrics>;

/**
 * One entry per bucket start (zeros where no row exists), carrying only the requested metrics.
 * `visitors` maps bucket start → visitors; a missing bucket counts 0.
 */
export function fillBuckets(
  starts: readonly number[],
  rows: readonly (Counters & { bucket: number })[],
  visitors: ReadonlyMap<number, number>,
  metrics: readonly Metric[],
): TimeBucket[] {
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return starts.map((t) => {
    const all = deriveMetrics(byBucket.get(t) ?? ZERO_COUNTERS, visitors.get(t) ?? 0);
    const out: TimeBucket = { t: formatLocal(t) };
    for (const m of metrics) out[m] = all[m];
    return out;
  });
}

export interface BreakdownResult {
  value: string;
  visitors: number | null;
  pageviews: number | null;
  visits: number | null;
  bounce_rate: number | null;
  visit_duration: number | null;
  events: number | null;
  /** `dimension=goal` only (0–100, one decimal); null for every other dimension. */
  conversion_rate: number | null;
}

type BreakdownMetric = Exclude<keyof BreakdownResult, 'value' | 'conversion_rate'>;

export type { GoalsResponse, PropsResponse, SummaryMetrics } from './filtered/types';
export type { FilterCondition, FilterOperator } from './filters';

/**
 * Which metrics each dimension has. Pages count pageviews per event (no visits attach to a page);
 * custom events count events; the visit dimensions count the visits attributed to their value and
 * the pageviews of those visits.
 */
export function breakdownMetrics(dimension: Dimension): readonly BreakdownMetric[] {
  if (dimension === 'page') return ['visitors', 'pageviews'];
  if (dimension === 'event') return ['visitors', 'events'];
  return ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'];
}

/** Absent dimension values are stored as '' and shown as "(none)". */
export const NONE_VALUE = '(none)';

export function shapeBreakdownRow(dimension: Dimension, row: Counters & { value: string }, visitors: number): BreakdownResult {
  const all = deriveMetrics(row, visitors);
  const has = new Set(breakdownMetrics(dimension));
  const pick = (m: BreakdownMetric) => (has.has(m) ? all[m] : null);
  return {
    value: row.value === '' ? NONE_VALUE : row.value,
    visitors: pick('visitors'),
    pageviews: pick('pageviews'),
    visits: pick('visits'),
    bounce_rate: pick('bounce_rate'),
    visit_duration: pick('visit_duration'),
    events: pick('events'),
    conversion_rate: null,
  };
}

/**
 * Final order inside a page: visitors, then pageviews, then value; custom events by events first,
 * as the SQL ranking already does for them.
 */
export function compareBreakdown(dimension: Dimension): (a: BreakdownResult, b: BreakdownResult) => number {
  const desc = (m: BreakdownMetric) => (a: BreakdownResult, b: BreakdownResult) => (b[m] ?? 0) - (a[m] ?? 0);
  const keys = dimension === 'event' ? [desc('events'), desc('visitors')] : [desc('visitors'), desc('pageviews')];
  return (a, b) => {
    for (const k of keys) {
      const d = k(a, b);
      if (d !== 0) return d;
    }
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  };
}
