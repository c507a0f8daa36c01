/**
 * The in-memory answers over kept visits: their order (byte order on ties, as SQL's `CAST … AS BINARY`),
 * their windows, and the page breakdown's path reads. The same answers against SQL and the ground truth
 * are checked in test/filters/filters.int.test.ts (MariaDB and SQLite).
 */
import { valueKeyOf } from '../../aggregate/model';
import type { Database } from '../../lib/db';
import { createTextMatch } from '../../lib/db/dialect';
import { DAY_MS } from '../../lib/time';
import {
  KeptAnswers,
  answersOf,
  compareBytes,
  getKeptAnswers,
  pageBreakdownOfKept,
  visitBreakdownOfKept,
  type KeptVisit,
} from './kept-visits';
import { StatementTimeoutError } from '../queries/reader';
import { ZERO_TOTALS } from './fact-totals';
import type { Row } from './sql';
import type { FactContext } from './where';

const DAY = Date.UTC(2026, 2, 1);
const ONE_DAY = { from: DAY, to: DAY + DAY_MS, grain: 'd' as const };
const one = (kept: KeptVisit[]) => answersOf(ONE_DAY, [kept]);

function visit(n: number, over: Partial<KeptVisit> = {}): KeptVisit {
  return {
    visitKey: `v${n}`,
    visitorId: `p${n}`,
    day: DAY,
    startedAt: DAY + n,
    endedAt: DAY + n,
    pageviews: 1,
    events: 0,
    country: 'DE',
    source: '',
    channel: '',
    device: '',
    browser: '',
    os: '',
    pageKeys: '',
    ...over,
  };
}

const keysOf = (...paths: string[]) =>
  paths
    .map((p) => valueKeyOf(p))
    .sort()
    .join('');

/** A context whose SQL answers the path reads from `pagesOfVisit` and counts them. */
function contextOver(pagesOfVisit: Record<string, string[]>) {
  const asked: string[][] = [];
  const select = async (_sql: string, bind: Record<string, unknown>): Promise<Row[]> => {
    const visits = Object.values(bind).filter((v): v is string => typeof v === 'string' && v in pagesOfVisit);
    asked.push(visits);
    return [...new Set(visits.flatMap((v) => pagesOfVisit[v]!))].map((page) => ({ page }));
  };
  const ctx: FactContext = {
    db: { dialect: { kind: 'sqlite' } } as unknown as Database,
    select,
    selectArrays: async () => [],
    maxSharedVisits: 100,
    readTimeoutMs: 5000,
    siteId: 1,
    timezone: 'UTC',
    goals: [],
    text: createTextMatch('sqlite'),
  };
  return { ctx, asked };
}

