/**
 * The filtered path on facts written by the real aggregate writer (functions/aggregate/writer.ts) from its
 * fixture traffic (people across midnight, 30-minute gaps, engagement, props, bots): a filter that keeps every
 * visit (`country!=ZZ`) must give the same visits, pageviews, custom events, bounce rate and duration as the
 * unfiltered rollups over a range holding all the traffic, and the same pageviews per page and visits per
 * country. Visitors are not compared: the rollups count an event's own day's visitorId, the filtered path a
 * visit's first (ARCHITECTURE "Filters"), which differ for visits across midnight.
 */
import { createDatabase, type Database } from '../../functions/lib/db';
import { silentLogger } from '../../functions/lib/logger';
import { DAY_MS, bucketOf, toLocalMs } from '../../functions/lib/time';
import { buildEvents, FIXTURE_SITES } from '../../functions/aggregate/fixtures';
import { createWriter } from '../../functions/aggregate/writer';
import { createQueryHandler, type QueryHandler } from '../../functions/query/handler';
import { createSiteRegistry } from '../../functions/sites/registry';
import { describeWithServices } from '../services';

jest.setTimeout(300_000);

describeWithServices('filtered answers on facts from the real writer', ['mysql'], (services) => {
  let db: Database;
  let api: QueryHandler;
  const events = buildEvents({ seed: 11, sessions: 600 });
  const times = events.map((e) => Date.parse(e.data.timestamp));
  const oldest = Math.min(...times);
  const newest = Math.max(...times);

  beforeAll(async () => {
    db = createDatabase({ url: services().databaseUrl });
    await db.migrate();
    const registry = createSiteRegistry(db);
    const sites = new Map<string, Awaited<ReturnType<typeof registry.add>>>();
    for (const s of FIXTURE_SITES) sites.set(s.hostname, await registry.add({ ...s, isPublic: true }));
    const writer = createWriter({ db, logger: silentLogger, pruneIntervalMs: 0, now: () => oldest + 47 * 3_600_000 });
    await writer.add(events.map((event) => ({ event, site: sites.get(event.data.site)! })));
    await writer.close();
    api = createQueryHandler({ db, now: () => newest + 60_000 });
  });
  afterAll(() => db?.close());

  const get = async (path: string, q: Record<string, string>) => {
    const r = await api.handle({ method: 'GET', url: `${path}?${new URLSearchParams(q).toString()}`, headers: {} });
    expect(r.status).toBe(200);
    return JSON.parse(r.body.toString()) as Record<string, unknown>;
  };

  it.each(FIXTURE_SITES.map((s) => [s.hostname, s.timezone]))('%s: a keep-all filter equals the rollups', async (site, tz) => {
    const date = (t: number) => new Date(bucketOf(toLocalMs(t, tz), 'd')).toISOString().slice(0, 10);
    const range = { site, from: date(oldest - DAY_MS), to: date(newest + DAY_MS) };
    const pick = (m: Record<string, number>) => ({
      visits: m.visits,
      pageviews: m.pageviews,
      events: m.events,
      bounce_rate: m.bounce_rate,
      visit_duration: m.visit_duration,
    });
    const plain = (await get('/api/v1/stats/summary', range)).metrics as Record<string, number>;
    const kept = (await get('/api/v1/stats/summary', { ...range, filters: 'country!=ZZ' })).metrics as Record<string, number>;
    expect(plain.visits).toBeGreaterThan(0);
    expect(pick(kept)).toEqual(pick(plain));
    const rows = async (dimension: string, metric: string, filters?: string) =>
      (
        (await get('/api/v1/stats/breakdown', { ...range, dimension, limit: '1000', ...(filters === undefined ? {} : { filters }) }))
          .results as Record<string, string | number>[]
      )
        .map((r) => [r.value, r[metric]])
        .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    expect(await rows('page', 'pageviews', 'country!=ZZ')).toEqual(await rows('page', 'pageviews'));
    expect(await rows('country', 'visits', 'country!=ZZ')).toEqual(await rows('country', 'visits'));
    // and a real filter keeps a strict, non-empty part
    const [country] = (await rows('country', 'visits'))[0]!;
    const one = (await get('/api/v1/stats/summary', { ...range, filters: `country==${country}` })).metrics as Record<string, number>;
    expect(one.visits).toBeGreaterThan(0);
    expect(one.visits).toBe((await rows('country', 'visits')).find((r) => r[0] === country)![1]);
  });
});
