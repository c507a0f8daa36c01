/**
 * The visit rule and the rollup deltas, table-driven, on hand-written events of one or two people
 * (flushEvents over in-memory tables, one flush per listed batch).
 */
import type { CloudEvent, EnrichedTraffic } from '../../events';
import { ROLLUP_COUNTERS, VISIT_INACTIVITY_MS, type Counters } from '../../events/vocabulary';
import { DAY_MS, MINUTE_MS, localDayOf } from '../lib/time';
import { dayVisitorId, fixtureEvent, FIXTURE_SITES, prng, shuffle } from './fixtures';
import { flushEvents } from './flush';
import { createMemoryStatements, createMemoryTables, type MemoryTables } from './memory-store';
import { MAX_VISIT_PAGE_KEYS } from '../lib/db/migrations/0005-visit-page-keys';
import { eventKey, joinPageKeys, valueKeyOf, visitKeyOf, type FactEvent } from './model';
import { deriveVisits, mergeVisits, visitOfEvent } from './visits';

const SITE = FIXTURE_SITES[2]!; // news.example, UTC: local midnight = UTC midnight
const SITE_ID = 3;
const T0 = Date.UTC(2026, 2, 28, 10);
const DAY = localDayOf(T0, SITE.timezone);

let seq = 0;
function ev(person: string, t: number, kind: EnrichedTraffic['kind'] = 'pageview', path = '/', extra: Partial<EnrichedTraffic> = {}) {
  return fixtureEvent({ site: SITE, person, t, id: `e${seq++}`, kind, path }, extra);
}

const fact = (e: CloudEvent<EnrichedTraffic>): FactEvent => {
  const time = Date.parse(e.data.timestamp);
  return {
    key: eventKey(e.attributes),
    siteId: SITE_ID,
    timezone: SITE.timezone,
    time,
    day: localDayOf(time, SITE.timezone),
    data: e.data,
  };
};

async function flushAll(batches: readonly (readonly CloudEvent<EnrichedTraffic>[])[]): Promise<MemoryTables> {
  const db = createMemoryTables();
  const sql = createMemoryStatements(db);
  for (const b of batches) await flushEvents(sql, b.map(fact), { legacyDedupe: false });
  return db;
}

/** The rollup row of (grain, dimension, bucket, value), zeros when absent. */
function row(db: MemoryTables, grain: string, dimension: string, bucket: number, value: string): Counters {
  const r = db.rollups.get(`${SITE_ID}|${grain}|${dimension}|${bucket}|${value}`);
  return r ?? (Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters);
}

const visitShapes = (db: MemoryTables) =>
  [...db.visits.values()]
    .map((v) => ({
      startedAt: v.startedAt,
      endedAt: v.endedAt,
      pageviews: v.pageviews,
      events: v.events,
      entry: v.entryPage,
      exit: v.exitPage,
      day: v.day,
    }))
    .sort((a, b) => a.startedAt - b.startedAt);

describe('the 30-minute rule', () => {
  it.each([
    ['exactly 30 min continues', VISIT_INACTIVITY_MS, 1],
    ['30 min + 1 ms splits', VISIT_INACTIVITY_MS + 1, 2],
    ['29 min continues', 29 * MINUTE_MS, 1],
  ])('%s', async (_name, gap, visits) => {
    const a = ev('p', T0);
    const b = ev('p', T0 + gap);
    for (const batches of [[[a, b]], [[a], [b]], [[b], [a]]]) {
      const db = await flushAll(batches);
      expect(db.visits.size).toBe(visits);
      expect(row(db, 'd', '', DAY, '').visits).toBe(visits);
      expect(row(db, 'd', '', DAY, '').bounces).toBe(visits === 1 ? 0 : 2);
      expect(row(db, 'd', '', DAY, '').duration_ms).toBe(visits === 1 ? gap : 0);
    }
  });

  it('other people never join a visit', async () => {
    const db = await flushAll([[ev('p', T0), ev('q', T0 + MINUTE_MS)]]);
    expect(db.visits.size).toBe(2);
  });
});

