/**
 * GET /api/v1/stats/export — a ZIP (fflate) of CSV files like Plausible's export, built from the API's own
 * answers: the export asks the timeseries and breakdown routes (filtered or not, exactly as the dashboard
 * would) and writes what they return, so the files hold the same numbers as the API.
 *
 * Breakdowns are read in pages of 1000 up to MAX_EXPORT_ROWS rows per file; custom_props.csv covers the
 * (at most 100) keys GET /api/v1/props lists.
 */
import { zipSync, strToU8 } from 'fflate';
import { authorizeSite } from '../access';
import { periodMaxAge } from '../http-policy';
import { parseSummary } from '../params';
import { resolvePeriod } from '../period';
import type { Route, RouteResult } from '../route';
import type { BreakdownResult, TimeBucket } from '../shape';
import { DAY_MS } from '../../lib/time';
import { toCsv, type CsvValue } from './csv';
import { takeFilters } from './params';

/** File → breakdown dimension (the list agreed in /tmp/api-v2.md, Plausible's names). */
export const EXPORT_FILES: readonly (readonly [string, string])[] = [
  ['pages.csv', 'page'],
  ['entry_pages.csv', 'entry_page'],
  ['exit_pages.csv', 'exit_page'],
  ['sources.csv', 'source'],
  ['referrers.csv', 'referrer'],
  ['channels.csv', 'channel'],
  ['utm_sources.csv', 'utm_source'],
  ['utm_mediums.csv', 'utm_medium'],
  ['utm_campaigns.csv', 'utm_campaign'],
  ['utm_contents.csv', 'utm_content'],
  ['utm_terms.csv', 'utm_term'],
  ['countries.csv', 'country'],
  ['browsers.csv', 'browser'],
  ['operating_systems.csv', 'os'],
  ['devices.csv', 'device'],
  ['custom_events.csv', 'event'],
];

export const VISITORS_COLUMNS = ['visitors', 'pageviews', 'visits', 'views_per_visit', 'bounce_rate', 'visit_duration'] as const;
type BreakdownColumn = 'visitors' | 'pageviews' | 'visits' | 'bounce_rate' | 'visit_duration' | 'events';
export const MAX_EXPORT_ROWS = 100_000;
const PAGE = 1000;

/** The columns a breakdown file carries: name plus the metrics its dimension has (not null in the API). */
export function columnsOf(dimension: string): BreakdownColumn[] {
  if (dimension === 'page') return ['visitors', 'pageviews'];
  if (dimension === 'event' || dimension.startsWith('props:')) return ['visitors', 'events'];
  return ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'];
}

interface BreakdownBody {
  has_more: boolean;
  results: BreakdownResult[];
}
interface TimeseriesBody {
  buckets: TimeBucket[];
}
interface PropsBody {
  keys: { key: string }[];
}

export interface ExportRoutes {
  timeseries: Route;
  breakdown: Route;
  props: Route;
}

export function createExportRoute(routes: ExportRoutes): Route {
  return async (req, deps): Promise<RouteResult> => {
    const { rest } = takeFilters(req.query); // validates filters before any work
    const params = parseSummary(rest);
    const { site, isPublicData } = await authorizeSite(deps.db, params.site, req.bearer);
    const period = resolvePeriod(params.period, deps.now(), site.timezone);
    const ask = async <T>(route: Route, extra: Record<string, string>, query = req.query): Promise<T> =>
      (await route({ query: { ...query, ...extra }, bearer: req.bearer }, deps)).body as T;
    const breakdownRows = async (dimension: string): Promise<BreakdownResult[]> => {
      const out: BreakdownResult[] = [];
      for (let page = 1; out.length < MAX_EXPORT_ROWS; page++) {
        const b = await ask<BreakdownBody>(routes.breakdown, { dimension, limit: String(PAGE), page: String(page) });
        out.push(...b.results);
        if (!b.has_more) break;
      }
      return out;
    };
    const files: Record<string, Uint8Array> = {};
    const series = await ask<TimeseriesBody>(routes.timeseries, { metrics: VISITORS_COLUMNS.join(',') });
    files['visitors.csv'] = strToU8(
      toCsv(
        ['date', ...VISITORS_COLUMNS],
        series.buckets.map((t) => [t.t, ...VISITORS_COLUMNS.map((m): CsvValue => t[m] ?? null)]),
      ),
    );
    // One after another: a shared 2-core database gains nothing from 17 parallel scans.
    for (const [file, dimension] of EXPORT_FILES) {
      const cols = columnsOf(dimension);
      const rows = await breakdownRows(dimension);
      files[file] = strToU8(
        toCsv(
          ['name', ...cols],
          rows.map((r) => [r.value, ...cols.map((c) => r[c])]),
        ),
      );
    }
    // The keys of the range (GET /api/v1/props takes no filters); each key's values under the filters.
    const keys = (await ask<PropsBody>(routes.props, {}, rest)).keys;
    const propRows: CsvValue[][] = [];
    for (const { key } of keys) {
      for (const r of await breakdownRows(`props:${key}`)) propRows.push([key, r.value, r.visitors, r.events]);
    }
    files['custom_props.csv'] = strToU8(toCsv(['property', 'value', 'visitors', 'events'], propRows));
    const zip = zipSync(files, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const name = `${site.hostname}-${day(period.current.from)}-${day(period.current.to - DAY_MS)}.zip`;
    return {
      body: null,
      raw: {
        contentType: 'application/zip',
        bytes: Buffer.from(zip),
        headers: { 'Content-Disposition': `attachment; filename="${name}"` },
      },
      maxAge: periodMaxAge(period, 'period' in params.period && params.period.period === 'today'),
      isPublicData,
    };
  };
}
