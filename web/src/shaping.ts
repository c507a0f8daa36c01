/**
 * Turns API documents into what the elements show: KPI tiles, breakdown rows with bar widths,
 * labels. Pure, so the rules (which metric a dimension ranks by, when data counts as empty) are
 * tested without a browser.
 */
import type { FilterDimension } from '../../events/vocabulary';
import { PROPS_PREFIX, type BreakdownDimension, type BreakdownRow, type Metric, type Period, type SummaryResponse } from './api';
import { filterKeyLabel, OP_LABELS, type Filter } from './filters';
import { changeOf, formatDuration, formatNumber, formatPercent, type Change } from './format';

export const METRIC_LABELS: Record<Metric, string> = {
  visitors: 'Visitors',
  pageviews: 'Pageviews',
  visits: 'Visits',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  views_per_visit: 'Views per visit',
};

export const DIMENSION_LABELS: Record<FilterDimension, string> = {
  page: 'Pages',
  entry_page: 'Entry pages',
  exit_page: 'Exit pages',
  source: 'Sources',
  referrer: 'Referrers',
  channel: 'Channels',
  utm_source: 'UTM sources',
  utm_medium: 'UTM media',
  utm_campaign: 'UTM campaigns',
  utm_content: 'UTM contents',
  utm_term: 'UTM terms',
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

/** A goal filter's figures (present only when the summary has them): total conversions and the rate. */
export interface GoalFigure {
  key: 'conversions' | 'conversion_rate';
  label: string;
  value: number;
  previous: number | undefined;
  format: ColumnFormat;
}

export function goalFiguresOf(summary: SummaryResponse): GoalFigure[] {
  const out: GoalFigure[] = [];
  const { conversions, conversion_rate } = summary.metrics;
  const prev = summary.previous?.metrics;
  if (conversions !== undefined) {
    out.push({ key: 'conversions', label: 'Conversions', value: conversions, previous: prev?.conversions, format: 'number' });
  }
  if (conversion_rate !== undefined) {
    out.push({
      key: 'conversion_rate',
      label: 'Conversion rate',
      value: conversion_rate,
      previous: prev?.conversion_rate,
      format: 'percent',
    });
  }
  return out;
}

/** No visits and no pageviews: the dashboard says so instead of drawing zeros. */
export function isEmptySummary(summary: SummaryResponse): boolean {
  return summary.metrics.visits === 0 && summary.metrics.pageviews === 0 && summary.metrics.events === 0;
}

/** One dimension's name as a chip and a filter read it ("Country is Germany"). */
const SINGULAR_LABELS: Record<FilterDimension, string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  source: 'Source',
  referrer: 'Referrer',
  channel: 'Channel',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  utm_content: 'UTM content',
  utm_term: 'UTM term',
  country: 'Country',
  browser: 'Browser',
  os: 'Operating system',
  device: 'Device',
  event: 'Custom event',
};

/** Heading of a breakdown: "Pages", "Goals", "Property plan". */
export function breakdownLabel(dimension: BreakdownDimension): string {
  if (dimension === 'goal') return 'Goals';
  if (dimension.startsWith(PROPS_PREFIX)) return `Property ${dimension.slice(PROPS_PREFIX.length)}`;
  return DIMENSION_LABELS[dimension as FilterDimension];
}

/** A chip's parts, each rendered as text: "Country" "is" "Germany or France". */
export function chipOf(filter: Filter, locale: string): { key: string; op: string; values: string } {
  const shown = filter.values.map((v) => (filter.key === 'country' ? displayValue('country', v, locale) : v));
  return { key: filterKeyLabel(filter.key, (d) => SINGULAR_LABELS[d]), op: OP_LABELS[filter.op], values: shown.join(' or ') };
}

/** The metric a breakdown is ranked and drawn by (ARCHITECTURE: events for `event`, else visitors). */
export function rankMetric(dimension: BreakdownDimension): 'visitors' | 'events' {
  return dimension === 'event' ? 'events' : 'visitors';
}

