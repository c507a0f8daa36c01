/**
 * Filtered dashboard latency: summary (with its previous period), daily timeseries and 4 breakdowns
 * (page, source, country, browser), in parallel as the dashboard asks them, with
 * `filters=country==DE;source==Google`, answered from the visit and event facts — next to the same six
 * questions over a naive one-row-per-event table with the same filter, in the same run on the same server.
 * Not a test: prints one JSON line per figure.
 *
 *   npx tsx bench/filters.ts                                        (headline: 100,000 pageviews a day, 60 days
 *                                                                    = a 30-day range and its previous 30 days)
 *   BENCH_FILTER_DAYS=180 BENCH_FILTER_PAGEVIEWS=10000 npx tsx bench/filters.ts   (growth with the range: 7/30/90 days)
 *   BENCH_FILTER_LOADS=20 BENCH_FILTER_NAIVE_LOADS=3 …              (dashboard loads measured per range; defaults 20 / 2)
 *
 * Data: generated on the server (INSERT … SELECT over a digits table), so seeding 6 M events takes about a
 * minute instead of a client round trip per row. Per day: pageviews / 2.4 visits (1, 1, 2, 3 or 5 pageviews),
 * one custom event per 10th visit; visitors: three visits in four are a new visitor; country DE 10 %,
 * source Google 30 % (independent), so the filter keeps 3 % of the visits; 2,000 pages. The naive table holds
 * exactly the same events with their visit's dimensions copied onto each row, indexed by (site_id, day).
 * MySQL/MariaDB only (DATABASE_URL=mysql://…; its database name is ignored, a fresh one is made and dropped).
 */
import { createDatabase, type Database } from '../functions/lib/db';
import { DAY_MS, bucketOf, fromLocalMs, toLocalMs } from '../functions/lib/time';
import { createQueryHandler, type QueryHandler } from '../functions/query/handler';
import { createSiteRegistry } from '../functions/sites/registry';
import { createTestDatabase } from '../test/services';
import { figure, main, percentile, type Figure } from './figure';

const SITE = 'bench-filters.example';
const TZ = 'UTC';
const NOW = Date.parse('2026-03-10T12:00:00Z');
/**
 * The filter, and the same condition on the naive table. BENCH_FILTER=source keeps ten times the visits
 * (`source==Google`, 30 % of them): 30 days at 100 k/day then keep as many visits as 30 days at 1 M/day
 * with the default filter (375,000), read from the day index instead of the country one.
 */
const FILTER_OPTIONS = {
  default: { api: 'country==DE;source==Google', naive: "country = 'DE' AND source = 'Google'" },
  source: { api: 'source==Google', naive: "source = 'Google'" },
} as const;
const CHOSEN = FILTER_OPTIONS[(process.env.BENCH_FILTER ?? 'default') as keyof typeof FILTER_OPTIONS];
if (CHOSEN === undefined) throw new Error(`BENCH_FILTER must be one of ${Object.keys(FILTER_OPTIONS).join(', ')}`);
const FILTERS = CHOSEN.api;
const BREAKDOWNS = ['page', 'source', 'country', 'browser'] as const;

const dateOf = (localMs: number) => new Date(localMs).toISOString().slice(0, 10);

/** n = 0 … 999,999 from six cross-joined digits (portable: no SEQUENCE engine, no recursion limit). */
const NUMBERS = `(SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n
  FROM digits a, digits b, digits c, digits e, digits f, digits g)`;

