/**
 * The dashboard's view in the address bar: `period` and `filters` (Plausible's syntax) as query
 * parameters, so a filtered view can be shared and survives a reload. Pure: takes and returns query
 * strings; the dashboard does the `history` calls. Other parameters (`site`, `theme`, …) are kept.
 */

export interface UrlView {
  period: string | undefined;
  filters: string;
}

export function readUrlView(search: string): UrlView {
  const params = new URLSearchParams(search);
  return { period: params.get('period') || undefined, filters: params.get('filters') ?? '' };
}

/** The query string (with `?`, or '' when empty) for a view; empty filters leave no parameter. */
export function writeUrlView(search: string, view: { period: string; filters: string }): string {
  const params = new URLSearchParams(search);
  params.set('period', view.period);
  if (view.filters === '') params.delete('filters');
  else params.set('filters', view.filters);
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}
