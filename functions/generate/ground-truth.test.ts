import { createRawEvent, type CloudEvent, type RawTraffic } from '../../events';
import { openGeoIp, type GeoIp } from '../lib/geoip';
import { createGroundTruth, recordItem, SESSION_DIMENSIONS, type DimensionsOf, type GroundTruthJson } from './ground-truth';
import { createSimulator } from './simulator';
import { DEMO_SITES } from './sites';
import { createStandInDimensionsOf } from './test-support';

let geoip: GeoIp;
let dimensionsOf: DimensionsOf;
beforeAll(async () => {
  geoip = await openGeoIp();
  dimensionsOf = createStandInDimensionsOf(geoip);
});

const FROM = new Date('2026-03-27T00:00:00Z'); // spans the EU DST change (29 March)
const TO = new Date('2026-04-01T00:00:00Z');

function simulatedTruth(seed: number): GroundTruthJson {
  const truth = createGroundTruth({ sites: DEMO_SITES, dimensionsOf });
  for (const item of createSimulator({ seed, sites: DEMO_SITES, from: FROM, to: TO, sessionsPerDay: 400, malformedShare: 0.01, geoip }))
    recordItem(truth, item);
  return truth.toJSON();
}

describe('ground truth of a simulated run', () => {
  let t: GroundTruthJson;
  beforeAll(() => {
    t = simulatedTruth(3);
  });

  it('is deterministic per seed', () => {
    expect(simulatedTruth(3)).toEqual(t);
    expect(simulatedTruth(4)).not.toEqual(t);
  });

  it.each(DEMO_SITES.map((s) => [s.hostname]))('%s: per-day figures sum to the totals', (site) => {
    const s = t.sites[site]!;
    const days = Object.values(s.days);
    for (const k of ['pageviews', 'events', 'botEvents', 'visits', 'bounces', 'durationMs', 'visitors'] as const) {
      expect([k, days.reduce((a, d) => a + d[k], 0)]).toEqual([k, s.totals[k]]);
    }
    expect(s.totals.pageviews).toBeGreaterThan(0);
    expect(s.totals.botEvents).toBeGreaterThan(0);
  });

  it.each(DEMO_SITES.map((s) => [s.hostname]))('%s: every session dimension partitions the visits', (site) => {
    const s = t.sites[site]!;
    for (const d of SESSION_DIMENSIONS) {
      const values = Object.values(s.dimensions[d]);
      expect([d, values.reduce((a, v) => a + v.visits, 0)]).toEqual([d, s.totals.visits]);
      expect([d, values.reduce((a, v) => a + v.bounces, 0)]).toEqual([d, s.totals.bounces]);
      expect([d, values.reduce((a, v) => a + v.durationMs, 0)]).toEqual([d, s.totals.durationMs]);
      expect([d, values.reduce((a, v) => a + v.pageviews, 0)]).toEqual([d, s.totals.pageviews]);
      for (const v of values) expect(v.bounces).toBeLessThanOrEqual(v.visits);
    }
    expect(Object.values(s.dimensions.page).reduce((a, v) => a + v.pageviews, 0)).toBe(s.totals.pageviews);
    expect(Object.values(s.dimensions.event).reduce((a, v) => a + v.events, 0)).toBe(s.totals.events);
    expect(s.totals.bounces).toBeLessThanOrEqual(s.totals.visits);
    expect(s.totals.visitors).toBeLessThanOrEqual(s.totals.visits);
  });

  it('counts malformed records per expected reason', () => {
    expect(t.malformed.total).toBeGreaterThan(0);
    expect(Object.values(t.malformed.byReason).reduce((a, b) => a + (b ?? 0), 0)).toBe(t.malformed.total);
  });
});

describe('ground truth definitions on hand-made events', () => {
  const site = { hostname: 'a.example', timezone: 'Asia/Kolkata' };
  const BOT = 'curl/8.5.0';
  const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  let n = 0;
  const ev = (ts: string, over: Partial<RawTraffic> & { name?: string } = {}): CloudEvent<RawTraffic> => {
    const base = { site: site.hostname, url: 'https://a.example/', timestamp: ts, userAgent: UA, ip: '8.8.8.8', sessionId: 's1' };
    const data: RawTraffic =
      over.name !== undefined
        ? { ...base, ...over, kind: 'event', name: over.name }
        : ({ ...base, ...over, kind: 'pageview' } as RawTraffic);
    return createRawEvent({ id: `e${String(n++).padStart(3, '0')}`, data });
  };

  it.each([
    {
      name: 'one visit across local midnight is attributed to its first event’s local day',
      events: [ev('2026-03-01T18:20:00Z', { url: 'https://a.example/x' }), ev('2026-03-01T18:40:00Z', { url: 'https://a.example/y' })],
      // 18:20Z = 23:50 IST on 1 March; 18:40Z = 00:10 IST on 2 March
      expect: { days: { '2026-03-01': [1, 1, 0, 1200000, 1], '2026-03-02': [1, 0, 0, 0, 1] }, entry: '/x', exit: '/y' },
    },
    {
      name: 'a bounce with a custom event still lasts until the event; bots count only as bot events',
      events: [
        ev('2026-03-01T10:00:00Z'),
        ev('2026-03-01T10:00:30Z', { name: 'signup' }),
        ev('2026-03-01T10:01:00Z', { userAgent: BOT, sessionId: 'b' }),
      ],
      expect: { days: { '2026-03-01': [1, 1, 1, 30000, 1] }, entry: '/', exit: '/' },
    },
    {
      name: 'events arriving out of order give the same visit; a second (ip, ua) is a second visitor',
      events: [
        ev('2026-03-01T10:05:00Z', { url: 'https://a.example/late' }),
        ev('2026-03-01T10:00:00Z', { url: 'https://a.example/early' }),
        ev('2026-03-01T10:02:00Z', { ip: '81.2.69.142', sessionId: 's2' }),
      ],
      expect: { days: { '2026-03-01': [3, 2, 1, 300000, 2] }, entry: '/early', exit: '/late' },
    },
  ])('$name', ({ events, expect: want }) => {
    const truth = createGroundTruth({ sites: [site], dimensionsOf: (raw) => ({ ...createStandInDimensionsOf(geoip)(raw) }) });
    events.forEach((e) => truth.add(e));
    const s = truth.toJSON().sites[site.hostname]!;
    const got = Object.fromEntries(
      Object.entries(s.days).map(([d, f]) => [d, [f.pageviews, f.visits, f.bounces, f.durationMs, f.visitors]]),
    );
    const wantDays = Object.fromEntries(
      Object.entries(want.days).map(([d, [pv, visits, bounces, dur, visitors]]) => [d, [pv, visits, bounces, dur, visitors]]),
    );
    expect(got).toEqual(wantDays);
    const s1 = Object.entries(s.dimensions.entry_page).find(([, v]) => v.visits > 0)!;
    expect(s1[0]).toBe(want.entry);
    expect(Object.keys(s.dimensions.exit_page)).toContain(want.exit);
  });

  it('counts events for sites it was not told about apart', () => {
    const truth = createGroundTruth({ sites: [site], dimensionsOf: createStandInDimensionsOf(geoip) });
    truth.add(ev('2026-03-01T10:00:00Z', { site: 'other.example', url: 'https://other.example/' }));
    expect(truth.toJSON().unknownSiteEvents).toBe(1);
    expect(truth.toJSON().sites[site.hostname]!.totals.pageviews).toBe(0);
  });
});
