import { createRawEvent, type CloudEvent, type RawTraffic } from '../../events';
import { DIMENSIONS } from '../../events/vocabulary';
import { openGeoIp, type GeoIp } from '../lib/geoip';
import { localDate } from '../lib/time';
import {
  createGroundTruth,
  recordItem,
  SESSION_DIMENSIONS,
  windowFigures,
  type DimensionsOf,
  type GroundTruth,
  type GroundTruthJson,
} from './ground-truth';
import { createSimulator } from './simulator';
import { DEMO_SITES } from './sites';
import { createStandInDimensionsOf } from './test-support';
import type { TruthVisit } from './truth-visit';
import { splitIntoVisits } from './visit-rule';

let geoip: GeoIp;
let dimensionsOf: DimensionsOf;
beforeAll(async () => {
  geoip = await openGeoIp();
  dimensionsOf = createStandInDimensionsOf(geoip);
});

const FROM = new Date('2026-03-27T00:00:00Z'); // spans the EU DST change (29 March)
const TO = new Date('2026-04-01T00:00:00Z');

function simulatedTruth(seed: number): GroundTruth {
  const truth = createGroundTruth({ sites: DEMO_SITES, dimensionsOf });
  for (const item of createSimulator({ seed, sites: DEMO_SITES, from: FROM, to: TO, sessionsPerDay: 600, malformedShare: 0.01, geoip }))
    recordItem(truth, item);
  return truth;
}

