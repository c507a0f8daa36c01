/**
 * Response values from fact totals (pure), with the same rounding as the rollup answers (shape.ts
 * deriveMetrics): bounce rate 0–100 with one decimal, mean visit seconds, views per visit with two.
 * Bots belong to no visit, so a filtered answer has no bot events (`bot_events` is 0).
 */
import type { Metrics } from '../shape';
import type { FactTotals } from './fact-totals';

export const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function metricsOf(t: FactTotals): Metrics {
  const perVisit = (n: number) => (t.visits === 0 ? 0 : n / t.visits);
  return {
    visitors: t.visitors,
    pageviews: t.pageviews,
    visits: t.visits,
    bounce_rate: round(perVisit(t.bounces) * 100, 1),
    visit_duration: Math.round(perVisit(t.durationMs) / 1000),
    views_per_visit: round(perVisit(t.pageviews), 2),
    events: t.events,
    bot_events: 0,
  };
}

/** converting ÷ all × 100, one decimal; 0 when there is nobody to convert. */
export const conversionRate = (converting: number, all: number): number => (all === 0 ? 0 : round((converting / all) * 100, 1));
