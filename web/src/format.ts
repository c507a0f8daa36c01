/**
 * Number, percent, duration and date formatting with Intl for the page's locale, and the change of
 * a metric against the previous period. Pure: the locale is an argument.
 */
import type { Interval, Metric } from './api';

const cache = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, options);
    cache.set(key, f);
  }
  return f;
}

/** 1234 → "1,234"; large numbers compact ("12.3K") when `compact`. */
export function formatNumber(n: number, locale: string, compact = false): string {
  if (compact && Math.abs(n) >= 10_000) return numberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
  return numberFormat(locale, { maximumFractionDigits: 2 }).format(n);
}

/** 0–100 → "42.5%". The API sends percentages, Intl wants fractions. */
export function formatPercent(p: number, locale: string): string {
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(p / 100);
}

/** Seconds → "1m 05s" / "2h 03m" / "42s": short and unambiguous in every locale. */
export function formatDuration(seconds: number, locale: string): string {
  const s = Math.max(0, Math.round(seconds));
  const two = numberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
  const one = numberFormat(locale, { useGrouping: false });
  if (s < 60) return `${one.format(s)}s`;
  if (s < 3600) return `${one.format(Math.floor(s / 60))}m ${two.format(s % 60)}s`;
  return `${numberFormat(locale, {}).format(Math.floor(s / 3600))}h ${two.format(Math.floor((s % 3600) / 60))}m`;
}

/** A metric's value in its own unit. */
export function formatMetric(metric: Metric | 'events', value: number, locale: string, compact = false): string {
  switch (metric) {
    case 'bounce_rate':
      return formatPercent(value, locale);
    case 'visit_duration':
      return formatDuration(value, locale);
    case 'views_per_visit':
      return numberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
    default:
      return formatNumber(value, locale, compact);
  }
}

export interface Change {
  /** Relative change in percent, rounded to an integer; null when the previous value was 0. */
  percent: number | null;
  direction: 'up' | 'down' | 'flat';
  /** Whether the change is good news: fewer bounces are, fewer visitors are not. */
  good: boolean | null;
}

/** Change of `current` vs `previous`. For bounce rate the change is in percentage points. */
export function changeOf(metric: Metric, current: number, previous: number): Change {
  let percent: number | null;
  if (metric === 'bounce_rate') percent = Math.round(current - previous);
  else if (previous === 0) percent = current === 0 ? 0 : null;
  else percent = Math.round(((current - previous) / previous) * 100);
  // Math.round(-0.4) is -0, which Intl prints as "-0".
  if (percent === 0) percent = 0;
  // A change that rounds to 0 is shown as flat: an arrow and a colour would overstate it.
  const delta = percent === 0 ? 0 : current - previous;
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  const good = direction === 'flat' ? null : (direction === 'up') !== (metric === 'bounce_rate');
  return { percent, direction, good };
}

/** "+12%", "−3 pp", "new" — the text beside a KPI. */
export function formatChange(metric: Metric, change: Change, locale: string): string {
  if (change.percent === null) return 'new';
  const unit = metric === 'bounce_rate' ? ' pp' : '%';
  const n = numberFormat(locale, { signDisplay: 'exceptZero', maximumFractionDigits: 0 }).format(change.percent);
  return `${n}${unit}`;
}

const dateCache = new Map<string, Intl.DateTimeFormat>();
/**
 * Formats a site-local wall-clock instant (epoch ms read as UTC, see chart-math `parseLocal`):
 * formatting in UTC shows the site's own clock whatever the reader's zone is.
 */
export function formatBucket(ms: number, interval: Interval, locale: string, long = false): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'day'
      ? { timeZone: 'UTC', month: 'short', day: 'numeric', ...(long ? { weekday: 'short', year: 'numeric' } : {}) }
      : { timeZone: 'UTC', hour: 'numeric', minute: '2-digit', ...(long ? { month: 'short', day: 'numeric' } : {}) };
  const key = `${locale}|${interval}|${long}`;
  let f = dateCache.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale, options);
    dateCache.set(key, f);
  }
  return f.format(new Date(ms));
}

/** The nearest `lang` attribute, crossing shadow roots (closest() stops at them). */
function langOf(el: Element | null): string | null {
  let node: Element | null = el;
  while (node) {
    const found = node.closest('[lang]');
    if (found) return found.getAttribute('lang');
    const root = node.getRootNode();
    node = root instanceof ShadowRoot ? root.host : null;
  }
  return null;
}

/** The locale of an element: nearest `lang` attribute, else the browser's, else en. */
export function localeOf(el: Element | null): string {
  const lang = langOf(el);
  if (lang) {
    try {
      return Intl.getCanonicalLocales(lang)[0] ?? 'en';
    } catch {
      // An invalid lang attribute must not break the dashboard.
    }
  }
  return typeof navigator === 'undefined' ? 'en' : navigator.language || 'en';
}
