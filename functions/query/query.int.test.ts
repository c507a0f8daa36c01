/**
 * The stats API against real MariaDB/MySQL: rollups and sketches seeded straight into the schema
 * (testing/seed.ts), every endpoint compared with the figures computed from the seeded visits, for
 * sites in Asia/Kolkata (+05:30, public) and America/New_York (DST, private).
 */
import { createHash } from 'node:crypto';
import { describeWithServices } from '../../test/services';
import { createDatabase, type Database } from '../lib/db';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketOf, toLocalMs } from '../lib/time';
import { createQueryHandler, type QueryHandler } from './handler';
import { resolvePeriod, type PeriodInput } from './period';
import { expectedBreakdown, expectedTotals, makeVisits, seedSite, seedToken, type SeedSite, type Visit } from './testing/seed';

const NOW = Date.parse('2026-03-10T20:17:30Z'); // 01:47 on 11 March in Kolkata, 16:17 on 10 March in New York
const HLL_TOLERANCE = 0.02;

function recentVisits(hostname: string, timezone: string): Visit[] {
  const nowMinute = bucketOf(toLocalMs(NOW, timezone), 'm');
  // Minutes 0..40 back: the last 5 minutes hold visitors r0..r4 (r1 twice), older ones fall out of the windows.
  return [0, 1, 1, 2, 3, 4, 5, 12, 29, 30, 40].map((back, i) => ({
    // Real visitorIds are HMAC output, and the HLL uses them as hashes: keep them uniform.
    visitorId: createHash('sha256').update(`${hostname} recent ${back}`).digest('hex').slice(0, 16),
    at: nowMinute - back * MINUTE_MS + (i % 50) * 1000,
    pages: back === 1 ? ['/', '/pricing'] : ['/'],
    durationMs: 0,
    events: [],
    engagements: [],
    source: '',
    country: 'IN',
  }));
}