async function seed(db: Database, siteId: number, today: number, days: number, pageviewsPerDay: number): Promise<number> {
  const q = (sql: string, replacements: Record<string, unknown> = {}) => db.sequelize.query(sql, { replacements });
  await q('CREATE TABLE digits (d INT NOT NULL PRIMARY KEY)');
  await q('INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
  await q('CREATE TABLE ks (k INT NOT NULL PRIMARY KEY)');
  await q('INSERT INTO ks VALUES (0),(1),(2),(3),(4),(5)');
  // The naive table: one row per event with its visit's dimensions, the way a first analytics table looks.
  await q(`CREATE TABLE naive_events (
    site_id INT NOT NULL, day BIGINT NOT NULL, ts BIGINT NOT NULL, event_key CHAR(32) NOT NULL, visit_key CHAR(32) NOT NULL,
    visitor_id CHAR(16) NOT NULL, kind VARCHAR(16) NOT NULL, page VARCHAR(2048) NOT NULL, source VARCHAR(128) NOT NULL,
    country CHAR(2) NOT NULL, browser VARCHAR(64) NOT NULL, PRIMARY KEY (site_id, day, event_key))`);
  const visitsPerDay = Math.round(pageviewsPerDay / 2.4);
  let events = 0;
  for (let d = 0; d < days; d++) {
    const day = today - d * DAY_MS;
    const r = { site: siteId, day, start: fromLocalMs(day, TZ), v: visitsPerDay, step: Math.floor(DAY_MS / visitsPerDay) };
    await q(
      `INSERT INTO visits (site_id, visit_key, visitor_id, prev_visitor_id, day, started_at, first_event_key, ended_at, last_event_key,
         pageviews, events, entry_page, entry_at, entry_event_key, exit_page, exit_at, exit_event_key, referrer, source, channel,
         utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, browser, os, device)
       SELECT :site, MD5(CONCAT(:day, '/', n)), LEFT(MD5(CONCAT('p', :day, '/', FLOOR(n * 3 / 4))), 16), '', :day,
         :start + n * :step, '', :start + n * :step + 60000 * (pv - 1), '', pv, CASE WHEN n % 10 = 0 THEN 1 ELSE 0 END,
         CONCAT('/section-', n % 40, '/article-', (n * 13) % 2000), :start + n * :step, '',
         CONCAT('/section-', (n + 7) % 40, '/article-', (n * 13 + pv - 1) % 2000), :start + n * :step + 60000 * (pv - 1), '',
         '', CASE WHEN (n DIV 20) % 10 < 3 THEN 'Google' WHEN (n DIV 20) % 10 = 3 THEN 'Direct / None' ELSE CONCAT('source-', (n DIV 20) % 60) END,
         'search', '', '', '', '', '',
         CASE WHEN n % 20 < 2 THEN 'DE' WHEN n % 20 < 4 THEN 'FR' WHEN n % 20 < 8 THEN 'US' ELSE CHAR(65 + n % 20, 66 + n % 7) END,
         CONCAT('browser-', (n DIV 7) % 25), CONCAT('os-', n % 6), CASE WHEN n % 3 = 0 THEN 'mobile' ELSE 'desktop' END
       FROM (SELECT n, CASE n % 5 WHEN 0 THEN 1 WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 3 ELSE 5 END AS pv FROM ${NUMBERS} x WHERE n < :v) t`,
      r,
    );
    // Each day's events, with their visit's dimensions copied onto them: the naive table first, then the
    // facts' events from it (a single-table copy, no join the optimizer could get wrong on fresh tables).
    await q(
      `INSERT INTO naive_events (site_id, day, ts, event_key, visit_key, visitor_id, kind, page, source, country, browser)
       SELECT v.site_id, v.day, v.started_at + 60000 * ks.k, MD5(CONCAT(v.visit_key, '/', ks.k)), v.visit_key, v.visitor_id,
         CASE WHEN ks.k < v.pageviews THEN 'pageview' ELSE 'event' END,
         CASE WHEN ks.k = 0 THEN v.entry_page ELSE CONCAT('/section-', (ks.k * 11) % 40, '/article-', (CONV(LEFT(v.visit_key, 6), 16, 10) + ks.k) % 2000) END,
         v.source, v.country, v.browser
       FROM visits v JOIN ks ON ks.k < v.pageviews + v.events
       WHERE v.site_id = :site AND v.day = :day`,
      r,
    );
    await q(
      `INSERT INTO events (site_id, day, event_key, ts, visit_key, visitor_id, kind, bot, name, page, hostname)
       SELECT site_id, day, event_key, ts, visit_key, visitor_id, kind, 0, CASE WHEN kind = 'event' THEN 'signup' ELSE '' END, page, :host
       FROM naive_events WHERE site_id = :site AND day = :day`,
      { ...r, host: SITE },
    );
    // visits.page_keys as the writer keeps it (migration 0005): the sorted keys of the visit's pageviews
    await q(
      `UPDATE visits v JOIN (SELECT site_id, visit_key, GROUP_CONCAT(LEFT(SHA1(page), 16) ORDER BY LEFT(SHA1(page), 16) SEPARATOR '') AS k
         FROM events WHERE site_id = :site AND day = :day AND kind = 'pageview' GROUP BY site_id, visit_key) p
         ON p.site_id = v.site_id AND p.visit_key = v.visit_key
       SET v.page_keys = p.k WHERE v.site_id = :site AND v.day = :day`,
      r,
    );
    events += visitsPerDay * 2.4 + visitsPerDay / 10;
  }
  for (const t of ['visits', 'events', 'naive_events']) await q(`ANALYZE TABLE ${t}`);
  return Math.round(events);
}

/** The same six questions over the naive table: the filter on every row, distinct counts over raw rows. */
async function naiveDashboard(db: Database, from: number, to: number): Promise<void> {
  const r = { from, to, prev: from - (to - from) };
  const where = `site_id = 1 AND ${CHOSEN.naive}`;
  const q = (sql: string) => db.sequelize.query(sql, { replacements: r });
  await Promise.all([
    q(`SELECT day >= :from AS cur, SUM(kind = 'pageview') AS pageviews, COUNT(DISTINCT visitor_id) AS visitors, COUNT(DISTINCT visit_key) AS visits
       FROM naive_events WHERE ${where} AND day >= :prev AND day < :to GROUP BY day >= :from`),
    q(`SELECT day >= :from AS cur, SUM(n = 1) AS bounces FROM (SELECT visit_key, day, SUM(kind = 'pageview') AS n FROM naive_events
       WHERE ${where} AND day >= :prev AND day < :to GROUP BY visit_key, day) s GROUP BY day >= :from`),
    q(`SELECT day, SUM(kind = 'pageview') AS pageviews, COUNT(DISTINCT visitor_id) AS visitors FROM naive_events
       WHERE ${where} AND day >= :from AND day < :to GROUP BY day`),
    ...BREAKDOWNS.map((dim) =>
      q(`SELECT ${dim} AS value, COUNT(DISTINCT visitor_id) AS visitors, SUM(kind = 'pageview') AS pageviews FROM naive_events
         WHERE ${where} AND day >= :from AND day < :to ${dim === 'page' ? "AND kind = 'pageview'" : ''}
         GROUP BY ${dim} ORDER BY visitors DESC, pageviews DESC LIMIT 10`),
    ),
  ]);
}

async function factDashboard(api: QueryHandler, from: string, to: string): Promise<void> {
  const common = `site=${SITE}&from=${from}&to=${to}&filters=${encodeURIComponent(FILTERS)}`;
  const urls = [
    `/api/v1/stats/summary?${common}`,
    `/api/v1/stats/timeseries?${common}`,
    ...BREAKDOWNS.map((d) => `/api/v1/stats/breakdown?${common}&dimension=${d}`),
  ];
  await Promise.all(
    urls.map(async (url) => {
      const r = await api.handle({ method: 'GET', url, headers: {} });
      if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    }),
  );
}

async function timeIt(n: number, f: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  await f(); // warm-up: connections, the buffer pool
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: Math.round(percentile(ms, 0.5)), p95: Math.round(percentile(ms, 0.95)) };
}

