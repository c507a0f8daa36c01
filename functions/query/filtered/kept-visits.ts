/**
 * The kept visits of a filtered range, read once and answered in JS (ARCHITECTURE.md "Filters", "One read
 * per filtered dashboard"). A filtered dashboard asks summary, timeseries and several breakdowns at once,
 * each of which would scan the same index range of `visits` again (about 100 ms per scan for 37,620 kept
 * visits of 30 days at 100k pageviews/day). Here one read of the range's kept visits, from the filter
 * index alone (every column below is in it, migrations 0004 and 0005), serves every request that arrives
 * while it runs (single flight: nothing is kept after it settles, so no answer is older than its request).
 *
 * The read goes in chunks of whole days and folds each into sums (KeptAnswers): totals, per day and hour,
 * per value of the indexed dimensions, per page. Memory is bounded by the chunk cap, not by the range.
 * The answers equal the SQL ones they replace: visitors are distinct visitor ids (per chunk, which is exact
 * because visitor ids are per site-day), groups are byte-exact values, ties order by the value's bytes
 * (MySQL `CAST … AS BINARY`, SQLite's BINARY collation). A single day with more than `maxSharedVisits`
 * kept visits is not read here (memory); callers then ask SQL.
 */
import { FILTER_INDEX_COLUMNS } from '../../lib/db/migrations/0004-goals';
import { singleFlight } from '../../lib/single-flight';
import { StatementTimeoutError } from '../queries/reader';
import { MAX_SPAN } from '../routes/timeseries';
import type { Database } from '../../lib/db';
import { DAY_MS, bucketOf, toLocalMs } from '../../lib/time';
import { splitPageKeys, valueKeyOf } from '../../aggregate/model';
import type { Filters, VisitFilterDimension } from '../filters';
import type { LocalRange } from '../period';
import { ZERO_TOTALS, getFactTimeseries, getFactTotals, type FactTotals } from './fact-totals';
import { Binds, intLiteral, num, str } from './sql';
import { VISIT_COLUMN, eventDays, keptVisits, visitsFrom, visitsWithEvents, type FactContext } from './where';

/**
 * The default of WTM_QUERY_SHARED_VISITS (RouteDeps.maxSharedVisits): kept visits one chunk of a read holds
 * at most (about 50 MB: 83,360 held 40 MB of heap). A day with more is answered by SQL alone.
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

/** A chunk's rows, or undefined when it holds more than the cap. */
async function readChunk({ ctx, filters, range }: Ask): Promise<KeptVisit[] | undefined> {
  const b = new Binds(':');
  const rows = await ctx.selectArrays(
    `SELECT ${COLUMNS} FROM ${visitsFrom(ctx, filters)} WHERE ${keptVisits(ctx, filters, range, b)}
     LIMIT ${intLiteral(ctx.maxSharedVisits + 1)}`,
    b.values,
  );
  return rows.length > ctx.maxSharedVisits ? undefined : rows.map(keptVisitOf);
}

/** The local day starts of a range: [day of from, to). */
function dayStartsOf(range: LocalRange): number[] {
  const days: number[] = [];
  for (let d = bucketOf(range.from, 'd'); d < range.to; d += DAY_MS) days.push(d);
  return days;
}

/** Days `first` … `first + span - 1` of the range, clipped to it. */
function chunkOf(range: LocalRange, days: readonly number[], first: number, span: number): LocalRange {
  const end = first + span < days.length ? days[first + span]! : range.to;
  return { from: Math.max(range.from, days[first]!), to: Math.min(range.to, end), grain: range.grain };
}

/**
 * Read with replacements, not `bind`, and as arrays: Sequelize's bind path decoded a 37,620-row answer in
 * 1.9 s where the text protocol took 0.15 s (MariaDB 10.11, mysql2 3.x); arrays skip Sequelize's row
 * objects (lib/db/select-arrays.ts). The values are escaped by the driver and never become SQL text.
 *
 * The range is read in chunks of whole days, each at most `maxSharedVisits` kept visits, and each chunk is
 * folded into the answers before the next but one is read (the next is read while it is folded). Chunks
 * start at one day and then hold about half the cap at the density seen so far; a chunk over the cap is read
 * again at half its days, and a single day over the cap sends the request to SQL. Memory is therefore two
 * chunks plus the answers, whatever the range. Time is bounded too: past `readTimeoutMs` in all (the limit
 * of one statement) the read stops with a StatementTimeoutError (503, "ask for a shorter range").
 */
