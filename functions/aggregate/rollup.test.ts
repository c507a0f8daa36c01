import type { CloudEvent, EnrichedTraffic } from '../../events';
import { buildEvents, FIXTURE_SITES, oracle, prng, randomBatches, shuffle, type OracleCounters } from './fixtures';
import { computeRollup, eventKey, sessionMapKey, type RollupEvent, type SessionRow } from './rollup';

const SITE_IDS = new Map(FIXTURE_SITES.map((s, i) => [s.hostname, { id: i + 1, ...s }]));
const HOSTNAME = new Map([...SITE_IDS.values()].map((s) => [s.id, s.hostname]));

function toRollupEvent(e: CloudEvent<EnrichedTraffic>): RollupEvent {
  const site = SITE_IDS.get(e.data.site)!;
  return { key: eventKey(e.attributes), siteId: site.id, timezone: site.timezone, time: Date.parse(e.data.timestamp), data: e.data };
}

/** Runs the core over batches as the writer would: stored sessions carried over, deltas summed. */
function runBatches(batches: readonly (readonly CloudEvent<EnrichedTraffic>[])[]) {
  const stored = new Map<string, SessionRow>();
  const rollups = new Map<string, OracleCounters>();
  const visitors = new Map<string, Set<string>>();
  for (const batch of batches) {
    const result = computeRollup(batch.map(toRollupEvent), stored);
    for (const s of result.sessions) stored.set(sessionMapKey(s.siteId, s.sessionKey), s);
    for (const r of result.rollups) {
      const k = `${HOSTNAME.get(r.siteId)}|${r.grain}|${r.dimension}|${r.bucket}|${r.value}`;
      const row = rollups.get(k) ?? { pageviews: 0, visits: 0, bounces: 0, durationMs: 0, events: 0, botEvents: 0 };
      for (const c of Object.keys(row) as (keyof OracleCounters)[]) row[c] += r[c];
      rollups.set(k, row);
    }
    for (const s of result.sketches) {
      const k = `${HOSTNAME.get(s.siteId)}|${s.grain}|${s.dimension}|${s.bucket}|${s.value}`;
      const set = visitors.get(k) ?? new Set();
      s.visitorIds.forEach((v) => set.add(v));
      visitors.set(k, set);
    }
  }
  for (const [k, row] of rollups) if (Object.values(row).every((n) => n === 0)) rollups.delete(k);
  return { stored, rollups, visitors };
}

const keyOf = (e: CloudEvent<EnrichedTraffic>) => eventKey(e.attributes);
const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

function base(overrides: Partial<EnrichedTraffic> & { at: string; id: string }): CloudEvent<EnrichedTraffic> {
  const { at, id, ...data } = overrides;
  return buildOne(id, { ...TEMPLATE, timestamp: at, ...data });
}
const TEMPLATE = buildEvents({ seed: 1, sessions: 1 })[0]!.data;
function buildOne(id: string, data: EnrichedTraffic): CloudEvent<EnrichedTraffic> {
  return { attributes: { specversion: '1.0', id, source: '/t', type: 't' }, data };
}