const cost = (name: string, value: number, baseline: number | null): Figure => ({
  name,
  value,
  unit: 'ms',
  baseline,
  ratio: baseline === null || value === 0 ? null : Math.round((baseline / value) * 10) / 10,
});

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const server = env.DATABASE_URL?.startsWith('mysql') ? env.DATABASE_URL : 'mysql://root@127.0.0.1:3306/';
  const days = Number(env.BENCH_FILTER_DAYS ?? 60);
  const pageviewsPerDay = Number(env.BENCH_FILTER_PAGEVIEWS ?? 100_000);
  const loads = Number(env.BENCH_FILTER_LOADS ?? 20);
  const naiveLoads = Number(env.BENCH_FILTER_NAIVE_LOADS ?? 2);
  const ranges = (env.BENCH_FILTER_RANGES ?? (days >= 180 ? '7,30,90' : '7,30')).split(',').map(Number);
  // BENCH_FILTER_REUSE=<mysql url of a kept run> measures again without seeding (same days/pageviews env).
  const reuse = env.BENCH_FILTER_REUSE;
  const database =
    reuse === undefined
      ? await createTestDatabase(server, `wtm_bench_filters_${Date.now().toString(36)}`)
      : { url: reuse, drop: async () => undefined };
  const db = createDatabase({ url: database.url, pool: { max: 8 } });
  const figures: Figure[] = [];
  try {
    await db.migrate();
    const site = reuse === undefined ? await createSiteRegistry(db).add({ hostname: SITE, timezone: TZ, isPublic: true }) : { id: 1 };
    if (site.id !== 1) throw new Error('the naive queries assume site id 1');
    const today = bucketOf(toLocalMs(NOW, TZ), 'd');
    const t0 = performance.now();
    const events = reuse === undefined ? await seed(db, site.id, today, days, pageviewsPerDay) : 0;
    process.stderr.write(`seeded ${events} events over ${days} days in ${Math.round((performance.now() - t0) / 1000)} s\n`);
    const api = createQueryHandler({ db, now: () => NOW });
    const label = `${pageviewsPerDay / 1000}k pv/day`;
    for (const n of ranges) {
      const from = today - (n - 1) * DAY_MS;
      // the heap the loads peak at (sampled every 10 ms): the kept visits' read holds chunks, not the range
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
      const facts = await timeIt(loads, () => factDashboard(api, dateOf(from), dateOf(today))).finally(() => clearInterval(sampler));
      const naive = await timeIt(naiveLoads, () => naiveDashboard(db, from, today + DAY_MS));
      process.stderr.write(`${n} days: facts p50 ${facts.p50} p95 ${facts.p95} ms; naive p50 ${naive.p50} p95 ${naive.p95} ms\n`);
      figures.push(cost(`filters: filtered dashboard ${n}d, ${label}, p95 (baseline: naive table)`, facts.p95, naive.p95));
      figures.push(cost(`filters: filtered dashboard ${n}d, ${label}, p50 (baseline: naive table)`, facts.p50, naive.p50));
      figures.push(
        figure(`filters: filtered dashboard ${n}d, ${label}, heap peak over the loads' start`, (peak - base) / 2 ** 20, 'MB', null),
      );
    }
  } finally {
    await db.close();
    // BENCH_FILTER_KEEP=1 leaves the database for EXPLAIN (its name is on stderr)
    if (env.BENCH_FILTER_KEEP === '1') process.stderr.write(`kept ${database.url}\n`);
    else await database.drop();
  }
  return figures;
}

if (require.main === module)
  main(() =>
    run().catch((e: unknown) => {
      const sql = (e as { parent?: { sqlMessage?: string } }).parent?.sqlMessage;
      throw sql === undefined ? e : new Error(sql);
    }),
  );
