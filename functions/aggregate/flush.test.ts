/**
 * The flush over in-memory tables (memory-store.ts): any order of the same events, cut into any batches,
 * delivered twice, gives the same visits and rollups, and those equal the oracle's (fixtures.ts), which is
 * computed from all events at once by different code.
 */
import type { CloudEvent, EnrichedTraffic } from '../../events';
import { ROLLUP_COUNTERS } from '../../events/vocabulary';
import { buildEvents, FIXTURE_SITES, oracle, prng, randomBatches, shuffle, type OracleCounters } from './fixtures';
import { flushEvents } from './flush';
import { createMemoryStatements, createMemoryTables, type MemoryTables } from './memory-store';
import { eventKey, type FactEvent } from './model';
import { localDayOf } from '../lib/time';

const siteIds = new Map(FIXTURE_SITES.map((s, i) => [s.hostname, { id: i + 1, timezone: s.timezone }]));
const hostnames = new Map(FIXTURE_SITES.map((s, i) => [i + 1, s.hostname]));

export function factOf(e: CloudEvent<EnrichedTraffic>): FactEvent {
  const site = siteIds.get(e.data.site)!;
  const time = Date.parse(e.data.timestamp);
  return {
    key: eventKey(e.attributes),
    siteId: site.id,
    timezone: site.timezone,
    time,
    day: localDayOf(time, site.timezone),
    data: e.data,
  };
}

async function run(batches: readonly (readonly CloudEvent<EnrichedTraffic>[])[]): Promise<MemoryTables> {
  const db = createMemoryTables();
  const sql = createMemoryStatements(db);
  for (const b of batches) await flushEvents(sql, b.map(factOf), { legacyDedupe: false });
  return db;
}

/** Rollups by hostname, non-zero rows only (a visit that moved leaves zero rows behind; readers sum). */
function rollupsOf(db: MemoryTables): Map<string, OracleCounters> {
  const out = new Map<string, OracleCounters>();
  for (const [k, c] of db.rollups) {
    if (ROLLUP_COUNTERS.every((n) => c[n] === 0)) continue;
    const [site, ...rest] = k.split('|');
    out.set([hostnames.get(Number(site)), ...rest].join('|'), c);
  }
  return out;
}

const sorted = <V>(m: Map<string, V>) => [...m].sort(([x], [y]) => (x < y ? -1 : 1));

function visitsOf(db: MemoryTables) {
  return [...db.visits.values()]
    .map((v) => ({
      site: hostnames.get(v.siteId)!,
      visitorId: v.visitorId,
      startedAt: v.startedAt,
      endedAt: v.endedAt,
      pageviews: v.pageviews,
      events: v.events,
      entryPage: v.entryPage,
      exitPage: v.exitPage,
      firstKey: v.firstEventKey,
    }))
    .sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : a.startedAt - b.startedAt || (a.firstKey < b.firstKey ? -1 : 1)));
}

/**
 * Which visit each pageview and custom event belongs to, by the visit's first event (keys are hashes of it).
 * Engagement is left out: it joins the visit it falls in when it is stored, best effort (visits.ts).
 */
function membership(db: MemoryTables): string[] {
  const first = new Map([...db.visits.values()].map((v) => [v.visitKey, v.firstEventKey]));
  return [...db.events.values()]
    .filter((e) => e.kind !== 'engagement')
    .map((e) => `${e.eventKey}>${e.visitKey === '' ? '' : first.get(e.visitKey)}`)
    .sort();
}

describe('flushEvents (in memory)', () => {
  const events = buildEvents({ seed: 11, sessions: 500, midnightShare: 0.25 });
  const want = oracle(events, (e) => eventKey(e.attributes));

  it('the fixture has what the rules are about: midnight crossings, 30-minute gaps, engagement, bots', () => {
    const kinds = new Set(events.map((e) => e.data.kind));
    expect([...kinds].sort()).toEqual(['engagement', 'event', 'pageview']);
    const crossing = want.visits.filter((v) => {
      const tz = FIXTURE_SITES.find((s) => s.hostname === v.site)!.timezone;
      return localDayOf(v.startedAt, tz) !== localDayOf(v.endedAt, tz);
    });
    expect(crossing.length).toBeGreaterThan(5);
    expect(events.some((e) => e.data.bot)).toBe(true);
  });

  it('one batch in time order equals the oracle', async () => {
    const db = await run([events]);
    expect(sorted(rollupsOf(db))).toEqual(sorted(want.rollups));
    expect(visitsOf(db)).toEqual(want.visits);
  });

  it.each([1, 2, 3, 4, 5, 6])(
    'permutation %i, random batches, every event twice: the same visits, memberships and rollups',
    async (seed) => {
      const random = prng(seed);
      const batches = randomBatches(shuffle([...events, ...events], random), random, 1 + Math.floor(random() * 300));
      const db = await run(batches);
      expect(sorted(rollupsOf(db))).toEqual(sorted(want.rollups));
      expect(visitsOf(db)).toEqual(want.visits);
      expect(membership(db)).toEqual(membership(await run([events])));
    },
  );

  it('one event per flush, newest first (every visit built backwards, merged by bridging events)', async () => {
    const backwards = [...events].sort((a, b) => Date.parse(b.data.timestamp) - Date.parse(a.data.timestamp));
    const db = await run(backwards.map((e) => [e]));
    expect(sorted(rollupsOf(db))).toEqual(sorted(want.rollups));
    expect(visitsOf(db)).toEqual(want.visits);
  });

  it('redelivery changes nothing, also through the legacy dedupe table', async () => {
    const db = await run([events]);
    const before = JSON.stringify(sorted(rollupsOf(db)));
    const sql = createMemoryStatements(db);
    const r = await flushEvents(sql, events.slice(0, 300).map(factOf), { legacyDedupe: false });
    expect(r).toMatchObject({ written: 0, duplicates: 300 });
    db.legacyProcessed.add(eventKey(events[0]!.attributes));
    const fresh = createMemoryTables();
    fresh.legacyProcessed.add(eventKey(events[0]!.attributes));
    const r2 = await flushEvents(createMemoryStatements(fresh), events.slice(0, 2).map(factOf), { legacyDedupe: true });
    expect(r2).toMatchObject({ written: 1, duplicates: 1 });
    expect(JSON.stringify(sorted(rollupsOf(db)))).toBe(before);
  });
});