async function read(ask: Ask): Promise<KeptAnswers | undefined> {
  const { ctx, filters, range } = ask;
  if (readsInFlight >= MAX_CONCURRENT_READS) return undefined;
  readsInFlight++;
  try {
    const answers = new KeptAnswers(range, ctx.timezone, ctx.maxSharedVisits, !filters.some((c) => c.subject.kind === 'page'));
    const days = dayStartsOf(range);
    const readDays = (first: number, span: number) => {
      const chunk = chunkOf(range, days, first, span);
      const rows = readChunk({ ctx, filters, range: chunk });
      rows.catch(() => undefined); // awaited below; this only keeps a failure while folding from going unhandled
      return { chunk, rows };
    };
    let first = 0;
    let span = 1;
    let pending = readDays(first, span);
    const started = performance.now();
    for (;;) {
      // each chunk is one time-limited statement; the whole read gets the same limit
      if (performance.now() - started > ctx.readTimeoutMs) throw new StatementTimeoutError(ctx.readTimeoutMs);
      const { chunk } = pending;
      const rows = await pending.rows;
      if (rows === undefined) {
        if (span === 1) return undefined;
        span = Math.ceil(span / 2);
        pending = readDays(first, span);
        continue;
      }
      first += span;
      span = Math.min(days.length - first, Math.max(1, Math.floor(ctx.maxSharedVisits / 2 / Math.max(1, rows.length / span))));
      const more = first < days.length;
      if (more) pending = readDays(first, span);
      await foldChunk(ctx, filters, chunk, answers, rows);
      if (!more) return answers;
    }
  } finally {
    readsInFlight--;
  }
}

/** Folds a chunk into the answers, with the pageviews of its visits that carry no page keys read from `events`. */
async function foldChunk(ctx: FactContext, filters: Filters, chunk: LocalRange, answers: KeptAnswers, kept: readonly KeptVisit[]) {
  let extra: PageRow[] = [];
  if (answers.withPages && kept.some((v) => v.pageKeys === null)) {
    const b = new Binds();
    const rows = await ctx.select(
      `SELECT ${ctx.text.exact('e.page')} AS page_value, v.visitor_id AS person, COUNT(*) AS pageviews
       FROM ${visitsWithEvents(ctx, filters, chunk, b)}
       WHERE ${keptVisits(ctx, filters, chunk, b)} AND v.page_keys IS NULL AND e.kind = 'pageview'
       GROUP BY page_value, person`,
      b.values,
    );
    extra = rows.map((r) => ({ path: str(r.page_value), person: str(r.person), pageviews: num(r.pageviews) }));
  }
  answers.add(kept, extra);
}

const keyOf = ({ ctx, filters, range }: Ask): string =>
  JSON.stringify([ctx.siteId, ctx.timezone, ctx.maxSharedVisits, range.from, range.to, range.grain, filters, ctx.goals]);

const readers = new WeakMap<Database, (ask: Ask) => Promise<KeptAnswers | undefined>>();

/**
 * The answers of the range's kept visits (shared by concurrent requests of the same site, range and filters),
 * or undefined when the cap is 0, two reads already run, or one day holds more kept visits than the cap.
 */
export async function getKeptAnswers(ctx: FactContext, filters: Filters, range: LocalRange): Promise<KeptAnswers | undefined> {
  if (ctx.maxSharedVisits <= 0) return undefined;
  let r = readers.get(ctx.db);
  if (r === undefined) readers.set(ctx.db, (r = singleFlight(keyOf, read)));
  return await r({ ctx, filters, range });
}

// ---- the answers, summed over chunks of whole days ----

export interface PageTally {
  visitors: number;
  pageviews: number;
  /** a kept visit that viewed the page (to read its path), '' when only known from `events` */
  visitKey: string;
}

/** The pageviews of one visitor on one page, read from `events` for visits without page keys. */
export interface PageRow {
  path: string;
  person: string;
  pageviews: number;
}

/** The sums the kept visits answer, each grouped by what a visit gives: its day, hour, or dimension value. */
export type Facet = 'total' | 'day' | 'hour' | IndexedDimension;

const FACET_KEY: Readonly<Record<Facet, (v: KeptVisit, timezone: string) => string | number>> = {
  total: () => '',
  day: (v) => v.day,
  hour: (v, timezone) => bucketOf(toLocalMs(v.startedAt, timezone), 'h'),
  ...(Object.fromEntries(INDEXED_DIMENSIONS.map((d) => [d, (v: KeptVisit) => v[d]])) as Record<IndexedDimension, (v: KeptVisit) => string>),
};

interface Chunk {
  kept: readonly KeptVisit[];
  /** the pageviews of its visits without page keys (foldChunk) */
  extra: readonly PageRow[];
  /** its visits by visitor (made once, for every sum) */
  people?: readonly (readonly KeptVisit[])[];
}