export type ColumnFormat = 'number' | 'percent' | 'duration';

/** A figure column of a breakdown: which row key, its header, how to format it. */
export interface Column {
  key: string;
  label: string;
  /** A shorter header where the full one would crowd a card. */
  short?: string;
  format: ColumnFormat;
}

/** Page metrics from engagement events, shown when the API sends them (null or absent = not shown). */
const ENGAGEMENT_COLUMNS: readonly Column[] = [
  { key: 'time_on_page', label: 'Time on page', short: 'Time', format: 'duration' },
  { key: 'scroll_depth', label: 'Scroll depth', short: 'Scroll', format: 'percent' },
];

/** A row's figure by key; anything that is not a number (null, absent) reads as null. */
export function figureOf(row: BreakdownRow, key: string): number | null {
  const v: unknown = (row as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The columns after the value: the rank metric first. Goals show unique and total conversions and the
 * conversion rate; custom events and properties events beside visitors; everything else pageviews.
 */
export function breakdownColumns(dimension: BreakdownDimension, rows: readonly BreakdownRow[]): Column[] {
  if (dimension === 'goal') {
    return [
      { key: 'visitors', label: 'Uniques', format: 'number' },
      { key: 'events', label: 'Total', format: 'number' },
      { key: 'conversion_rate', label: 'CR', format: 'percent' },
    ];
  }
  if (dimension === 'event') {
    return [
      { key: 'events', label: 'Events', format: 'number' },
      { key: 'visitors', label: 'Visitors', format: 'number' },
    ];
  }
  if (dimension.startsWith(PROPS_PREFIX)) {
    return [
      { key: 'visitors', label: 'Visitors', format: 'number' },
      { key: 'events', label: 'Events', format: 'number' },
    ];
  }
  const base: Column[] = [
    { key: 'visitors', label: 'Visitors', format: 'number' },
    { key: 'pageviews', label: 'Pageviews', format: 'number' },
  ];
  if (dimension !== 'page') return base;
  return [...base, ...ENGAGEMENT_COLUMNS.filter((c) => rows.some((r) => figureOf(r, c.key) !== null))];
}

export function formatFigure(format: ColumnFormat, value: number, locale: string): string {
  if (format === 'percent') return formatPercent(value, locale);
  if (format === 'duration') return formatDuration(value, locale);
  return formatNumber(value, locale, true);
}

export interface BarRow {
  value: string;
  /** The rank metric's figure. */
  count: number;
  /** Bar width as a fraction of the largest row seen so far (0–1). */
  fraction: number;
  /** One figure per column (null = not applicable). */
  figures: (number | null)[];
}

/** Rows with bar fractions; the first page's top row sets the scale, so "more" rows stay comparable. */
export function barRows(dimension: BreakdownDimension, rows: readonly BreakdownRow[], columns: readonly Column[]): BarRow[] {
  const metric = rankMetric(dimension);
  const counts = rows.map((r) => r[metric] ?? 0);
  const top = Math.max(1, ...counts);
  return rows.map((r, i) => ({
    value: r.value,
    count: counts[i] ?? 0,
    fraction: (counts[i] ?? 0) / top,
    figures: columns.map((c) => figureOf(r, c.key)),
  }));
}

/** Appends a further page, ignoring rows already shown (a refresh can shift rows between pages). */
export function appendPage(shown: readonly BreakdownRow[], next: readonly BreakdownRow[]): BreakdownRow[] {
  const seen = new Set(shown.map((r) => r.value));
  return [...shown, ...next.filter((r) => !seen.has(r.value))];
}

/** Country codes get their name in the reader's language ("DE" → "Germany"). */
export function displayValue(dimension: BreakdownDimension, value: string, locale: string): string {
  if (dimension !== 'country' || !/^[A-Z]{2}$/.test(value)) return value;
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(value) ?? value;
  } catch {
    return value;
  }
}