describe('splitIntoVisits (the truth’s own 30-minute rule)', () => {
  const M = 60_000;
  const ev = (min: number, key = `k${min}`, extraMs = 0) => ({ ts: min * M + extraMs, key });
  it.each([
    ['a gap of exactly 30 minutes continues the visit', [ev(0), ev(30)], [[0, 30 * M]]],
    ['30 minutes and 1 ms starts a new one', [ev(0), ev(30, 'b', 1)], [[0], [30 * M + 1]]],
    ['a chain of 30-minute gaps is one visit', [ev(0), ev(30), ev(60), ev(90)], [[0, 30 * M, 60 * M, 90 * M]]],
    ['out of order input is sorted first', [ev(95), ev(0), ev(40), ev(20)], [[0, 20 * M, 40 * M], [95 * M]]],
    ['no events, no visits', [], []],
  ])('%s', (_name, events, want) => {
    expect(splitIntoVisits(events).map((v) => v.map((e) => e.ts))).toEqual(want);
  });

  it('orders equal timestamps by key, whatever the input order', () => {
    const events = [
      { ts: 5, key: 'c' },
      { ts: 5, key: 'a' },
      { ts: 5, key: 'b' },
    ];
    expect(splitIntoVisits(events)[0]!.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    expect(splitIntoVisits([...events].reverse())[0]!.map((e) => e.key)).toEqual(['a', 'b', 'c']);
  });
});

describe('ground truth definitions on hand-made events', () => {
  const site = { hostname: 'a.example', timezone: 'Asia/Kolkata' };
  const BOT = 'curl/8.5.0';
  const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  let n = 0;
  type Over = Partial<Omit<RawTraffic, 'kind'>> & {
    name?: string;
    kind?: RawTraffic['kind'];
    scrollDepth?: number;
    props?: Record<string, string | number | boolean>;
  };
  const ev = (ts: string, over: Over = {}): CloudEvent<RawTraffic> => {
    const { name, kind, ...rest } = over;
    const base = { site: site.hostname, url: 'https://a.example/', timestamp: ts, userAgent: UA, ip: '8.8.8.8', ...rest };
    const data = (name !== undefined ? { ...base, kind: 'event', name } : { ...base, kind: kind ?? 'pageview' }) as RawTraffic;
    return createRawEvent({ id: `e${String(n++).padStart(4, '0')}`, data });
  };
  const truthOf = (events: readonly CloudEvent<RawTraffic>[]) => {
    const truth = createGroundTruth({ sites: [site], dimensionsOf });
    events.forEach((e) => truth.add(e));
    return truth;
  };
  const siteOf = (t: GroundTruth) => t.toJSON().sites[site.hostname]!;
  /** [pageviews, events, visits, bounces, durationMs, visitors] per day */
  const daysOf = (t: GroundTruth) =>
    Object.fromEntries(
      Object.entries(siteOf(t).days).map(([d, f]) => [d, [f.pageviews, f.events, f.visits, f.bounces, f.durationMs, f.visitors]]),
    );

  it('a gap of exactly 30 minutes continues the visit; 30 minutes and 1 ms starts another', () => {
    const t = truthOf([
      ev('2026-03-01T10:00:00.000Z', { url: 'https://a.example/a' }),
      ev('2026-03-01T10:30:00.000Z', { url: 'https://a.example/b' }),
      ev('2026-03-01T11:00:00.001Z', { url: 'https://a.example/c' }),
    ]);
    expect(daysOf(t)).toEqual({ '2026-03-01': [3, 0, 2, 1, 1_800_000, 1] });
    const s = siteOf(t);
    const day = s.dayDimensions['2026-03-01']!;
    expect(day.entry_page).toEqual({
      '/a': { visitors: 1, visits: 1, bounces: 0, durationMs: 1_800_000, pageviews: 2, events: 0 },
      '/c': { visitors: 1, visits: 1, bounces: 1, durationMs: 0, pageviews: 1, events: 0 },
    });
    expect(Object.keys(day.exit_page).sort()).toEqual(['/b', '/c']);
    // one person, two visits that day: one visitor per entry page, one visitor of the day
    expect(s.days['2026-03-01']!.visitors).toBe(1);
  });

  it('a visit across the site’s midnight stays one visit, on its first event’s day; the next day still has the visitor', () => {
    const t = truthOf([
      // 18:20Z = 23:50 IST on 1 March; 18:40Z = 00:10 IST on 2 March
      ev('2026-03-01T18:20:00Z', { url: 'https://a.example/x', referrer: 'https://news.example/' }),
      ev('2026-03-01T18:40:00Z', { url: 'https://a.example/y' }),
      ev('2026-03-01T18:41:00Z', { name: 'signup', url: 'https://a.example/y' }),
    ]);
    expect(daysOf(t)).toEqual({ '2026-03-01': [1, 0, 1, 0, 21 * 60_000, 1], '2026-03-02': [1, 1, 0, 0, 0, 1] });
    const s = siteOf(t);
    expect(s.dayDimensions['2026-03-01']!.exit_page).toEqual({
      '/y': { visitors: 1, visits: 1, bounces: 0, durationMs: 21 * 60_000, pageviews: 2, events: 1 },
    });
    expect(s.dayDimensions['2026-03-01']!.source).toEqual({
      'news.example': { visitors: 1, visits: 1, bounces: 0, durationMs: 21 * 60_000, pageviews: 2, events: 1 },
    });
    expect(s.dayDimensions['2026-03-02']!.exit_page).toEqual({});
    expect(s.dayDimensions['2026-03-02']!.page).toEqual({
      '/y': { visitors: 1, pageviews: 1, engagedMs: 0, engagedVisitors: 0, scrollDepthSum: 0 },
    });
    expect(s.dayDimensions['2026-03-02']!.event).toEqual({ signup: { visitors: 1, events: 1 } });
    expect(s.totals.visitors).toBe(2); // one person on two days is two visitors
    const [visit] = t.visits();
    expect(visit).toMatchObject({ day: '2026-03-01', start: Date.parse('2026-03-01T18:20:00Z'), end: Date.parse('2026-03-01T18:41:00Z') });
    expect(visit!.events.map((e) => [e.kind, e.path])).toEqual([
      ['pageview', '/x'],
      ['pageview', '/y'],
      ['event', '/y'],
    ]);
  });

  it('any arrival order gives the same truth', () => {
    const events = [
      ev('2026-03-01T10:05:00Z', { url: 'https://a.example/late' }),
      ev('2026-03-01T10:00:00Z', { url: 'https://a.example/early', referrer: 'https://www.google.com/' }),
      ev('2026-03-01T10:35:00Z', { url: 'https://a.example/again' }),
      ev('2026-03-01T11:06:00Z', { name: 'signup', props: { plan: 'pro', n: 2 } }),
      ev('2026-03-01T10:02:00Z', { ip: '81.2.69.142' }),
    ];
    const want = truthOf(events);
    for (const order of [[...events].reverse(), [events[2]!, events[4]!, events[0]!, events[3]!, events[1]!]]) {
      expect(truthOf(order).toJSON()).toEqual(want.toJSON());
      expect(truthOf(order).visits()).toEqual(want.visits());
    }
    // 10:00, 10:05, 10:35 (gap 30 min: continues); 11:06 (gap 31 min): a visit of one custom event; another person
    expect(daysOf(want)).toEqual({ '2026-03-01': [4, 1, 3, 1, 35 * 60_000, 2] });
    const custom = want.visits().find((v) => v.events.length === 1 && v.events[0]!.kind === 'event')!;
    expect(custom.dims.entry_page).toBe('');
    expect(custom.events[0]!.props).toEqual({ plan: 'pro', n: '2' });
  });

  it('engagement events never change visits, bounces, events or visitors; they give time on page and scroll depth', () => {
    const pv = ev('2026-03-01T10:00:00Z', { url: 'https://a.example/doc' });
    const without = truthOf([pv]);
    const withEngagement = truthOf([
      pv,
      ev('2026-03-01T10:00:40Z', { kind: 'engagement', url: 'https://a.example/doc', engagementMs: 30_000, scrollDepth: 40 }),
      // a tab left open for two hours, then hidden: still no new visit, no longer visit
      ev('2026-03-01T12:00:00Z', { kind: 'engagement', url: 'https://a.example/doc', engagementMs: 5_000, scrollDepth: 90 }),
      // another person who only sends an engagement report (e.g. its pageview went to another day)
      ev('2026-03-01T12:00:00Z', {
        kind: 'engagement',
        url: 'https://a.example/doc',
        ip: '81.2.69.142',
        engagementMs: 1_000,
        scrollDepth: 10,
      }),
    ]);
    expect(daysOf(withEngagement)).toEqual(daysOf(without));
    expect(withEngagement.visits()).toEqual(without.visits());
    expect(siteOf(withEngagement).dayDimensions['2026-03-01']!.page['/doc']).toEqual({
      visitors: 1,
      pageviews: 1,
      engagedMs: 36_000,
      engagedVisitors: 2,
      scrollDepthSum: 90 + 10,
    });
  });

  it('bots count only as bot events; a second add of the same event is ignored', () => {
    const first = ev('2026-03-01T10:00:00Z');
    const t = truthOf([
      first,
      first,
      ev('2026-03-01T10:00:30Z', { name: 'signup' }),
      ev('2026-03-01T10:01:00Z', { userAgent: BOT }),
      ev('2026-03-01T10:02:00Z', { userAgent: BOT, kind: 'engagement', engagementMs: 10 }),
    ]);
    expect(daysOf(t)).toEqual({ '2026-03-01': [1, 1, 1, 1, 30_000, 1] });
    expect(siteOf(t).days['2026-03-01']!.botEvents).toBe(2);
    expect(siteOf(t).hours['2026-03-01T15:00:00']!.botEvents).toBe(2); // 10:01Z = 15:31 IST
  });

  it('a person-day counts once per visit-dimension value, over all of its visits that day', () => {
    const t = truthOf([
      ev('2026-03-01T04:00:00Z', { url: 'https://a.example/?utm_source=news' }),
      ev('2026-03-01T06:00:00Z', { url: 'https://a.example/?utm_source=news' }),
      ev('2026-03-01T08:00:00Z', { url: 'https://a.example/?utm_source=mail' }),
    ]);
    const s = siteOf(t);
    expect(s.dayDimensions['2026-03-01']!.utm_source).toEqual({
      news: { visitors: 1, visits: 2, bounces: 2, durationMs: 0, pageviews: 2, events: 0 },
      mail: { visitors: 1, visits: 1, bounces: 1, durationMs: 0, pageviews: 1, events: 0 },
    });
    expect(s.dimensions.utm_source.news!.visitors).toBe(1);
    expect(s.days['2026-03-01']!.visitors).toBe(1);
  });

  it('breaks ties of equal timestamps by the event key, not by arrival', () => {
    const at = '2026-03-01T10:00:00Z';
    const a = ev(at, { url: 'https://a.example/one' });
    const b = ev(at, { url: 'https://a.example/two' });
    expect(truthOf([a, b]).visits()).toEqual(truthOf([b, a]).visits());
    expect(truthOf([a, b]).visits()[0]!.events).toHaveLength(2);
  });

  it('windows of whole hours: counters summed, visitors distinct over the window', () => {
    const t = truthOf([
      ev('2026-03-01T04:40:00Z'), // 10:10 IST
      ev('2026-03-01T05:40:00Z'), // 11:10 IST, same visit? gap 60 min: no
      ev('2026-03-01T05:45:00Z', { ip: '81.2.69.142' }),
    ]);
    const s = siteOf(t);
    expect(windowFigures(s, '2026-03-01T10:00:00', '2026-03-01T12:00:00')).toMatchObject({ pageviews: 3, visits: 3, visitors: 2 });
    expect(windowFigures(s, '2026-03-01T11:00:00', '2026-03-01T12:00:00')).toMatchObject({ pageviews: 2, visits: 2, visitors: 2 });
  });

  it('counts events for sites it was not told about apart', () => {
    const t = truthOf([ev('2026-03-01T10:00:00Z', { site: 'other.example', url: 'https://other.example/' })]);
    expect(t.toJSON().unknownSiteEvents).toBe(1);
    expect(siteOf(t).totals.pageviews).toBe(0);
  });
});

describe('ground truth of a simulated run', () => {
  let truth: GroundTruth;
  let t: GroundTruthJson;
  let visits: TruthVisit[];
  beforeAll(() => {
    truth = simulatedTruth(3);
    t = truth.toJSON();
    visits = truth.visits();
  });

  it('is deterministic per seed', () => {
    expect(simulatedTruth(3).toJSON()).toEqual(t);
    expect(simulatedTruth(4).toJSON()).not.toEqual(t);
  });

  it.each(DEMO_SITES.map((s) => [s.hostname]))('%s: days sum to the totals, hours to the days, dimensions to the range', (site) => {
    const s = t.sites[site]!;
    const days = Object.values(s.days);
    for (const k of ['pageviews', 'events', 'botEvents', 'visits', 'bounces', 'durationMs', 'visitors'] as const)
      expect([k, days.reduce((a, d) => a + d[k], 0)]).toEqual([k, s.totals[k]]);
    for (const k of ['pageviews', 'events', 'botEvents', 'visits', 'bounces', 'durationMs'] as const)
      expect([k, Object.values(s.hours).reduce((a, h) => a + h[k], 0)]).toEqual([k, s.totals[k]]);
    expect(s.totals.pageviews).toBeGreaterThan(0);
    expect(s.totals.botEvents).toBeGreaterThan(0);
    for (const d of DIMENSIONS) {
      const range = s.dimensions[d] as Record<string, { visitors: number }>;
      for (const [value, f] of Object.entries(range)) {
        const perDay = Object.values(s.dayDimensions).reduce(
          (a, dd) => a + ((dd[d] as Record<string, { visitors: number }>)[value]?.visitors ?? 0),
          0,
        );
        expect([d, value, f.visitors]).toEqual([d, value, perDay]);
      }
    }
  });

  it.each(DEMO_SITES.map((s) => [s.hostname]))('%s: every visit dimension partitions each day’s visits', (site) => {
    const s = t.sites[site]!;
    for (const [day, dd] of Object.entries(s.dayDimensions)) {
      const f = s.days[day]!;
      for (const d of SESSION_DIMENSIONS) {
        const values = Object.values(dd[d]);
        expect([day, d, values.reduce((a, v) => a + v.visits, 0)]).toEqual([day, d, f.visits]);
        expect([day, d, values.reduce((a, v) => a + v.bounces, 0)]).toEqual([day, d, f.bounces]);
        expect([day, d, values.reduce((a, v) => a + v.durationMs, 0)]).toEqual([day, d, f.durationMs]);
        for (const v of values) {
          expect(v.visitors).toBeLessThanOrEqual(v.visits);
          expect(v.visitors).toBeLessThanOrEqual(f.visitors);
        }
        // every visitor of a value is a visitor of the day, and each is counted once per value
        expect(values.reduce((a, v) => a + v.visitors, 0)).toBeGreaterThanOrEqual(Math.min(1, f.visits));
      }
      expect(Object.values(dd.page).reduce((a, v) => a + v.pageviews, 0)).toBe(f.pageviews);
      expect(Object.values(dd.event).reduce((a, v) => a + v.events, 0)).toBe(f.events);
    }
  });

  it('visits() agree with the totals and follow the rule', () => {
    for (const s of Object.values(t.sites)) {
      const mine = visits.filter((v) => v.site === s.site);
      expect(mine.length).toBe(s.totals.visits);
      expect(mine.filter((v) => v.events.filter((e) => e.kind === 'pageview').length === 1).length).toBe(s.totals.bounces);
      expect(mine.reduce((a, v) => a + v.end - v.start, 0)).toBe(s.totals.durationMs);
    }
    for (const v of visits) {
      for (let i = 1; i < v.events.length; i++) expect(v.events[i]!.ts - v.events[i - 1]!.ts).toBeLessThanOrEqual(30 * 60_000);
      expect(v.start).toBe(v.events[0]!.ts);
      expect(v.end).toBe(v.events[v.events.length - 1]!.ts);
    }
  });

  it('has what the pipeline must get right: several visits per person-day, midnight crossings, 30-minute gaps, engagement', () => {
    const perVisitor = new Map<string, number>();
    for (const v of visits) perVisitor.set(v.visitor, (perVisitor.get(v.visitor) ?? 0) + 1);
    expect([...perVisitor.values()].filter((n) => n > 1).length).toBeGreaterThan(20);
    const zone = new Map(DEMO_SITES.map((s) => [s.hostname, s.timezone]));
    const crossing = visits.filter((v) => localDate(v.end, zone.get(v.site)!) !== v.day);
    expect(crossing.length).toBeGreaterThan(1);
    // no visit spans more than two site-days (the pipeline links only adjacent days' visitorIds)
    for (const v of crossing) expect(Date.parse(localDate(v.end, zone.get(v.site)!)) - Date.parse(v.day)).toBe(86_400_000);
    const exact = visits.filter((v) => v.events.some((e, i) => i > 0 && e.ts - v.events[i - 1]!.ts === 30 * 60_000));
    expect(exact.length).toBeGreaterThan(0);
    const engaged = Object.values(t.sites).flatMap((s) =>
      Object.values(s.dayDimensions).flatMap((dd) => Object.values(dd.page).filter((p) => p.engagedVisitors > 0)),
    );
    expect(engaged.length).toBeGreaterThan(10);
    for (const p of engaged) expect(p.scrollDepthSum).toBeLessThanOrEqual(100 * p.engagedVisitors);
  });

  it('counts malformed records per expected reason', () => {
    expect(t.malformed.total).toBeGreaterThan(0);
    expect(Object.values(t.malformed.byReason).reduce((a, b) => a + (b ?? 0), 0)).toBe(t.malformed.total);
  });
});