describe('kept visits answered in memory', () => {
  it('compares values by their UTF-8 bytes, not UTF-16 units', () => {
    expect(compareBytes('Z', 'a')).toBeLessThan(0);
    // U+FFFF is EF BF BF, U+1F600 is F0 9F 98 80: bytes put U+FFFF first, UTF-16 units the other way round
    expect('\u{1F600}' < '\uFFFF').toBe(true);
    expect(compareBytes('\uFFFF', '\u{1F600}')).toBeLessThan(0);
    expect(compareBytes('a', 'a')).toBe(0);
  });

  it('ranks a visit breakdown by visitors, pageviews, then bytes, and pages through it', () => {
    const kept = [
      visit(1, { browser: 'b' }),
      visit(2, { browser: 'a' }),
      visit(3, { browser: 'c', pageviews: 3 }),
      visit(4, { browser: 'c', visitorId: 'p3' }),
      visit(5, { browser: 'B' }),
    ];
    const all = visitBreakdownOfKept(one(kept), 'browser', 0, 10);
    expect(all.map((r) => [r.value, r.visitors, r.visits, r.pageviews, r.bounces])).toEqual([
      ['c', 1, 2, 4, 1],
      ['B', 1, 1, 1, 1],
      ['a', 1, 1, 1, 1],
      ['b', 1, 1, 1, 1],
    ]);
    expect(visitBreakdownOfKept(one(kept), 'browser', 1, 2).map((r) => r.value)).toEqual(['B', 'a']);
    expect(visitBreakdownOfKept(one(kept), 'browser', 4, 2)).toEqual([]);
  });

  it('reads paths only for the asked rows and the rows tied with their edges', async () => {
    // /top: 3 visitors; /t1../t4: 1 visitor, 1 pageview each (all tied)
    const paths: Record<string, string[]> = { v1: ['/top', '/t3'], v2: ['/top', '/t1'], v3: ['/top', '/t4'], v4: ['/t2'] };
    const kept = [
      visit(1, { pageKeys: keysOf('/top', '/t3') }),
      visit(2, { pageKeys: keysOf('/top', '/t1') }),
      visit(3, { pageKeys: keysOf('/top', '/t4') }),
      visit(4, { pageKeys: keysOf('/t2') }),
    ];
    const { ctx, asked } = contextOver(paths);
    const first = await pageBreakdownOfKept(ctx, ONE_DAY, one(kept), 0, 1);
    expect(first?.map((r) => [r.value, r.visitors, r.pageviews])).toEqual([['/top', 3, 3]]);
    expect(asked.flat()).toHaveLength(1); // one visit's pageviews name /top
    const second = await pageBreakdownOfKept(contextOver(paths).ctx, ONE_DAY, one(kept), 2, 2);
    expect(second?.map((r) => r.value)).toEqual(['/t2', '/t3']);
    const rest = await pageBreakdownOfKept(contextOver(paths).ctx, ONE_DAY, one(kept), 1, 10);
    expect(rest?.map((r) => r.value)).toEqual(['/t1', '/t2', '/t3', '/t4']);
  });

  it('gives up (SQL answers instead) when no event of the visit names a key', async () => {
    const kept = [visit(1, { pageKeys: keysOf('/a') })];
    const { ctx } = contextOver({ v1: ['/a'] });
    const repeated: FactContext = { ...ctx, select: async () => [{ page: '/a' }, { page: '/a' }] };
    expect(await pageBreakdownOfKept(repeated, ONE_DAY, one(kept), 0, 5)).toHaveLength(1);
    const missing: FactContext = { ...ctx, select: async () => [] };
    expect(await pageBreakdownOfKept(missing, ONE_DAY, one(kept), 0, 5)).toBeUndefined();
  });
});

/** A seeded generator of kept visits over `days` days: visitor ids are per day (as the salt makes them). */
function visitsOver(days: number, perDay: (d: number) => number, seed = 1): KeptVisit[] {
  let x = seed;
  const rnd = (n: number) => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31), x % n);
  const out: KeptVisit[] = [];
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay(d); i++) {
      const startedAt = DAY + d * DAY_MS + rnd(24) * 3_600_000 + rnd(3_600_000);
      const pages = Array.from({ length: 1 + rnd(3) }, () => `/p${rnd(7)}`);
      out.push(
        visit(out.length, {
          visitorId: `d${d}-p${rnd(Math.max(1, perDay(d) >> 1))}`,
          day: DAY + d * DAY_MS,
          startedAt,
          endedAt: startedAt + rnd(600_000),
          pageviews: pages.length,
          events: rnd(2),
          country: ['DE', 'FR', 'US'][rnd(3)]!,
          source: ['Google', '', 'Bing'][rnd(3)]!,
          browser: `b${rnd(4)}`,
          os: `o${rnd(2)}`,
          device: rnd(2) === 0 ? 'mobile' : 'desktop',
          pageKeys: keysOf(...pages),
        }),
      );
    }
  }
  return out;
}