describe('a visit across the site midnight', () => {
  const midnight = DAY + DAY_MS; // UTC site: local = UTC
  const events = [
    ev('p', midnight - 10 * MINUTE_MS, 'pageview', '/a'),
    ev('p', midnight + 5 * MINUTE_MS, 'pageview', '/b'),
    ev('p', midnight + 20 * MINUTE_MS, 'pageview', '/c'),
  ];

  it('carries the next day’s ids with the previous day’s id', () => {
    expect(events[1]!.data.prevVisitorId).toBe(events[0]!.data.visitorId);
    expect(events[1]!.data.visitorId).not.toBe(events[0]!.data.visitorId);
  });

  it.each([0, 1, 2, 3, 4, 5])('stays one visit of the first day in arrival order %i', async (seed) => {
    const order = shuffle(events, prng(seed));
    const db = await flushAll(order.map((e) => [e]));
    expect(visitShapes(db)).toEqual([
      {
        startedAt: midnight - 10 * MINUTE_MS,
        endedAt: midnight + 20 * MINUTE_MS,
        pageviews: 3,
        events: 0,
        entry: '/a',
        exit: '/c',
        day: DAY,
      },
    ]);
    expect(row(db, 'd', '', DAY, '').visits).toBe(1);
    expect(row(db, 'd', '', DAY + DAY_MS, '').visits).toBe(0);
    // a visitor per day they were seen on (visitorIds are per day), the visit's dimensions on its first day
    expect(row(db, 'd', '', DAY, '').visitors).toBe(1);
    expect(row(db, 'd', '', DAY + DAY_MS, '').visitors).toBe(1);
    expect(row(db, 'd', 'exit_page', DAY, '/c').visitors).toBe(1);
    expect(row(db, 'd', 'exit_page', DAY, '/a').visitors).toBe(0);
    expect(row(db, 'd', 'exit_page', DAY + DAY_MS, '/c').visits).toBe(0);
  });
});

describe('merging', () => {
  it('an event between two visits bridges them into one, in any order of the three', async () => {
    const a = ev('p', T0, 'pageview', '/a');
    const c = ev('p', T0 + 50 * MINUTE_MS, 'pageview', '/c');
    const b = ev('p', T0 + 25 * MINUTE_MS, 'event', '/b', { name: 'signup' });
    const orders = [
      [a, c, b],
      [b, a, c],
      [c, a, b],
      [a, b, c],
    ];
    for (const order of orders) {
      const db = await flushAll(order.map((e) => [e]));
      expect(visitShapes(db)).toEqual([
        { startedAt: T0, endedAt: T0 + 50 * MINUTE_MS, pageviews: 2, events: 1, entry: '/a', exit: '/c', day: DAY },
      ]);
      const totals = row(db, 'd', '', DAY, '');
      expect([totals.visits, totals.bounces, totals.duration_ms, totals.visitors]).toEqual([1, 0, 50 * MINUTE_MS, 1]);
      // the merged-away visit's contributions are gone everywhere
      expect(row(db, 'd', 'entry_page', DAY, '/c')).toMatchObject({ visits: 0, visitors: 0 });
      expect(row(db, 'd', 'exit_page', DAY, '/a')).toMatchObject({ visits: 0, visitors: 0 });
      expect(row(db, 'd', 'entry_page', DAY, '/a')).toMatchObject({ visits: 1, visitors: 1, pageviews: 2, events: 1 });
      // its pages: the two pageviews' keys, sorted (the same string whatever the order)
      expect([...db.visits.values()].map((v) => v.pageKeys)).toEqual([[valueKeyOf('/a'), valueKeyOf('/c')].sort().join('')]);
      // every event points at the one visit
      const keys = new Set([...db.events.values()].map((e) => e.visitKey));
      expect(keys).toEqual(new Set([...db.visits.values()].map((v) => v.visitKey)));
    }
  });

  it('mergeVisits is commutative and associative', () => {
    const vs = [ev('p', T0, 'pageview', '/a'), ev('p', T0 + MINUTE_MS, 'event', '/x'), ev('p', T0 + 2 * MINUTE_MS, 'pageview', '/b')].map(
      (e) => visitOfEvent(fact(e)),
    );
    const [x, y, z] = vs as [ReturnType<typeof visitOfEvent>, ReturnType<typeof visitOfEvent>, ReturnType<typeof visitOfEvent>];
    expect(mergeVisits(x, y)).toEqual(mergeVisits(y, x));
    expect(mergeVisits(mergeVisits(x, y), z)).toEqual(mergeVisits(x, mergeVisits(y, z)));
    expect(mergeVisits(mergeVisits(z, x), y)).toMatchObject({ entryPage: '/a', exitPage: '/b', pageviews: 2, events: 1 });
  });

  it('page keys: one per pageview (none for custom events), unknown past MAX_VISIT_PAGE_KEYS and once unknown', async () => {
    const events = Array.from({ length: MAX_VISIT_PAGE_KEYS }, (_, i) => ev('q', T0 + i * MINUTE_MS, 'pageview', `/p${i % 3}`));
    const full = await flushAll([events, [ev('q', T0 + 40 * MINUTE_MS, 'event', '/x', { name: 'signup' })]]);
    const [v] = [...full.visits.values()];
    expect(v!.pageKeys).toBe(
      events
        .map((e) => valueKeyOf(e.data.path))
        .sort()
        .join(''),
    );
    const over = await flushAll([events, [ev('q', T0 + 40 * MINUTE_MS, 'pageview', '/last')], [ev('q', T0 + 41 * MINUTE_MS)]]);
    expect([...over.visits.values()].map((x) => [x.pageviews, x.pageKeys])).toEqual([[MAX_VISIT_PAGE_KEYS + 2, null]]);
    expect(joinPageKeys(null, '')).toBeNull();
    expect(joinPageKeys('', valueKeyOf('/a'))).toBe(valueKeyOf('/a'));
  });

  it('deriveVisits reports the merged-away visit as removed and moved into the survivor', () => {
    const a = visitOfEvent(fact(ev('p', T0)));
    const c = visitOfEvent(fact(ev('p', T0 + 50 * MINUTE_MS)));
    const d = deriveVisits([a, c], [fact(ev('p', T0 + 25 * MINUTE_MS))]);
    expect(d.changed.map((x) => x.after.visitKey)).toEqual([a.visitKey]);
    expect(d.removed.map((v) => v.visitKey)).toEqual([c.visitKey]);
    expect(d.moves.get(c.visitKey)).toBe(a.visitKey);
  });
});

