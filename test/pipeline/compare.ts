/**
 * Compares what the pipeline stored with the simulator's ground truth (functions/generate/ground-truth.ts)
 * under ARCHITECTURE.md "Metric definitions" — through the stats API, as a dashboard reads it, not through
 * the SQL tables. For every site:
 * - summary of each site-day (from = to = day) and of the whole range: every counter exact, visitors exact
 *   (whole days sum their days' exact visitors); bounce rate, visit duration and views per visit equal the
 *   truth's counters put through the API's documented rounding;
 * - breakdowns of every dimension for each site-day and for the whole range, paged until `has_more` is
 *   false: every value, its counters and its visitors exact (pages also time on page and scroll depth);
 * - timeseries by day (exact) and by hour (counters exact, hourly visitors within the tolerance);
 * - `24h`, a range that cuts days: counters exact, visitors within the tolerance (default 2 %).
 * Returns the list of mismatches (empty = the pipeline is right); `formatMismatches` prints a readable diff.
 *
 * Reused by the pipeline acceptance suites, the crash tests and `npm start`'s checks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DIMENSIONS, type Dimension } from '../../events/vocabulary';
import {
  windowFigures,
  type DimensionTruth,
  type GroundTruthJson,
  type PageFigures,
  type SiteTruth,
  type TruthFigures,
  type VisitFigures,
} from '../../functions/generate/ground-truth';
import type { Database } from '../../functions/lib/db';
import { createQueryHandler } from '../../functions/query/handler';
import type { BreakdownResponse, BreakdownResult, SummaryResponse, TimeseriesResponse } from '../../functions/query/shape';
import { createSiteRegistry } from '../../functions/sites/registry';

export interface Mismatch {
  site: string;
  /** Where: `day 2026-11-24`, `range`, `day 2026-11-24 page "/pricing"`, `24h …`, `GET /api/v1/…`, … */
  scope: string;
  /** Which figure, by its API name: `pageviews`, `visits`, `visitors`, `bounce_rate`, … */
  metric: string;
  expected: number | null;
  actual: number | null;
  /** For approximate figures: the allowed relative error. */
  tolerance?: number;
}

export interface CompareOptions {
  /** Allowed relative error of visitors where a range cuts days (`24h`, hourly buckets); default 0.02. */
  cutVisitorTolerance?: number;
  /** Also check `24h` (default true; off when the truth's data lies more than a day back anyway). */
  window24h?: boolean;
  /** Also check the hourly timeseries (default true). */
  hours?: boolean;
  /** Breakdown page size (default 100, so that paging is exercised). */
  pageSize?: number;
}

/** Where the API is and how to open a site (a bearer token for private sites). */
export interface ApiTarget {
  baseUrl: string;
  headersFor(site: string): Promise<Record<string, string>>;
}

const NONE = '(none)';
const shown = (value: string) => (value === '' ? NONE : value);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The truth's value of a rounded metric, and the neighbour accepted when the exact value lies on a rounding
 * tie (x.x5 may come out either way in floating point, in JS or in SQL).
 */
function roundedOf(raw: number, digits: number): number[] {
  const x = raw * 10 ** digits;
  const want = round(raw, digits);
  return Math.abs(x - Math.floor(x) - 0.5) < 1e-6 ? [want, Math.floor(x) / 10 ** digits, Math.ceil(x) / 10 ** digits] : [want];
}

interface Expected {
  /** Exact figures (API name → value; null = the API must answer null). */
  exact: Record<string, number | null>;
  /** Rounded figures: API name → accepted values. */
  rounded: Record<string, number[]>;
  /** Approximate figures: API name → [value, tolerance]. */
  near: Record<string, [number, number]>;
}

function visitRates(f: { visits: number; bounces: number; durationMs: number; pageviews: number }): Expected['rounded'] {
  const per = (n: number) => (f.visits === 0 ? 0 : n / f.visits);
  return {
    bounce_rate: roundedOf(per(f.bounces) * 100, 1),
    visit_duration: roundedOf(per(f.durationMs) / 1000, 0),
  };
}

function summaryExpected(f: TruthFigures, visitors: 'exact' | number): Expected {
  const rounded = visitRates(f);
  rounded.views_per_visit = roundedOf(f.visits === 0 ? 0 : f.pageviews / f.visits, 2);
  return {
    exact: {
      pageviews: f.pageviews,
      visits: f.visits,
      events: f.events,
      bot_events: f.botEvents,
      ...(visitors === 'exact' ? { visitors: f.visitors } : {}),
    },
    rounded,
    near: visitors === 'exact' ? {} : { visitors: [f.visitors, visitors] },
  };
}