/** The answers computed over the whole range at once, with distinct sets over the range (no chunks). */
function reference(kept: readonly KeptVisit[]) {
  const tally = (vs: readonly KeptVisit[]) => ({
    visitors: new Set(vs.map((v) => v.visitorId)).size,
    visits: vs.length,
    pageviews: vs.reduce((a, v) => a + v.pageviews, 0),
    events: vs.reduce((a, v) => a + v.events, 0),
    bounces: vs.filter((v) => v.pageviews === 1).length,
    durationMs: vs.reduce((a, v) => a + v.endedAt - v.startedAt, 0),
  });
  const by = <K>(f: (v: KeptVisit) => K) => {
    const m = new Map<K, KeptVisit[]>();
    for (const v of kept) m.set(f(v), [...(m.get(f(v)) ?? []), v]);
    return new Map([...m].map(([k, vs]) => [k, tally(vs)]));
  };
  const pages = new Map<string, { visitors: Set<string>; pageviews: number }>();
  for (const v of kept)
    for (let i = 0; i < v.pageKeys!.length; i += 16) {
      const key = v.pageKeys!.slice(i, i + 16);
      const p = pages.get(key) ?? { visitors: new Set(), pageviews: 0 };
      p.visitors.add(v.visitorId);
      p.pageviews++;
      pages.set(key, p);
    }
  return {
    totals: tally(kept),
    byDay: by((v) => v.day),
    byHour: by((v) => v.startedAt - (v.startedAt % 3_600_000)),
    country: by((v) => v.country),
    browser: by((v) => v.browser),
    pages: new Map([...pages].map(([k, p]) => [k, { visitors: p.visitors.size, pageviews: p.pageviews }])),
  };
}

