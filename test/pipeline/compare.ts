/**
 * Compares what the pipeline stored in SQL (`rollups`, `sessions`, `visitor_sketches`) with the
 * simulator's ground truth (functions/generate/ground-truth.ts), under ARCHITECTURE.md "Metric
 * definitions". Every count must be exact; unique visitors come from HyperLogLog sketches and are
 * compared within a tolerance. Returns the list of mismatches (empty = the pipeline is right);
 * `formatMismatches` prints them as a readable diff.
 *
 * Reused by the pipeline acceptance suites, the crash tests and `npm start`'s checks.
 */
import { QueryTypes } from 'sequelize';
import { deserialiseHll, unionHll, type Hll } from '../../functions/aggregate/hll';
import type { GroundTruthJson, SiteTruth, TruthFigures } from '../../functions/generate/ground-truth';
import { SESSION_DIMENSIONS } from '../../functions/generate/ground-truth';
import type { Database } from '../../functions/lib/db';
import { DAY_MS } from '../../functions/lib/time';

export interface Mismatch {
  site: string;
  /** Where: `day 2026-11-24`, `total`, `page "/pricing"`, `grain h vs d, day …`, `sessions`, … */
  scope: string;
  /** Which figure: `pageviews`, `visits`, `visitors`, … */
  metric: string;
  expected: number;
  actual: number;
  /** For approximate figures: the allowed relative error. */
  tolerance?: number;
}

export interface CompareOptions {
  /** Allowed relative error of unique visitors over the whole range per site (default 0.02). */
  rangeVisitorTolerance?: number;
  /** ...and per site-day (default 0.05). */
  dayVisitorTolerance?: number;
  /** Also check the `sessions` rows (default true; turn off once old sessions may have been pruned). */
  sessions?: boolean;
  /** Also check that hour and minute rollups add up to the day rollups (default true). */
  grains?: boolean;
}

type Counter = 'pageviews' | 'visits' | 'bounces' | 'durationMs' | 'events' | 'botEvents';
const COUNTERS: readonly Counter[] = ['pageviews', 'visits', 'bounces', 'durationMs', 'events', 'botEvents'];
type Counts = Record<Counter, number>;
const zero = (): Counts => ({ pageviews: 0, visits: 0, bounces: 0, durationMs: 0, events: 0, botEvents: 0 });

const SQL_COUNTERS =
  'SUM(pageviews) AS pageviews, SUM(visits) AS visits, SUM(bounces) AS bounces, SUM(duration_ms) AS durationMs, SUM(events) AS events, SUM(bot_events) AS botEvents';

interface CounterRow extends Record<Counter, unknown> {
  bucket?: unknown;
  dimension?: string;
  value?: string;
  grain?: string;
}