describe('visit keys', () => {
  it('are the first event’s time (12 hex digits) then 20 hex of its key’s hash: ordered by time, 32 hex', () => {
    const a = visitOfEvent(fact(ev('p', T0)));
    const b = visitOfEvent(fact(ev('q', T0 + 1)));
    const c = visitOfEvent(fact(ev('r', T0 + DAY_MS)));
    for (const v of [a, b, c]) expect(v.visitKey).toMatch(/^[0-9a-f]{32}$/);
    expect(a.visitKey.slice(0, 12)).toBe(T0.toString(16).padStart(12, '0'));
    expect([c.visitKey, a.visitKey, b.visitKey].sort()).toEqual([a.visitKey, b.visitKey, c.visitKey]);
    // the same first event at the same time, another key: another visit
    expect(visitKeyOf(T0, a.firstEventKey)).toBe(a.visitKey);
    expect(visitKeyOf(T0, b.firstEventKey)).not.toBe(a.visitKey);
  });

  it('a visit stored under a key of the old form (a plain hash) is re-keyed when it grows, and its events move', async () => {
    const first = ev('p', T0, 'pageview', '/a');
    const db = await flushAll([[first]]);
    // as stored before keys held the time: rename the visit and its event's visit key
    const [[k, stored]] = [...db.visits.entries()] as [[string, ReturnType<typeof visitOfEvent>]];
    const oldKey = 'f'.repeat(32);
    db.visits.delete(k);
    db.visits.set(`${SITE_ID}|${oldKey}`, { ...stored, visitKey: oldKey });
    for (const [ek, e] of db.events) db.events.set(ek, { ...e, visitKey: oldKey });
    await flushEvents(createMemoryStatements(db), [fact(ev('p', T0 + MINUTE_MS, 'pageview', '/b'))], { legacyDedupe: false });
    expect([...db.visits.keys()]).toEqual([`${SITE_ID}|${stored.visitKey}`]);
    expect([...db.visits.values()].map((v) => [v.pageviews, v.entryPage, v.exitPage])).toEqual([[2, '/a', '/b']]);
    expect(new Set([...db.events.values()].map((e) => e.visitKey))).toEqual(new Set([stored.visitKey]));
    const totals = row(db, 'd', '', DAY, '');
    expect([totals.visits, totals.pageviews, totals.visitors, totals.bounces]).toEqual([1, 2, 1, 0]);
  });
});

