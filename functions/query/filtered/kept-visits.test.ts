/**
 * The in-memory answers over kept visits: their order (byte order on ties, as SQL's `CAST … AS BINARY`),
 * their windows, and the page breakdown's path reads. The same answers against SQL and the ground truth
 * are checked in test/filters/filters.int.test.ts (MariaDB and SQLite).
 */
import { valueKeyOf } from '../../aggregate/model';
import type { Database } from '../../lib/db';
import { createTextMatch } from '../../lib/db/dialect';
import { DAY_MS } from '../../lib/time';
import { compareBytes, pageBreakdownOfKept, visitBreakdownOfKept, type KeptVisit } from './kept-visits';
import type { Row } from './sql';
import type { FactContext } from './where';

const DAY = Date.UTC(2026, 2, 1);

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
    const all = visitBreakdownOfKept(kept, 'browser', 0, 10);
    expect(all.map((r) => [r.value, r.visitors, r.visits, r.pageviews, r.bounces])).toEqual([
      ['c', 1, 2, 4, 1],
      ['B', 1, 1, 1, 1],
      ['a', 1, 1, 1, 1],
      ['b', 1, 1, 1, 1],
    ]);
    expect(visitBreakdownOfKept(kept, 'browser', 1, 2).map((r) => r.value)).toEqual(['B', 'a']);
    expect(visitBreakdownOfKept(kept, 'browser', 4, 2)).toEqual([]);
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
    const first = await pageBreakdownOfKept(ctx, [], { from: DAY, to: DAY + DAY_MS, grain: 'd' }, kept, 0, 1);
    expect(first?.map((r) => [r.value, r.visitors, r.pageviews])).toEqual([['/top', 3, 3]]);
    expect(asked.flat()).toHaveLength(1); // one visit's pageviews name /top
    const second = await pageBreakdownOfKept(contextOver(paths).ctx, [], { from: DAY, to: DAY + DAY_MS, grain: 'd' }, kept, 2, 2);
    expect(second?.map((r) => r.value)).toEqual(['/t2', '/t3']);
    const rest = await pageBreakdownOfKept(contextOver(paths).ctx, [], { from: DAY, to: DAY + DAY_MS, grain: 'd' }, kept, 1, 10);
    expect(rest?.map((r) => r.value)).toEqual(['/t1', '/t2', '/t3', '/t4']);
  });

  it('gives up (SQL answers instead) when no event of the visit names a key', async () => {
    const kept = [visit(1, { pageKeys: keysOf('/a') })];
    const { ctx } = contextOver({ v1: ['/a'] });
    const repeated: FactContext = { ...ctx, select: async () => [{ page: '/a' }, { page: '/a' }] };
    expect(await pageBreakdownOfKept(repeated, [], { from: DAY, to: DAY + DAY_MS, grain: 'd' }, kept, 0, 5)).toHaveLength(1);
    const missing: FactContext = { ...ctx, select: async () => [] };
    expect(await pageBreakdownOfKept(missing, [], { from: DAY, to: DAY + DAY_MS, grain: 'd' }, kept, 0, 5)).toBeUndefined();
  });
});