const countsOf = (r: CounterRow): Counts => Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c] ?? 0)])) as Counts;
/** A site-local day bucket (local midnight read as UTC) as YYYY-MM-DD. */
const dayOf = (bucket: unknown): string => new Date(Math.floor(Number(bucket) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
const isZero = (c: Partial<Counts>) => COUNTERS.every((k) => (c[k] ?? 0) === 0);

/** Which counters the truth knows for each dimension (the others are not compared). */
function countersOfDimension(dimension: string): readonly Counter[] {
  if (dimension === 'page') return ['pageviews'];
  if (dimension === 'event') return ['events'];
  return ['visits', 'bounces', 'durationMs', 'pageviews'];
}

function truthCounts(f: Partial<TruthFigures> & Partial<Record<Counter, number>>): Counts {
  return { ...zero(), ...Object.fromEntries(COUNTERS.map((c) => [c, f[c] ?? 0])) };
}

export async function compareWithTruth(db: Database, truth: GroundTruthJson, opts: CompareOptions = {}): Promise<Mismatch[]> {
  const rangeTol = opts.rangeVisitorTolerance ?? 0.02;
  const dayTol = opts.dayVisitorTolerance ?? 0.05;
  const select = <T extends object>(sql: string, replacements: unknown[] = []) =>
    db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  const out: Mismatch[] = [];
  const exact = (site: string, scope: string, expected: Counts, actual: Counts, counters: readonly Counter[] = COUNTERS) => {
    for (const metric of counters) {
      if (expected[metric] !== actual[metric]) out.push({ site, scope, metric, expected: expected[metric], actual: actual[metric] });
    }
  };

  const siteRows = await select<{ id: number; hostname: string }>('SELECT id, hostname FROM sites');
  const siteIds = new Map(siteRows.map((r) => [r.hostname, Number(r.id)]));
  const known = new Set<number>();

  for (const [hostname, t] of Object.entries(truth.sites)) {
    const siteId = siteIds.get(hostname);
    if (siteId === undefined) {
      out.push({ site: hostname, scope: 'sites', metric: 'registered', expected: 1, actual: 0 });
      continue;
    }
    known.add(siteId);
    await compareTotals(siteId, hostname, t);
    await compareDimensions(siteId, hostname, t);
    await compareVisitors(siteId, hostname, t);
    if (opts.sessions !== false) await compareSessions(siteId, hostname, t);
    if (opts.grains !== false) await compareGrains(siteId, hostname);
  }
  // nothing may be counted for a site the truth does not know (e.g. an unregistered one)
  const stray = await select<{ site_id: number; n: number }>('SELECT site_id, COUNT(*) AS n FROM rollups GROUP BY site_id');
  for (const r of stray) {
    if (!known.has(Number(r.site_id))) {
      const host = siteRows.find((s) => Number(s.id) === Number(r.site_id))?.hostname ?? `site_id ${r.site_id}`;
      out.push({ site: host, scope: 'rollups of a site not in the truth', metric: 'rows', expected: 0, actual: Number(r.n) });
    }
  }
  return out;

  async function compareTotals(siteId: number, site: string, t: SiteTruth): Promise<void> {
    const rows = await select<CounterRow>(
      `SELECT bucket, ${SQL_COUNTERS} FROM rollups WHERE site_id = ? AND grain = 'd' AND dimension = '' GROUP BY bucket`,
      [siteId],
    );
    const days = new Map(rows.map((r) => [dayOf(r.bucket), countsOf(r)]));
    for (const day of new Set([...Object.keys(t.days), ...days.keys()])) {
      const want = truthCounts(t.days[day] ?? {});
      const got = days.get(day) ?? zero();
      if (isZero(want) && isZero(got)) continue;
      exact(site, `day ${day}`, want, got);
    }
    const total = zero();
    for (const c of days.values()) for (const k of COUNTERS) total[k] += c[k];
    exact(site, 'total', truthCounts(t.totals), total);
  }

  async function compareDimensions(siteId: number, site: string, t: SiteTruth): Promise<void> {
    const rows = await select<CounterRow>(
      `SELECT dimension, value, ${SQL_COUNTERS} FROM rollups WHERE site_id = ? AND grain = 'd' AND dimension <> '' GROUP BY dimension, value_key, value`,
      [siteId],
    );
    const stored = new Map<string, Map<string, Counts>>();
    for (const r of rows) {
      const d = r.dimension ?? '';
      let m = stored.get(d);
      if (m === undefined) stored.set(d, (m = new Map()));
      m.set(r.value ?? '', countsOf(r));
    }
    for (const dimension of ['page', 'event', ...SESSION_DIMENSIONS] as const) {
      const want: Record<string, Partial<Record<Counter, number>>> = t.dimensions[dimension];
      const got = stored.get(dimension) ?? new Map<string, Counts>();
      const counters = countersOfDimension(dimension);
      for (const value of new Set([...Object.keys(want), ...got.keys()])) {
        const w = truthCounts(want[value] ?? {});
        const g = got.get(value) ?? zero();
        if (isZero(w) && counters.every((c) => g[c] === 0)) continue;
        exact(site, `${dimension} ${JSON.stringify(value)}`, w, g, counters);
      }
      stored.delete(dimension);
    }
    for (const [dimension, values] of stored) {
      for (const [value, c] of values) {
        if (!isZero(c))
          out.push({ site, scope: `unknown dimension ${dimension} ${JSON.stringify(value)}`, metric: 'rows', expected: 0, actual: 1 });
      }
    }
  }

  async function compareVisitors(siteId: number, site: string, t: SiteTruth): Promise<void> {
    const rows = await select<{ bucket: unknown; sketch: Buffer }>(
      `SELECT bucket, sketch FROM visitor_sketches WHERE site_id = ? AND grain = 'd' AND dimension = ''`,
      [siteId],
    );
    const sketches = new Map<string, Hll>(rows.map((r) => [dayOf(r.bucket), deserialiseHll(r.sketch)]));
    const near = (scope: string, expected: number, actual: number, tolerance: number) => {
      // tiny days: one visitor either way is within any HLL's error
      if (Math.abs(actual - expected) > Math.max(1, expected * tolerance))
        out.push({ site, scope, metric: 'visitors', expected, actual, tolerance });
    };
    for (const day of new Set([...Object.keys(t.days), ...sketches.keys()])) {
      const expected = t.days[day]?.visitors ?? 0;
      const actual = Math.round(sketches.get(day)?.count() ?? 0);
      if (expected === 0 && actual === 0) continue;
      near(`day ${day}`, expected, actual, dayTol);
    }
    near('total', t.totals.visitors, Math.round(unionHll(sketches.values()).count()), rangeTol);
  }

  async function compareSessions(siteId: number, site: string, t: SiteTruth): Promise<void> {
    const [r] = await select<Record<string, unknown>>(
      `SELECT COUNT(*) AS visits, SUM(CASE WHEN pageviews = 1 THEN 1 ELSE 0 END) AS bounces, SUM(ended_at - started_at) AS durationMs,
              SUM(pageviews) AS pageviews, SUM(events) AS events FROM sessions WHERE site_id = ?`,
      [siteId],
    );
    const got = {
      ...zero(),
      ...Object.fromEntries(['visits', 'bounces', 'durationMs', 'pageviews', 'events'].map((k) => [k, Number(r?.[k] ?? 0)])),
    };
    exact(site, 'sessions table', truthCounts(t.totals), got as Counts, ['visits', 'bounces', 'durationMs', 'pageviews', 'events']);
  }

  /** Hour (and, for site totals, minute) rollups summed per day equal the day rollups. */
  async function compareGrains(siteId: number, site: string): Promise<void> {
    const rows = await select<CounterRow>(
      `SELECT grain, dimension, value, FLOOR(bucket / ${DAY_MS}) AS bucket, ${SQL_COUNTERS} FROM rollups WHERE site_id = ?
       GROUP BY grain, dimension, value_key, value, FLOOR(bucket / ${DAY_MS})`,
      [siteId],
    );
    const byGrain = new Map<string, Map<string, Counts>>();
    for (const r of rows) {
      const key = `${r.dimension === '' ? 'total' : `${r.dimension} ${JSON.stringify(r.value)}`} on ${dayOf(Number(r.bucket) * DAY_MS)}`;
      let m = byGrain.get(r.grain ?? '');
      if (m === undefined) byGrain.set(r.grain ?? '', (m = new Map()));
      m.set(key, countsOf(r));
    }
    const days = byGrain.get('d') ?? new Map<string, Counts>();
    for (const grain of ['h', 'm']) {
      const other = byGrain.get(grain) ?? new Map<string, Counts>();
      for (const key of new Set([...days.keys(), ...other.keys()])) {
        // minutes are kept for site totals only
        if (grain === 'm' && !key.startsWith('total ')) continue;
        exact(site, `grain ${grain} vs d: ${key}`, days.get(key) ?? zero(), other.get(key) ?? zero());
      }
    }
  }
}

/** A readable diff: one line per mismatch, grouped by site, at most `max` lines. */
export function formatMismatches(mismatches: readonly Mismatch[], max = 80): string {
  if (mismatches.length === 0) return 'no mismatches';
  const lines = mismatches.slice(0, max).map((m) => {
    const delta = m.actual - m.expected;
    const pct = m.expected === 0 ? '' : ` (${((delta / m.expected) * 100).toFixed(2)}%)`;
    const tol = m.tolerance === undefined ? '' : `, allowed ±${(m.tolerance * 100).toFixed(0)}%`;
    return `  ${m.site.padEnd(16)} ${m.scope.padEnd(40)} ${m.metric.padEnd(10)} expected ${m.expected}, got ${m.actual}: ${delta > 0 ? '+' : ''}${delta}${pct}${tol}`;
  });
  const more = mismatches.length > max ? `\n  … and ${mismatches.length - max} more` : '';
  return `${mismatches.length} mismatch(es) against the ground truth:\n${lines.join('\n')}${more}`;
}
