/**
 * The kept visits of a filtered range, read once and answered in JS (ARCHITECTURE.md "Filters", "One read
 * per filtered dashboard"). A filtered dashboard asks summary, timeseries and several breakdowns at once,
 * each of which would scan the same index range of `visits` again (about 100 ms per scan for 37,620 kept
 * visits of 30 days at 100k pageviews/day). Here one read of the range's kept visits, from the filter
 * index alone (every column below is in it, migrations 0004 and 0005), serves every request that arrives
 * while it runs (single flight: nothing is kept after it settles, so no answer is older than its request).
 *
 * The answers equal the SQL ones they replace: visitors are distinct visitor ids, groups are byte-exact
 * values, ties order by the value's bytes (MySQL `CAST … AS BINARY`, SQLite's BINARY collation).
 * A range with more than MAX_SHARED_VISITS kept visits is not read here (memory); callers then ask SQL.
 */
import { FILTER_INDEX_COLUMNS } from '../../lib/db/migrations/0004-goals';
import { singleFlight } from '../../lib/single-flight';
import type { Database } from '../../lib/db';
import { bucketOf, toLocalMs } from '../../lib/time';
import { splitPageKeys, valueKeyOf } from '../../aggregate/model';
import type { Filters, VisitFilterDimension } from '../filters';
import type { LocalRange } from '../period';
import { ZERO_TOTALS, getFactTimeseries, getFactTotals, type FactTotals } from './fact-totals';
import { Binds, intLiteral, num, str } from './sql';
import { VISIT_COLUMN, eventDays, keptVisits, visitsFrom, visitsWithEvents, type FactContext } from './where';

/**
 * The default of WTM_QUERY_SHARED_VISITS (RouteDeps.maxSharedVisits): kept visits one read holds at most
 * (about 50 MB: 83,360 held 40 MB of heap), past which a request is answered by SQL alone.
 */
export const MAX_SHARED_VISITS = 100_000;

/** Reads that may hold kept visits at once in a process; a request past it is answered by SQL (bounded memory). */
export const MAX_CONCURRENT_READS = 2;
let readsInFlight = 0;

/** The visit dimensions the filter indexes carry (so a breakdown by them needs no other read). */
export type IndexedDimension = Extract<VisitFilterDimension, (typeof FILTER_INDEX_COLUMNS)[number]>;
export const INDEXED_DIMENSIONS: readonly IndexedDimension[] = FILTER_INDEX_COLUMNS.filter((c): c is IndexedDimension => c in VISIT_COLUMN);
export const isIndexedDimension = (d: VisitFilterDimension): d is IndexedDimension => (INDEXED_DIMENSIONS as readonly string[]).includes(d);

export interface KeptVisit extends Record<IndexedDimension, string> {
  visitKey: string;
  visitorId: string;
  day: number;
  startedAt: number;
  endedAt: number;
  pageviews: number;
  events: number;
  /** Sorted page keys of its pageviews, or null: unknown (read the visit's events). */
  pageKeys: string | null;
}

/** The columns read (all in both filter indexes), in the order keptVisitOf takes them. */
const COLUMNS =
  'v.visit_key, v.visitor_id, v.day, v.started_at, v.ended_at, v.pageviews, v.events, v.country, v.source, v.channel, v.device, v.browser, v.os, v.page_keys';

function keptVisitOf(a: readonly unknown[]): KeptVisit {
  return {
    visitKey: str(a[0]),
    visitorId: str(a[1]),
    day: num(a[2]),
    startedAt: num(a[3]),
    endedAt: num(a[4]),
    pageviews: num(a[5]),
    events: num(a[6]),
    country: str(a[7]),
    source: str(a[8]),
    channel: str(a[9]),
    device: str(a[10]),
    browser: str(a[11]),
    os: str(a[12]),
    pageKeys: a[13] === null || a[13] === undefined ? null : str(a[13]),
  };
}

interface Ask {
  ctx: FactContext;
  filters: Filters;
  range: LocalRange;
}

/**
 * Read with replacements, not `bind`, and as arrays: Sequelize's bind path decoded a 37,620-row answer in
 * 1.9 s where the text protocol took 0.15 s (MariaDB 10.11, mysql2 3.x); arrays skip Sequelize's row
 * objects (lib/db/select-arrays.ts). The values are escaped by the driver and never become SQL text.
 */
