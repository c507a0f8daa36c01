/**
 * Turns API documents into what the elements show: KPI tiles, breakdown rows with bar widths,
 * labels. Pure, so the rules (which metric a dimension ranks by, when data counts as empty) are
 * tested without a browser.
 */
import type { BreakdownRow, Dimension, Metric, Period, SummaryResponse } from './api';
import { changeOf, type Change } from './format';

export const METRIC_LABELS: Record<Metric, string> = {
  visitors: 'Visitors',
  pageviews: 'Pageviews',
  visits: 'Visits',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  views_per_visit: 'Views per visit',
};

export const DIMENSION_LABELS: Record<Dimension, string> = {
  page: 'Pages',
  entry_page: 'Entry pages',
  exit_page: 'Exit pages',
  source: 'Sources',
  referrer: 'Referrers',
  channel: 'Channels',
  utm_source: 'UTM sources',
  utm_medium: 'UTM media',
  utm_campaign: 'UTM campaigns',
  country: 'Countries',
  browser: 'Browsers',
  os: 'Operating systems',
  device: 'Devices',
  event: 'Custom events',
};

export const PERIOD_LABELS: Record<Period, string> = {
  today: 'Today',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '12mo': 'Last 12 months',
};

export interface Kpi {
  metric: Metric;
  label: string;
  value: number;
  previous: number;
  change: Change;
}

const KPI_ORDER: readonly Metric[] = ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'];

export function kpisOf(summary: SummaryResponse): Kpi[] {
  return KPI_ORDER.map((metric) => {
    const value = summary.metrics[metric] ?? 0;
    const previous = summary.previous?.metrics?.[metric] ?? 0;
    return { metric, label: METRIC_LABELS[metric], value, previous, change: changeOf(metric, value, previous) };
  });
}

/** No visits and no pageviews: the dashboard says so instead of drawing zeros. */
export function isEmptySummary(summary: SummaryResponse): boolean {
  return summary.metrics.visits === 0 && summary.metrics.pageviews === 0 && summary.metrics.events === 0;
}

/** The metric a dimension is ranked and drawn by (ARCHITECTURE: events for `event`, else visitors). */
export function rankMetric(dimension: Dimension): 'visitors' | 'events' {
  return dimension === 'event' ? 'events' : 'visitors';
}

export interface BarRow {
  value: string;
  count: number;
  /** Bar width as a fraction of the largest row seen so far (0–1). */
  fraction: number;
  /** Secondary figure: pageviews for pages, visits for sessions dimensions; null when not applicable. */
  secondary: number | null;
}

/** Rows with bar fractions; the first page's top row sets the scale, so "more" rows stay comparable. */
export function barRows(dimension: Dimension, rows: readonly BreakdownRow[]): BarRow[] {
  const metric = rankMetric(dimension);
  const counts = rows.map((r) => r[metric] ?? 0);
  const top = Math.max(1, ...counts);
  return rows.map((r, i) => ({
    value: r.value,
    count: counts[i] ?? 0,
    fraction: (counts[i] ?? 0) / top,
    secondary: dimension === 'event' ? r.visitors : r.pageviews,
  }));
}

/** Appends a further page, ignoring rows already shown (a refresh can shift rows between pages). */
export function appendPage(shown: readonly BreakdownRow[], next: readonly BreakdownRow[]): BreakdownRow[] {
  const seen = new Set(shown.map((r) => r.value));
  return [...shown, ...next.filter((r) => !seen.has(r.value))];
}

/** Header of the secondary column. */
export function secondaryLabel(dimension: Dimension): string {
  return dimension === 'event' ? 'Visitors' : 'Pageviews';
}

/** Country codes get their name in the reader's language ("DE" → "Germany"). */
export function displayValue(dimension: Dimension, value: string, locale: string): string {
  if (dimension !== 'country' || !/^[A-Z]{2}$/.test(value)) return value;
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(value) ?? value;
  } catch {
    return value;
  }
}