function breakdownExpected(dimension: Dimension, f: object | undefined): Expected {
  if (dimension === 'page') {
    const p: PageFigures = { visitors: 0, pageviews: 0, engagedMs: 0, engagedVisitors: 0, scrollDepthSum: 0, ...f };
    const engaged = p.engagedVisitors;
    return {
      exact: { visitors: p.visitors, pageviews: p.pageviews, visits: null, bounce_rate: null, visit_duration: null, events: null },
      rounded: {
        time_on_page: engaged === 0 ? [] : roundedOf(p.engagedMs / engaged / 1000, 0),
        scroll_depth: engaged === 0 ? [] : roundedOf(p.scrollDepthSum / engaged, 0),
      },
      near: {},
    };
  }
  if (dimension === 'event') {
    const e = { visitors: 0, events: 0, ...f };
    return {
      exact: { visitors: e.visitors, events: e.events, pageviews: null, visits: null, bounce_rate: null, visit_duration: null },
      rounded: {},
      near: {},
    };
  }
  const v: VisitFigures = { visitors: 0, visits: 0, bounces: 0, durationMs: 0, pageviews: 0, events: 0, ...f };
  return {
    exact: { visitors: v.visitors, visits: v.visits, pageviews: v.pageviews, events: null },
    rounded: visitRates(v),
    near: {},
  };
}