describe('computeRollup', () => {
  const events = buildEvents({ seed: 42, sessions: 400 });

  it('in one batch equals the oracle computed from the sorted visits', () => {
    const got = runBatches([events]);
    const want = oracle(events, keyOf);
    expect(sorted(got.rollups)).toEqual(sorted(want.rollups));
    expect(sorted(got.visitors)).toEqual(sorted(want.visitors));
    expect(got.stored.size).toBe(want.sessions.size);
    for (const s of got.stored.values()) {
      const o = want.sessions.get(`${HOSTNAME.get(s.siteId)}/${s.sessionId}`)!;
      expect({ ...o }).toEqual({
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        pageviews: s.pageviews,
        events: s.events,
        entryPage: s.entryPage,
        exitPage: s.exitPage,
      });
    }
  });

  it.each([1, 2, 3, 4])('gives the same rollups and sessions for any order and batch split (seed %i)', (seed) => {
    const random = prng(seed);
    const want = runBatches([events]);
    const got = runBatches(randomBatches(shuffle(events, random), random, 1 + Math.floor(random() * 60)));
    expect(sorted(got.rollups)).toEqual(sorted(want.rollups));
    expect(sorted(got.stored)).toEqual(sorted(want.stored));
    // sketches are add-only: every visitor the oracle has is there; extra ones only in session dimensions
    for (const [k, ids] of want.visitors) expect([...ids].every((v) => got.visitors.get(k)?.has(v))).toBe(true);
    for (const [k, ids] of got.visitors) {
      if (['', 'page', 'event'].includes(k.split('|')[2]!)) expect(ids).toEqual(want.visitors.get(k));
    }
  });

  it('counts a bounce, duration, entry and exit page, and moves the visit when an earlier event arrives late', () => {
    const site = 'news.example'; // UTC, so buckets read plainly
    const a = base({ id: 'a', site, at: '2026-01-10T10:05:00Z', path: '/second' });
    const b = base({ id: 'b', site, at: '2026-01-10T10:20:00Z', path: '/third', kind: 'event', name: 'signup' });
    const late = base({ id: 'c', site, at: '2026-01-10T09:59:00Z', path: '/first', source: 'Google' });
    const hour = (r: Map<string, OracleCounters>, iso: string, dim = '', value = '') =>
      r.get(`${site}|h|${dim}|${Date.parse(iso)}|${value}`);
    const one = runBatches([[a]]);
    expect(hour(one.rollups, '2026-01-10T10:00:00Z')).toMatchObject({ visits: 1, bounces: 1, pageviews: 1, durationMs: 0 });
    const three = runBatches([[a], [b], [late]]);
    const s = [...three.stored.values()][0]!;
    expect(s).toMatchObject({ pageviews: 2, events: 1, entryPage: '/first', exitPage: '/second', source: 'Google' });
    expect(s.endedAt - s.startedAt).toBe(21 * 60_000);
    expect(hour(three.rollups, '2026-01-10T09:00:00Z')).toMatchObject({ visits: 1, bounces: 0, durationMs: 21 * 60_000, pageviews: 1 });
    // the visit left hour 10 (only the pageview and the custom event stay there, as event-level counts)
    expect(hour(three.rollups, '2026-01-10T10:00:00Z')).toEqual({
      pageviews: 1,
      visits: 0,
      bounces: 0,
      durationMs: 0,
      events: 1,
      botEvents: 0,
    });
    expect(hour(three.rollups, '2026-01-10T09:00:00Z', 'entry_page', '/first')).toMatchObject({ visits: 1, pageviews: 2, events: 1 });
    expect(hour(three.rollups, '2026-01-10T09:00:00Z', 'source', 'Google')).toMatchObject({ visits: 1 });
    // the session dimension follows the visit: /second is no longer an entry page anywhere
    expect([...three.rollups].filter(([k]) => k.includes('|entry_page|') && k.endsWith('|/second'))).toEqual([]);
    expect(sorted(three.rollups)).toEqual(sorted(runBatches([[late, b, a]]).rollups));
  });

  it('breaks equal timestamps by event key, whatever the order', () => {
    const x = base({ id: 'x', at: '2026-01-10T10:00:00Z', path: '/x' });
    const y = base({ id: 'y', at: '2026-01-10T10:00:00Z', path: '/y' });
    const [first, last] = keyOf(x) < keyOf(y) ? ['/x', '/y'] : ['/y', '/x'];
    for (const order of [[[x], [y]], [[y], [x]], [[x, y]]]) {
      const s = [...runBatches(order).stored.values()][0]!;
      expect([s.entryPage, s.exitPage]).toEqual([first, last]);
    }
  });

  it('counts bots only as bot_events in site totals', () => {
    const bot = base({ id: 'bot', at: '2026-01-10T10:00:00Z', bot: true });
    const result = computeRollup([toRollupEvent(bot)], new Map());
    expect(result.sessions).toEqual([]);
    expect(result.sketches).toEqual([]);
    expect(result.rollups.map((r) => [r.grain, r.dimension, r.botEvents, r.pageviews + r.visits + r.events])).toEqual([
      ['m', '', 1, 0],
      ['h', '', 1, 0],
      ['d', '', 1, 0],
    ]);
  });

  it('collapses many events into one row per bucket and value', () => {
    const result = computeRollup(events.map(toRollupEvent), new Map());
    const keys = result.rollups.map((r) => `${r.siteId}|${r.grain}|${r.dimension}|${r.bucket}|${r.valueKey}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(result.rollups.length).toBeLessThan(events.length * 10);
  });
});