describeWithServices('query API on MySQL', ['mysql'], (services) => {
  let db: Database;
  let handler: QueryHandler;
  let pub: SeedSite;
  let priv: SeedSite;

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const r = await handler.handle({ method: 'GET', url, headers });
    return {
      status: r.status,
      headers: r.headers,
      json: r.body === '' ? undefined : (JSON.parse(String(r.body)) as Record<string, unknown>),
    };
  };
  const near = (actual: unknown, exact: number) => {
    expect(typeof actual).toBe('number');
    expect(Math.abs((actual as number) - exact)).toBeLessThanOrEqual(Math.max(1, exact * HLL_TOLERANCE));
  };

  beforeAll(async () => {
    db = createDatabase({ url: services().databaseUrl });
    await db.migrate();
    for (const [hostname, timezone, isPublic] of [
      ['pub.example', 'Asia/Kolkata', true],
      ['priv.example', 'America/New_York', false],
    ] as const) {
      const today = bucketOf(toLocalMs(NOW, timezone), 'd');
      const visits = [...makeVisits(hostname, today - 39 * DAY_MS, 40, 25, hostname.length), ...recentVisits(hostname, timezone)];
      const bots = [
        { at: today - 2 * DAY_MS + 5 * HOUR_MS, count: 7 },
        { at: today + 30 * MINUTE_MS, count: 3 },
      ];
      const site = await seedSite(db, { hostname, timezone, isPublic, visits, bots });
      if (isPublic) pub = site;
      else priv = site;
    }
    await seedToken(db, priv.id, 'good-token');
    await seedToken(db, priv.id, 'old-token', true);
    await seedToken(db, pub.id, 'pub-token');
    handler = createQueryHandler({ db, now: () => NOW });
  }, 300_000);

  afterAll(async () => {
    await db?.close();
  });

  const periods: [string, PeriodInput][] = [
    ['period=today', { period: 'today' }],
    ['period=24h', { period: '24h' }],
    ['period=7d', { period: '7d' }],
    ['period=30d', { period: '30d' }],
    ['from=2026-02-14&to=2026-02-20', { from: '2026-02-14', to: '2026-02-20' }],
  ];

  describe.each(['pub', 'priv'])('%s site', (which) => {
    const site = () => (which === 'pub' ? pub : priv);
    const auth = (): Record<string, string> => (which === 'pub' ? {} : { authorization: 'Bearer good-token' });

    it.each(periods)('summary %s equals the seeded figures, also for the previous period', async (query, input) => {
      const r = await get(`/api/v1/stats/summary?site=${site().hostname}&${query}`, auth());
      expect(r.status).toBe(200);
      const p = resolvePeriod(input, NOW, site().timezone);
      for (const [range, got] of [
        [p.current, r.json?.metrics],
        [p.previous, (r.json?.previous as { metrics: unknown }).metrics],
      ] as const) {
        const e = expectedTotals(site().visits, site().bots, range.from, range.to);
        const m = got as Record<string, number>;
        expect(e.visits).toBeGreaterThan(0);
        expect({ pageviews: m.pageviews, visits: m.visits, events: m.events, bot_events: m.bot_events }).toEqual({
          pageviews: e.pageviews,
          visits: e.visits,
          events: e.events,
          bot_events: e.botEvents,
        });
        expect(m.bounce_rate).toBe(Math.round((1000 * e.bounces) / e.visits) / 10);
        expect(m.visit_duration).toBe(Math.round(e.durationMs / e.visits / 1000));
        near(m.visitors, e.visitors);
      }
    });

    it.each([
      ['period=7d', 'day', DAY_MS, 7],
      ['period=24h', 'hour', HOUR_MS, 24],
      ['period=today', 'hour', HOUR_MS, 24],
    ] as const)('timeseries %s has every %s bucket with the seeded figures', async (query, interval, step, n) => {
      const r = await get(`/api/v1/stats/timeseries?site=${site().hostname}&${query}&metrics=visitors,pageviews,visits`, auth());
      expect(r.status).toBe(200);
      expect(r.json?.interval).toBe(interval);
      const buckets = r.json?.buckets as { t: string; visitors: number; pageviews: number; visits: number }[];
      expect(buckets).toHaveLength(n);
      for (const b of buckets) {
        const from = Date.parse(`${b.t}Z`);
        const e = expectedTotals(site().visits, site().bots, from, from + step);
        expect([b.t, b.pageviews, b.visits]).toEqual([b.t, e.pageviews, e.visits]);
        near(b.visitors, e.visitors);
      }
    });

    // 30d reads daily rows, 24h hourly ones (the sketches are looked up per bucket and value).
    it.each([
      ['page', '30d'],
      ['source', '30d'],
      ['event', '30d'],
      ['country', '30d'],
      ['page', '24h'],
      ['source', '24h'],
    ] as const)('breakdown by %s over %s pages through the seeded values', async (dimension, period) => {
      const p = resolvePeriod({ period }, NOW, site().timezone).current;
      const expected = expectedBreakdown(site().visits, dimension, p.from, p.to);
      const seen = new Map<string, Record<string, unknown>>();
      for (let page = 1; ; page++) {
        const r = await get(
          `/api/v1/stats/breakdown?site=${site().hostname}&period=${period}&dimension=${dimension}&limit=2&page=${page}`,
          auth(),
        );
        expect(r.status).toBe(200);
        const results = r.json?.results as Record<string, unknown>[];
        const visitors = results.map((x) => x.visitors as number);
        expect([...visitors].sort((a, b) => b - a)).toEqual(visitors);
        for (const x of results) seen.set(String(x.value), x);
        if (r.json?.has_more !== true) break;
        expect(results).toHaveLength(2);
      }
      expect(seen.size).toBe(expected.size);
      for (const [value, e] of expected) {
        const got = seen.get(value === '' ? '(none)' : value)!;
        expect(got).toBeDefined();
        near(got.visitors, e.visitors.size);
        if (dimension === 'page') expect([got.pageviews, got.visits, got.events]).toEqual([e.pageviews, null, null]);
        else if (dimension === 'event') expect([got.events, got.pageviews, got.bounce_rate]).toEqual([e.events, null, null]);
        else expect([got.pageviews, got.visits, got.events]).toEqual([e.pageviews, e.visits, null]);
      }
    });

    it('realtime counts visitors of the last 5 minutes and pageviews of each of the last 30', async () => {
      const r = await get(`/api/v1/stats/realtime?site=${site().hostname}`, auth());
      expect(r.status).toBe(200);
      const end = bucketOf(toLocalMs(NOW, site().timezone), 'm') + MINUTE_MS;
      expect(r.json?.visitors).toBe(expectedTotals(site().visits, [], end - 5 * MINUTE_MS, end).visitors);
      const perMinute = r.json?.pageviews_per_minute as { t: string; pageviews: number }[];
      expect(perMinute).toHaveLength(30);
      for (const m of perMinute) {
        const from = Date.parse(`${m.t}Z`);
        expect([m.t, m.pageviews]).toEqual([m.t, expectedTotals(site().visits, [], from, from + MINUTE_MS).pageviews]);
      }
      expect(perMinute.reduce((a, m) => a + m.pageviews, 0)).toBe(expectedTotals(site().visits, [], end - 30 * MINUTE_MS, end).pageviews);
    });
  });

  describe('access', () => {
    const summary = (site: string) => `/api/v1/stats/summary?site=${site}&period=7d`;

    it('answers a public site without a token, and ignores a token sent with it', async () => {
      expect((await get(summary('pub.example'))).status).toBe(200);
      expect((await get(summary('pub.example'), { authorization: 'Bearer nonsense' })).status).toBe(200);
    });

    it('opens a private site only with its valid, unrevoked token', async () => {
      expect((await get(summary('priv.example'), { authorization: 'Bearer good-token' })).status).toBe(200);
      expect((await get(summary('priv.example'))).status).toBe(401);
      expect((await get(summary('priv.example'), { authorization: 'Basic Zm9vOmJhcg==' })).status).toBe(401);
      expect((await get(summary('priv.example'), { authorization: 'Bearer wrong-token' })).status).toBe(403);
      expect((await get(summary('priv.example'), { authorization: 'Bearer old-token' })).status).toBe(403);
      expect((await get(summary('priv.example'), { authorization: 'Bearer pub-token' })).status).toBe(403);
    });

    it('answers an unknown site exactly like a private one', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'Bearer good-token' }] as Record<
        string,
        string
      >[]) {
        const unknown = await get(summary('nope.example'), headers);
        const hidden = await get(
          summary('priv.example'),
          headers.authorization === 'Bearer good-token' ? { authorization: 'Bearer x' } : headers,
        );
        expect([unknown.status, unknown.json, unknown.headers['WWW-Authenticate']]).toEqual([
          hidden.status,
          hidden.json,
          hidden.headers['WWW-Authenticate'],
        ]);
      }
    });

    it('lists public sites, plus the private ones a token opens', async () => {
      expect((await get('/api/v1/sites')).json).toEqual({ sites: [{ site: 'pub.example', timezone: 'Asia/Kolkata', public: true }] });
      expect((await get('/api/v1/sites', { authorization: 'Bearer good-token' })).json?.sites).toEqual([
        { site: 'priv.example', timezone: 'America/New_York', public: false },
        { site: 'pub.example', timezone: 'Asia/Kolkata', public: true },
      ]);
      expect((await get('/api/v1/sites', { authorization: 'Bearer old-token' })).json?.sites).toHaveLength(1);
    });
  });
});