async function read({ ctx, filters, range }: Ask): Promise<KeptVisit[] | undefined> {
  if (readsInFlight >= MAX_CONCURRENT_READS) return undefined;
  readsInFlight++;
  try {
    const b = new Binds(':');
    const rows = await ctx.selectArrays(
      `SELECT ${COLUMNS} FROM ${visitsFrom(ctx, filters)} WHERE ${keptVisits(ctx, filters, range, b)}
       LIMIT ${intLiteral(ctx.maxSharedVisits + 1)}`,
      b.values,
    );
    return rows.length > ctx.maxSharedVisits ? undefined : rows.map(keptVisitOf);
  } finally {
    readsInFlight--;
  }
}

const keyOf = ({ ctx, filters, range }: Ask): string =>
  JSON.stringify([ctx.siteId, ctx.timezone, ctx.maxSharedVisits, range.from, range.to, range.grain, filters, ctx.goals]);

const readers = new WeakMap<Database, (ask: Ask) => Promise<KeptVisit[] | undefined>>();

/** The range's kept visits (shared by concurrent requests of the same site, range and filters), or undefined past the cap. */
export async function getKeptVisits(ctx: FactContext, filters: Filters, range: LocalRange): Promise<KeptVisit[] | undefined> {
  if (ctx.maxSharedVisits <= 0) return undefined;
  let r = readers.get(ctx.db);
  if (r === undefined) readers.set(ctx.db, (r = singleFlight(keyOf, read)));
  return await r({ ctx, filters, range });
}

// ---- answers from the kept visits ----

interface Group {
  visitors: Set<string>;
  totals: FactTotals;
}

const newGroup = (): Group => ({ visitors: new Set(), totals: { ...ZERO_TOTALS } });

function add(g: Group, v: KeptVisit): void {
  g.visitors.add(v.visitorId);
  const t = g.totals;
  t.visits++;
  t.pageviews += v.pageviews;
  t.events += v.events;
  if (v.pageviews === 1) t.bounces++;
  t.durationMs += v.endedAt - v.startedAt;
}

const done = (g: Group): FactTotals => ({ ...g.totals, visitors: g.visitors.size });

export function totalsOfKept(kept: readonly KeptVisit[]): FactTotals {
  const g = newGroup();
  for (const v of kept) add(g, v);
  return done(g);
}

/** Totals per bucket: the visit's day, or the site-local hour of its first event. */
export function timeseriesOfKept(kept: readonly KeptVisit[], grain: 'd' | 'h', timezone: string): Map<number, FactTotals> {
  const groups = new Map<number, Group>();
  for (const v of kept) {
    const bucket = grain === 'd' ? v.day : bucketOf(toLocalMs(v.startedAt, timezone), 'h');
    let g = groups.get(bucket);
    if (g === undefined) groups.set(bucket, (g = newGroup()));
    add(g, v);
  }
  return new Map([...groups].map(([bucket, g]) => [bucket, done(g)]));
}

/** Byte order of the UTF-8 forms (the SQL order of `CAST(value AS BINARY)`). */
export function compareBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface RankedRow extends FactTotals {
  value: string;
}

/** One page of rows ranked by `primary` desc, `secondary` desc, then the value's bytes. */
function pageOf<T extends RankedRow>(
  rows: T[],
  primary: keyof FactTotals,
  secondary: keyof FactTotals,
  offset: number,
  count: number,
): T[] {
  rows.sort((a, b) => b[primary] - a[primary] || b[secondary] - a[secondary] || compareBytes(a.value, b.value));
  return rows.slice(offset, offset + count);
}

/** A visit breakdown of an indexed dimension: `count` rows from `offset` (as getFactBreakdown). */
export function visitBreakdownOfKept(kept: readonly KeptVisit[], dimension: IndexedDimension, offset: number, count: number): RankedRow[] {
  const groups = new Map<string, Group>();
  for (const v of kept) {
    const value = v[dimension];
    let g = groups.get(value);
    if (g === undefined) groups.set(value, (g = newGroup()));
    add(g, v);
  }
  const rows = [...groups].map(([value, g]) => ({ ...done(g), value }));
  return pageOf(rows, 'visitors', 'pageviews', offset, count);
}

interface PageGroup {
  visitors: Set<string>;
  pageviews: number;
  /** a kept visit that viewed the page (to read its path if it is not known yet) */
  visitKey: string;
}

/**
 * The page breakdown of the kept visits: each page's pageviews and distinct visitors. Pages come from
 * the visits' page keys; visits without keys (over the key limit, or stored before migration 0005) are
 * read from `events` by SQL. A page's path is read only for the rows of the asked page (and rows tied
 * with its first or last, whose order depends on the path), from one event of a visit that viewed it.
 * Undefined when a key meets two paths (a 64-bit key collision): then the caller asks SQL alone.
 */