const sorted = <K, V>(m: ReadonlyMap<K, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('kept visits folded in chunks of whole days', () => {
  const DAYS = 9;
  const RANGE = { from: DAY, to: DAY + DAYS * DAY_MS, grain: 'd' as const };
  const kept = visitsOver(DAYS, (d) => 5 + ((d * 7) % 11));
  const expected = reference(kept);

  // cap ∞: every chunk held, each sum made when asked; cap 0: every sum made as each chunk comes; 40: held, then folded
  it.each(
    [Number.POSITIVE_INFINITY, 0, 40].flatMap((cap) =>
      [[1, 1, 1, 1, 1, 1, 1, 1, 1], [9], [2, 3, 4], [1, 5, 3]].map((spans) => [spans, cap]),
    ),
  )('chunks of %j days (cap %d) give the answers of one pass', (spans, cap) => {
    const chunks: KeptVisit[][] = [];
    let first = 0;
    for (const span of spans as number[]) {
      chunks.push(kept.filter((v) => v.day >= DAY + first * DAY_MS && v.day < DAY + (first + span) * DAY_MS));
      first += span;
    }
    const a = answersOf(RANGE, chunks, { cap: cap as number });
    expect(a.totals()).toEqual(expected.totals);
    expect(sorted(a.facet('day')!)).toEqual(sorted(expected.byDay));
    expect(sorted(a.facet('hour')!)).toEqual(sorted(expected.byHour));
    expect(sorted(a.facet('country')!)).toEqual(sorted(expected.country));
    expect(sorted(a.facet('browser')!)).toEqual(sorted(expected.browser));
    expect(sorted(a.pages()!).map(([k, p]) => [k, { visitors: p.visitors, pageviews: p.pageviews }])).toEqual(sorted(expected.pages));
  });

  it('counts a visitor seen by page keys and by the events of a keyless visit once per page', () => {
    const keyed = visit(1, { visitorId: 'p', pageKeys: keysOf('/a') });
    const keyless = visit(2, { visitorId: 'p', pageKeys: null });
    const a = new KeptAnswers(ONE_DAY, 'UTC', 0, true);
    a.add(
      [keyed, keyless],
      [
        { path: '/a', person: 'p', pageviews: 2 },
        { path: '/b', person: 'p', pageviews: 1 },
      ],
    );
    expect(a.pages()!.get(valueKeyOf('/a'))).toEqual({ visitors: 1, pageviews: 3, visitKey: 'v1' });
    expect(a.pages()!.get(valueKeyOf('/b'))).toEqual({ visitors: 1, pageviews: 1, visitKey: '' });
    expect(a.paths.get(valueKeyOf('/b'))).toBe('/b');
  });

  it('answers an empty range itself: no pages, zero totals', () => {
    const a = answersOf(ONE_DAY, [[]]);
    expect(a.pages()).toEqual(new Map());
    expect(a.totals()).toEqual(ZERO_TOTALS);
  });

  it('has no hourly answers for ranges longer than the hourly timeseries allows', () => {
    expect(answersOf({ from: DAY, to: DAY + 32 * DAY_MS, grain: 'd' }, []).facet('hour')).toBeUndefined();
  });
});

/** kept-visits.ts's chunk reader against an in-memory `visits`: the rows of the asked days, with the SQL's LIMIT. */
function chunkedContext(all: readonly KeptVisit[], cap: number) {
  const reads: [number, number, number][] = [];
  const selectArrays = async (sql: string, r: Record<string, unknown>): Promise<unknown[][]> => {
    // visitScope binds site, first day, end (no filters, whole days): p0, p1, p2
    const [from, to] = [Number(r.p1), Number(r.p2)];
    const limit = Number(/LIMIT (\d+)/.exec(sql)![1]);
    const rows = all.filter((v) => v.day >= from && v.day < to).slice(0, limit);
    reads.push([(from - DAY) / DAY_MS, (to - DAY) / DAY_MS, rows.length]);
    return rows.map((v) => [
      v.visitKey,
      v.visitorId,
      v.day,
      v.startedAt,
      v.endedAt,
      v.pageviews,
      v.events,
      v.country,
      v.source,
      v.channel,
      v.device,
      v.browser,
      v.os,
      v.pageKeys,
    ]);
  };
  const ctx: FactContext = {
    ...contextOver({}).ctx,
    db: { dialect: { kind: 'sqlite' } } as unknown as Database,
    selectArrays,
    maxSharedVisits: cap,
  };
  return { ctx, reads };
}

describe('the chunked read of kept visits', () => {
  const DAYS = 10;
  const RANGE = { from: DAY, to: DAY + DAYS * DAY_MS, grain: 'd' as const };
  const density = (last: number) => (d: number) => (d < 3 ? 2 : d < 7 ? 30 : d === 7 ? last : 1);

  it('grows chunks at low density, halves one over the cap, and equals one pass', async () => {
    const kept = visitsOver(DAYS, density(50));
    const { ctx, reads } = chunkedContext(kept, 60);
    const a = await getKeptAnswers(ctx, [], RANGE);
    expect(a).toBeDefined();
    expect(a!.totals()).toEqual(reference(kept).totals);
    expect(sorted(a!.facet('country')!)).toEqual(sorted(reference(kept).country));
    // accepted reads (at most the cap) cover each day once, in order
    const accepted = reads.filter(([, , n]) => n <= 60);
    expect(accepted.map(([from, to]) => [from, to])).toEqual(
      accepted.map(([from], i) => [from, i + 1 < accepted.length ? accepted[i + 1]![0] : DAYS]),
    );
    expect(accepted[0]).toEqual([0, 1, 2]);
    expect(reads.some(([, , n]) => n > 60)).toBe(true); // a grown chunk met the dense days and was read again smaller
    expect(Math.max(...reads.map(([from, to]) => to - from))).toBeGreaterThan(1);
  });

  it('stops with a statement timeout once the chunks together have run past the limit', async () => {
    const { ctx } = chunkedContext(
      visitsOver(DAYS, () => 40),
      60,
    );
    const slow: FactContext = {
      ...ctx,
      readTimeoutMs: 5,
      selectArrays: async (sql, r) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return ctx.selectArrays(sql, r);
      },
    };
    await expect(getKeptAnswers(slow, [], RANGE)).rejects.toBeInstanceOf(StatementTimeoutError);
    expect(await getKeptAnswers(ctx, [], RANGE)).toBeDefined(); // the same read within the limit
  });

  it('gives up (SQL answers instead) when one day holds more kept visits than the cap', async () => {
    const { ctx } = chunkedContext(visitsOver(DAYS, density(70)), 60);
    expect(await getKeptAnswers(ctx, [], RANGE)).toBeUndefined();
  });
});