/** The query function's own handler over `db`, on a loopback port, with a token per private site. */
export async function startQueryApi(db: Database): Promise<ApiTarget & { close(): Promise<void> }> {
  const handler = createQueryHandler({ db });
  const server: Server = createServer((req, res) => void handler.listener(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headersFor: (site) => tokenHeaders(db, site),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const tokens = new WeakMap<Database, Map<string, Promise<string>>>();

/** `Authorization` for a site (a token made once per database and site; public sites do not check it). */
export async function tokenHeaders(db: Database, site: string): Promise<Record<string, string>> {
  let m = tokens.get(db);
  if (m === undefined) tokens.set(db, (m = new Map()));
  let t = m.get(site);
  if (t === undefined) {
    t = createSiteRegistry(db).createToken(site, 'ground-truth comparison');
    m.set(site, t);
    t.catch(() => m.delete(site));
  }
  return { authorization: `Bearer ${await t}` };
}

/** Starts the query API over `db`, compares everything with the truth, stops it again. */
export async function compareWithTruth(db: Database, truth: GroundTruthJson, opts: CompareOptions = {}): Promise<Mismatch[]> {
  const api = await startQueryApi(db);
  try {
    return await compareThroughApi(api, truth, opts);
  } finally {
    await api.close();
  }
}

export async function compareThroughApi(api: ApiTarget, truth: GroundTruthJson, opts: CompareOptions = {}): Promise<Mismatch[]> {
  const tol = opts.cutVisitorTolerance ?? 0.02;
  const pageSize = opts.pageSize ?? 100;
  const out: Mismatch[] = [];

  /** `got` = the API's object (undefined: the API has no such row, i.e. zeros); its non-numbers read as null. */
  const check = (site: string, scope: string, want: Expected, got: object | undefined) => {
    const fields = (got ?? {}) as Record<string, unknown>;
    const g = (metric: string): number | null => {
      const v = fields[metric];
      return typeof v === 'number' ? v : null;
    };
    for (const [metric, expected] of Object.entries(want.exact)) {
      const actual = got === undefined ? (expected === null ? null : 0) : g(metric);
      if (actual !== expected) out.push({ site, scope, metric, expected, actual });
    }
    for (const [metric, accepted] of Object.entries(want.rounded)) {
      const actual = g(metric);
      if (accepted.length === 0 ? actual !== null && got !== undefined : actual === null || !accepted.includes(actual))
        out.push({ site, scope, metric, expected: accepted[0] ?? null, actual });
    }
    for (const [metric, [expected, tolerance]] of Object.entries(want.near)) {
      const actual = got === undefined ? 0 : g(metric);
      // tiny figures: one either way is within any sketch's error
      if (typeof actual !== 'number' || Math.abs(actual - expected) > Math.max(1, expected * tolerance))
        out.push({ site, scope, metric, expected, actual, tolerance });
    }
  };

  const get = async <T>(site: string, path: string): Promise<T | undefined> => {
    const res = await fetch(`${api.baseUrl}${path}`, { headers: await api.headersFor(site) });
    const text = await res.text();
    if (res.status !== 200) {
      out.push({ site, scope: `GET ${path}: ${text.slice(0, 200)}`, metric: 'status', expected: 200, actual: res.status });
      return undefined;
    }
    return JSON.parse(text) as T;
  };

  /** Every value of a breakdown, page after page; a value on two pages is a mismatch. */
  const breakdown = async (site: string, query: string, dimension: Dimension): Promise<Map<string, BreakdownResult> | undefined> => {
    const values = new Map<string, BreakdownResult>();
    for (let page = 1; page < 10_000; page++) {
      const r = await get<BreakdownResponse>(
        site,
        `/api/v1/stats/breakdown?${query}&dimension=${dimension}&limit=${pageSize}&page=${page}`,
      );
      if (r === undefined) return undefined;
      for (const row of r.results) {
        if (values.has(row.value))
          out.push({
            site,
            scope: `${query} ${dimension} ${JSON.stringify(row.value)} on two pages`,
            metric: 'rows',
            expected: 1,
            actual: 2,
          });
        values.set(row.value, row);
      }
      if (!r.has_more) break;
    }
    return values;
  };

  const compareDimensions = async (site: string, scope: string, query: string, dims: DimensionTruth) => {
    await Promise.all(
      DIMENSIONS.map(async (dimension) => {
        const got = await breakdown(site, query, dimension);
        if (got === undefined) return;
        const want = dims[dimension] as Record<string, object>;
        const wanted = new Map(Object.entries(want).map(([v, f]) => [shown(v), f]));
        for (const value of new Set([...wanted.keys(), ...got.keys()])) {
          const row = got.get(value);
          const expected = breakdownExpected(dimension, wanted.get(value));
          check(site, `${scope} ${dimension} ${JSON.stringify(value)}`, expected, row);
        }
      }),
    );
  };

  for (const s of Object.values(truth.sites)) await compareSite(s);
  return out;

  async function compareSite(s: SiteTruth): Promise<void> {
    const site = s.site;
    const days = Object.keys(s.days).sort();
    if (days.length === 0) return;
    const q = (from: string, to: string) => `site=${encodeURIComponent(site)}&from=${from}&to=${to}`;

    // each site-day, every figure and every dimension value
    for (const day of days) {
      const summary = await get<SummaryResponse>(site, `/api/v1/stats/summary?${q(day, day)}`);
      if (summary !== undefined) check(site, `day ${day}`, summaryExpected(s.days[day]!, 'exact'), summary.metrics);
      await compareDimensions(site, `day ${day}`, q(day, day), s.dayDimensions[day] ?? emptyDims());
    }

    // the whole range: whole days sum their days, visitors included
    const range = q(days[0]!, days[days.length - 1]!);
    const summary = await get<SummaryResponse>(site, `/api/v1/stats/summary?${range}`);
    if (summary !== undefined) check(site, 'range', summaryExpected(s.totals, 'exact'), summary.metrics);
    await compareDimensions(site, 'range', range, s.dimensions);

    const metrics = 'metrics=visitors,pageviews,visits,bounce_rate,visit_duration,views_per_visit,events,bot_events';
    const byDay = await get<TimeseriesResponse>(site, `/api/v1/stats/timeseries?${range}&interval=day&${metrics}`);
    for (const b of byDay?.buckets ?? []) {
      const day = b.t.slice(0, 10);
      check(site, `timeseries day ${day}`, summaryExpected(s.days[day] ?? zeroFigures(), 'exact'), b);
    }

    if (opts.hours !== false && days.length <= 31) {
      const byHour = await get<TimeseriesResponse>(site, `/api/v1/stats/timeseries?${range}&interval=hour&${metrics}`);
      for (const b of byHour?.buckets ?? []) {
        const h = s.hours[b.t];
        const f: TruthFigures = h === undefined ? zeroFigures() : { ...h, visitors: h.visitorKeys.length };
        check(site, `timeseries hour ${b.t}`, summaryExpected(f, tol), b);
      }
    }

    if (opts.window24h !== false) {
      const cut = await get<SummaryResponse>(site, `/api/v1/stats/summary?site=${encodeURIComponent(site)}&period=24h`);
      if (cut !== undefined) {
        const f = windowFigures(s, cut.range.from, cut.range.to);
        check(site, `24h ${cut.range.from}..${cut.range.to}`, summaryExpected(f, tol), cut.metrics);
      }
    }
  }
}

const zeroFigures = (): TruthFigures => ({ pageviews: 0, events: 0, botEvents: 0, visits: 0, bounces: 0, durationMs: 0, visitors: 0 });
const emptyDims = (): DimensionTruth => Object.fromEntries(DIMENSIONS.map((d) => [d, {}])) as DimensionTruth;

/** A readable diff: one line per mismatch, grouped by site, at most `max` lines. */
export function formatMismatches(mismatches: readonly Mismatch[], max = 80): string {
  if (mismatches.length === 0) return 'no mismatches';
  const sorted = [...mismatches].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  const lines = sorted.slice(0, max).map((m) => {
    const delta = m.actual !== null && m.expected !== null ? m.actual - m.expected : undefined;
    const pct = delta === undefined || m.expected === 0 || m.expected === null ? '' : ` (${((delta / m.expected) * 100).toFixed(2)}%)`;
    const tol = m.tolerance === undefined ? '' : `, allowed ±${(m.tolerance * 100).toFixed(0)}%`;
    const diff = delta === undefined ? '' : `: ${delta > 0 ? '+' : ''}${delta}`;
    return `  ${m.site.padEnd(16)} ${m.scope.padEnd(48)} ${m.metric.padEnd(14)} expected ${m.expected}, got ${m.actual}${diff}${pct}${tol}`;
  });
  const more = mismatches.length > max ? `\n  … and ${mismatches.length - max} more` : '';
  return `${mismatches.length} mismatch(es) against the ground truth:\n${lines.join('\n')}${more}`;
}