/**
 * A chunk's visits grouped by visitor. Each sum then counts a visitor once per group it has a visit in (a
 * visitor has one to a few visits a day), with no set of visitor ids per group.
 */
function peopleOf(chunk: Chunk): readonly (readonly KeptVisit[])[] {
  if (chunk.people !== undefined) return chunk.people;
  const by = new Map<string, KeptVisit[]>();
  for (const v of chunk.kept) {
    const list = by.get(v.visitorId);
    if (list === undefined) by.set(v.visitorId, [v]);
    else list.push(v);
  }
  return (chunk.people = [...by.values()]);
}

/**
 * What every filtered request the kept visits serve needs, as sums over chunks of whole days. visitorIds are
 * salted per site-day (ARCHITECTURE "Metric definitions"), so no visitor id is in two chunks and a group's
 * visitors over the range are the sum of its distinct visitors per chunk: exact, as SQL's
 * `COUNT(DISTINCT visitor_id)` over the range.
 *
 * While the chunks hold at most `cap` visits together they are kept, and each sum is made on its first
 * request (a summary alone costs one pass, as before chunking). Past the cap every sum is made as each chunk
 * arrives and the chunk is dropped, so memory stays bounded whatever the range.
 */
export class KeptAnswers {
  private held: Chunk[] | undefined = [];
  private heldVisits = 0;
  private readonly sums = new Map<Facet, Map<string | number, FactTotals>>();
  /** undefined: not made yet; null: not answered here (a key met two paths) */
  private pageSums: Map<string, PageTally> | null | undefined;
  /** paths learned from the events of visits without page keys */
  readonly paths = new Map<string, string>();
  private readonly hourly: boolean;

  constructor(
    range: LocalRange,
    private readonly timezone: string,
    private readonly cap: number,
    /** false: the page breakdown is not answered here (a `page` condition chooses its rows in SQL) */
    readonly withPages: boolean,
  ) {
    // only ranges the hourly timeseries is offered for get hourly sums
    this.hourly = range.to - range.from <= MAX_SPAN.hour;
  }

  /** Adds one chunk of whole days none of which an earlier chunk held. */
  add(kept: readonly KeptVisit[], extra: readonly PageRow[] = []): void {
    const chunk: Chunk = { kept, extra };
    if (this.held !== undefined && this.heldVisits + kept.length <= this.cap) {
      this.held.push(chunk);
      this.heldVisits += kept.length;
      return;
    }
    if (this.held !== undefined) {
      const held = this.held;
      this.held = undefined;
      for (const h of held) this.foldAll(h);
    }
    this.foldAll(chunk);
  }

  private foldAll(chunk: Chunk): void {
    for (const f of Object.keys(FACET_KEY) as Facet[]) if (f !== 'hour' || this.hourly) this.fold(this.sumsOf(f), f, chunk);
    if (this.withPages) this.foldPages(chunk);
  }

  private sumsOf(f: Facet): Map<string | number, FactTotals> {
    let m = this.sums.get(f);
    if (m === undefined) this.sums.set(f, (m = new Map()));
    return m;
  }

  private fold(into: Map<string | number, FactTotals>, f: Facet, chunk: Chunk): void {
    const keyOf = FACET_KEY[f];
    const totalsAt = (key: string | number) => {
      let t = into.get(key);
      if (t === undefined) into.set(key, (t = { ...ZERO_TOTALS }));
      return t;
    };
    for (const visits of peopleOf(chunk)) {
      const first = keyOf(visits[0]!, this.timezone);
      let seen: (string | number)[] | undefined;
      for (const v of visits) {
        const key = v === visits[0] ? first : keyOf(v, this.timezone);
        const t = totalsAt(key);
        if (v === visits[0]) t.visitors++;
        else if (key !== first && !(seen ??= []).includes(key)) {
          seen.push(key);
          t.visitors++;
        }
        addVisit(t, v);
      }
    }
  }

  /** The sums of a facet by key; undefined for hours of a range longer than the hourly timeseries allows. */
  facet(f: Facet): ReadonlyMap<string | number, FactTotals> | undefined {
    if (f === 'hour' && !this.hourly) return undefined;
    const done = this.sums.get(f);
    if (done !== undefined || this.held === undefined) return done ?? new Map();
    const into = this.sumsOf(f);
    for (const h of this.held) this.fold(into, f, h);
    return into;
  }

  totals(): FactTotals {
    return (this.facet('total')!.get('') as FactTotals | undefined) ?? { ...ZERO_TOTALS };
  }