describe('rollup deltas', () => {
  it('exit-page regression: a visit whose exit page moves between flushes leaves the old exit page at 0 visitors', async () => {
    // v1 kept the visitor in the old exit page's sketch (add-only): '/a' kept 1 visitor with 0 visits
    const db = await flushAll([[ev('p', T0, 'pageview', '/a')], [ev('p', T0 + MINUTE_MS, 'pageview', '/b')]]);
    expect(row(db, 'd', 'exit_page', DAY, '/a')).toMatchObject({ visits: 0, visitors: 0, pageviews: 0, bounces: 0 });
    expect(row(db, 'd', 'exit_page', DAY, '/b')).toMatchObject({ visits: 1, visitors: 1, pageviews: 2, bounces: 0 });
    expect(row(db, 'd', 'entry_page', DAY, '/a')).toMatchObject({ visits: 1, visitors: 1 });
  });

  it('a late earlier event moves the first event: the visit dimensions follow, visitors too', async () => {
    const db = await flushAll([
      [ev('p', T0 + 5 * MINUTE_MS, 'pageview', '/b', { source: 'Bing' })],
      [ev('p', T0, 'pageview', '/a', { source: 'Google' })],
    ]);
    expect(row(db, 'd', 'source', DAY, 'Bing')).toMatchObject({ visits: 0, visitors: 0 });
    expect(row(db, 'd', 'source', DAY, 'Google')).toMatchObject({ visits: 1, visitors: 1, pageviews: 2 });
    expect(db.visits.size).toBe(1);
  });

  it('engagement does not change visits, bounces, events or duration; it feeds the page counters', async () => {
    const pv = ev('p', T0, 'pageview', '/a');
    const e1 = ev('p', T0 + 20 * MINUTE_MS, 'engagement', '/a', { engagementMs: 4000, scrollDepth: 40 });
    const e2 = ev('p', T0 + 45 * MINUTE_MS, 'engagement', '/a', { engagementMs: 1000, scrollDepth: 70 });
    const q = ev('q', T0 + MINUTE_MS, 'engagement', '/a', { engagementMs: 500, scrollDepth: null });
    for (const batches of [
      [[pv, e1, e2, q]],
      [[e2], [q], [pv], [e1]],
      [
        [e1, e2],
        [pv, q],
      ],
    ]) {
      const db = await flushAll(batches);
      expect(visitShapes(db)).toEqual([{ startedAt: T0, endedAt: T0, pageviews: 1, events: 0, entry: '/a', exit: '/a', day: DAY }]);
      expect(row(db, 'd', '', DAY, '')).toMatchObject({ visits: 1, bounces: 1, events: 0, duration_ms: 0, pageviews: 1, visitors: 1 });
      for (const g of ['h', 'd'] as const) {
        const bucket = g === 'd' ? DAY : T0 - (T0 % 3_600_000);
        expect(row(db, g, 'page', bucket, '/a')).toMatchObject({ pageviews: 1, visitors: 1, engaged_ms: 5500, engaged_visitors: 2 });
      }
      // scroll depth: the deepest per visitor (70 and 0), summed
      expect(row(db, 'd', 'page', DAY, '/a').scroll_depth_sum).toBe(70);
    }
  });

  it('visitors are exact per (day, dimension, value)', async () => {
    const db = await flushAll([
      [ev('p', T0, 'pageview', '/a', { source: 'Google' }), ev('p', T0 + 2 * VISIT_INACTIVITY_MS, 'pageview', '/a', { source: 'Bing' })],
      [
        ev('q', T0, 'pageview', '/b', { source: 'Google' }),
        ev('p', T0 + 4 * VISIT_INACTIVITY_MS, 'event', '/a', { name: 'signup', source: 'Google' }),
      ],
      // the next day, p is a new visitor (per-day ids)
      [ev('p', T0 + DAY_MS, 'pageview', '/a', { source: 'Google' })],
    ]);
    expect(row(db, 'd', '', DAY, '')).toMatchObject({ visitors: 2, visits: 4 });
    expect(row(db, 'd', 'source', DAY, 'Google')).toMatchObject({ visitors: 2, visits: 3 });
    expect(row(db, 'd', 'source', DAY, 'Bing')).toMatchObject({ visitors: 1, visits: 1 });
    expect(row(db, 'd', 'page', DAY, '/a')).toMatchObject({ visitors: 1, pageviews: 2 });
    expect(row(db, 'd', 'event', DAY, 'signup')).toMatchObject({ visitors: 1, events: 1 });
    expect(row(db, 'd', '', DAY + DAY_MS, '')).toMatchObject({ visitors: 1, visits: 1 });
    expect(dayVisitorId('p', DAY)).not.toBe(dayVisitorId('p', DAY + DAY_MS));
  });

  it('minute rows before the minute floor are not written (past their 48 h), the rest are', async () => {
    const db = createMemoryTables();
    const events = [ev('p', T0), ev('q', T0 + 10 * MINUTE_MS)];
    await flushEvents(createMemoryStatements(db), events.map(fact), { legacyDedupe: false, minuteFloor: T0 + MINUTE_MS });
    expect(row(db, 'm', '', T0, '')).toMatchObject({ pageviews: 0, visits: 0 });
    expect(row(db, 'm', '', T0 + 10 * MINUTE_MS, '')).toMatchObject({ pageviews: 1, visits: 1, visitors: 1 });
    expect(row(db, 'h', '', T0, '')).toMatchObject({ pageviews: 2, visits: 2, visitors: 2 });
    expect([...db.sketches.keys()].filter((k) => k.includes('|m|'))).toEqual([`${SITE_ID}|m|${T0 + 10 * MINUTE_MS}`]);
  });

  it('bots count bot_events only', async () => {
    const bot = fixtureEvent({ site: SITE, person: 'b', t: T0, id: 'bot1', kind: 'pageview', path: '/', bot: true });
    const db = await flushAll([[bot]]);
    expect(db.visits.size).toBe(0);
    expect(row(db, 'd', '', DAY, '')).toMatchObject({ bot_events: 1, visitors: 0, pageviews: 0, visits: 0 });
    expect([...db.events.values()].map((e) => [e.bot, e.visitKey])).toEqual([[true, '']]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'any permutation of one visitor’s events (with bridges and engagement) gives the same rollups and visits %i',
    async (seed) => {
      const r = prng(seed * 7);
      const events: CloudEvent<EnrichedTraffic>[] = [];
      let t = T0;
      for (let i = 0; i < 12; i++) {
        t += [MINUTE_MS, 29 * MINUTE_MS, VISIT_INACTIVITY_MS, VISIT_INACTIVITY_MS + 1, 0][Math.floor(r() * 5)]!;
        const kind = r() < 0.2 ? 'event' : r() < 0.3 ? 'engagement' : 'pageview';
        events.push(
          ev('p', t, kind, `/p${Math.floor(r() * 3)}`, {
            source: ['A', 'B'][Math.floor(r() * 2)]!,
            engagementMs: kind === 'engagement' ? 100 : 0,
          }),
        );
      }
      const reference = await flushAll([events]);
      const shuffled = shuffle(events, r);
      const cut = Math.floor(r() * 4);
      const db = await flushAll(cut === 0 ? shuffled.map((e) => [e]) : [shuffled.slice(0, cut * 3), shuffled.slice(cut * 3)]);
      const nonZero = (m: MemoryTables) =>
        [...m.rollups].filter(([, c]) => ROLLUP_COUNTERS.some((n) => c[n] !== 0)).sort(([a], [b]) => (a < b ? -1 : 1));
      expect(nonZero(db)).toEqual(nonZero(reference));
      expect(visitShapes(db)).toEqual(visitShapes(reference));
    },
  );
});