export async function pageBreakdownOfKept(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  kept: readonly KeptVisit[],
  offset: number,
  count: number,
): Promise<RankedRow[] | undefined> {
  const pages = new Map<string, PageGroup>();
  const paths = new Map<string, string>();
  const groupOf = (key: string, visitKey: string): PageGroup => {
    let g = pages.get(key);
    if (g === undefined) pages.set(key, (g = { visitors: new Set(), pageviews: 0, visitKey }));
    return g;
  };
  let unknown = false;
  for (const v of kept) {
    if (v.pageKeys === null) {
      unknown = true;
      continue;
    }
    for (const key of splitPageKeys(v.pageKeys)) {
      const g = groupOf(key, v.visitKey);
      g.pageviews++;
      g.visitors.add(v.visitorId);
    }
  }
  if (unknown) {
    const b = new Binds();
    const rows = await ctx.select(
      `SELECT ${ctx.text.exact('e.page')} AS page_value, v.visitor_id AS person, COUNT(*) AS pageviews
       FROM ${visitsWithEvents(ctx, filters, range, b)}
       WHERE ${keptVisits(ctx, filters, range, b)} AND v.page_keys IS NULL AND e.kind = 'pageview'
       GROUP BY page_value, person`,
      b.values,
    );
    for (const r of rows) {
      const path = str(r.page_value);
      const key = valueKeyOf(path);
      if (!learn(paths, key, path)) return undefined;
      const g = groupOf(key, '');
      g.pageviews += num(r.pageviews);
      g.visitors.add(str(r.person));
    }
  }
  const ranked = [...pages].map(([key, g]) => ({ key, visitors: g.visitors.size, pageviews: g.pageviews, visitKey: g.visitKey }));
  ranked.sort((a, b) => b.visitors - a.visitors || b.pageviews - a.pageviews);
  const end = Math.min(offset + count, ranked.length);
  if (offset >= end) return [];
  // Rows tied with the window's first or last can only be ordered by their paths: read those paths.
  const tie = (a: (typeof ranked)[number], b: (typeof ranked)[number]) => a.visitors === b.visitors && a.pageviews === b.pageviews;
  let from = offset;
  while (from > 0 && tie(ranked[from - 1]!, ranked[offset]!)) from--;
  let to = end;
  while (to < ranked.length && tie(ranked[to]!, ranked[end - 1]!)) to++;
  const candidates = ranked.slice(from, to);
  if (!(await readPaths(ctx, range, candidates, paths))) return undefined;
  const rows = candidates.map((c) => ({ ...ZERO_TOTALS, value: paths.get(c.key)!, visitors: c.visitors, pageviews: c.pageviews }));
  return pageOf(rows, 'visitors', 'pageviews', offset - from, end - offset);
}

/** Records key → path; false when the key already stands for another path. */
function learn(paths: Map<string, string>, key: string, path: string): boolean {
  const known = paths.get(key);
  if (known !== undefined && known !== path) return false;
  paths.set(key, path);
  return true;
}

/** The paths of these page keys, from the pageviews of one visit each; false on a key collision or a key no event has. */
async function readPaths(
  ctx: FactContext,
  range: LocalRange,
  rows: readonly { key: string; visitKey: string }[],
  paths: Map<string, string>,
): Promise<boolean> {
  const visitKeys = [...new Set(rows.filter((r) => !paths.has(r.key)).map((r) => r.visitKey))];
  for (let i = 0; i < visitKeys.length; i += 500) {
    const b = new Binds();
    const found = await ctx.select(
      `SELECT DISTINCT ${ctx.text.exact('e.page')} AS page FROM events e
       WHERE e.site_id = ${b.add(ctx.siteId)} AND e.visit_key IN ${b.list(visitKeys.slice(i, i + 500))} AND ${eventDays(range, b)}
         AND e.kind = 'pageview'`,
      b.values,
    );
    for (const r of found) {
      const path = str(r.page);
      if (!learn(paths, valueKeyOf(path), path)) return false;
    }
  }
  return rows.every((r) => paths.has(r.key));
}

// ---- the filtered reads: from the kept visits when they fit, else SQL ----

export async function readTotals(ctx: FactContext, filters: Filters, range: LocalRange): Promise<FactTotals> {
  const kept = await getKeptVisits(ctx, filters, range);
  return kept === undefined ? getFactTotals(ctx, filters, range) : totalsOfKept(kept);
}

export async function readTimeseries(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  grain: 'd' | 'h',
): Promise<Map<number, FactTotals>> {
  const kept = await getKeptVisits(ctx, filters, range);
  return kept === undefined ? getFactTimeseries(ctx, filters, range, grain) : timeseriesOfKept(kept, grain, ctx.timezone);
}