  /** By page key; undefined when not answered here. */
  pages(): ReadonlyMap<string, PageTally> | undefined {
    if (!this.withPages) return undefined;
    if (this.pageSums === undefined) {
      for (const h of this.held ?? []) this.foldPages(h);
      this.pageSums ??= new Map(); // no chunk had a visit: no pages (not a question for SQL)
    }
    return this.pageSums ?? undefined;
  }

  private foldPages(chunk: Chunk): void {
    if (this.pageSums === null) return;
    const into = (this.pageSums ??= new Map());
    const pageAt = (key: string, visitKey: string) => {
      let t = into.get(key);
      if (t === undefined) into.set(key, (t = { visitors: 0, pageviews: 0, visitKey }));
      else if (t.visitKey === '') t.visitKey = visitKey;
      return t;
    };
    // the pages of each visitor: their keyed visits' and (visits without keys) the rows read from events
    const extra = new Map<string, { key: string; pageviews: number }[]>();
    for (const r of chunk.extra) {
      const key = valueKeyOf(r.path);
      if (!learn(this.paths, key, r.path)) {
        this.pageSums = null;
        return;
      }
      const list = extra.get(r.person);
      if (list === undefined) extra.set(r.person, [{ key, pageviews: r.pageviews }]);
      else list.push({ key, pageviews: r.pageviews });
    }
    const counted = new Set<string>();
    const count = (key: string, visitKey: string, pageviews: number) => {
      const t = pageAt(key, visitKey);
      t.pageviews += pageviews;
      if (!counted.has(key)) {
        counted.add(key);
        t.visitors++;
      }
    };
    for (const visits of peopleOf(chunk)) {
      counted.clear();
      for (const v of visits) if (v.pageKeys !== null) for (const key of splitPageKeys(v.pageKeys)) count(key, v.visitKey, 1);
      const rows = extra.get(visits[0]!.visitorId);
      if (rows !== undefined) {
        for (const r of rows) count(r.key, '', r.pageviews);
        extra.delete(visits[0]!.visitorId);
      }
    }
    // rows of people no kept visit of this chunk names (cannot happen: the rows come from its kept visits)
    for (const rows of extra.values()) {
      counted.clear();
      for (const r of rows) count(r.key, '', r.pageviews);
    }
  }
}

function addVisit(t: FactTotals, v: KeptVisit): void {
  t.visits++;
  t.pageviews += v.pageviews;
  t.events += v.events;
  if (v.pageviews === 1) t.bounces++;
  t.durationMs += v.endedAt - v.startedAt;
}

/** The answers of kept visits given as chunks of whole days (tests); `cap` 0 sums every chunk as it comes. */
export function answersOf(
  range: LocalRange,
  chunks: readonly (readonly KeptVisit[])[],
  o: { cap?: number; timezone?: string } = {},
): KeptAnswers {
  const answers = new KeptAnswers(range, o.timezone ?? 'UTC', o.cap ?? Number.POSITIVE_INFINITY, true);
  for (const kept of chunks) answers.add(kept);
  return answers;
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
export function visitBreakdownOfKept(answers: KeptAnswers, dimension: IndexedDimension, offset: number, count: number): RankedRow[] {
  const rows = [...answers.facet(dimension)!].map(([value, t]) => ({ ...t, value: String(value) }));
  return pageOf(rows, 'visitors', 'pageviews', offset, count);
}

/**
 * The page breakdown of the kept visits: each page's pageviews and distinct visitors, from the visits'
 * page keys (and, for visits without keys, over the key limit or stored before migration 0005, from their
 * events: foldChunk). A page's path is read only for the rows of the asked page (and rows tied with its
 * first or last, whose order depends on the path), from one event of a visit that viewed it.
 * Undefined when the answers hold no pages, or a key meets two paths (a 64-bit key collision): then the
 * caller asks SQL alone.
 */
export async function pageBreakdownOfKept(
  ctx: FactContext,
  range: LocalRange,
  answers: KeptAnswers,
  offset: number,
  count: number,
): Promise<RankedRow[] | undefined> {
  const pages = answers.pages();
  if (pages === undefined) return undefined;
  const ranked = [...pages].map(([key, t]) => ({ key, ...t }));
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
  // a copy: the answers are shared by concurrent requests
  const paths = new Map(answers.paths);
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
  const answers = await getKeptAnswers(ctx, filters, range);
  return answers === undefined ? getFactTotals(ctx, filters, range) : answers.totals();
}

export async function readTimeseries(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  grain: 'd' | 'h',
): Promise<Map<number, FactTotals>> {
  const answers = await getKeptAnswers(ctx, filters, range);
  const byBucket = answers?.facet(grain === 'd' ? 'day' : 'hour');
  return byBucket === undefined ? getFactTimeseries(ctx, filters, range, grain) : new Map([...byBucket].map(([k, t]) => [Number(k), t]));
}
