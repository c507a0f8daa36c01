/**
 * Query latency benchmark on storage v2: the dashboard's 10 requests (exactly those web/src/elements make on a
 * load: sites, realtime, summary, timeseries of the selected metric, and the six breakdown panels' first tabs,
 * limit 10) in parallel over HTTP, against the v2 rollups of a site with 1,000,000 pageviews a day, next to the
 * same questions answered from a naive one-row-per-event table with COUNT(DISTINCT …), in the same run on the
 * same MySQL/MariaDB. Not a test: prints one JSON line per figure.
 *
 *   npx tsx bench/query.ts                 (DATABASE_URL=mysql://root@127.0.0.1:3306/x picks the server)
 *   BENCH_LOADS=30 BENCH_NAIVE_ROWS=300000 npx tsx bench/query.ts
 *   BENCH_QUERY_RESEED=1 …                 drops and seeds the bench database again
 *   BENCH_QUERY_SEED_ONLY=1 …              seeds (or checks the seed) and stops: time later, on a quiet machine
 *   BENCH_QUERY_FACT_PAGEVIEWS=200000 …    also seeds facts of the last two days (once) and times the 24h dashboard on them
 *
 * Seeded straight into the rollups, as aggregate writes them (every dimension, realistic value counts per day,
 * zipf-distributed, exact `visitors`, page engagement counters): day rows of every dimension for SEED_DAYS days
 * (so `12mo` covers a real year), hour rows of site totals for all of them and of pages for the last
 * PAGE_HOUR_DAYS, minute rows of the last 48 h, site-total sketches at hour (last PAGE_HOUR_DAYS) and minute
 * grain. The database (`wtm_bench_query_v2`, BENCH_QUERY_DB) is kept and reused by the next run when its seed
 * matches (seeding takes minutes on a shared 2-core machine); drop it with BENCH_QUERY_RESEED=1 or DROP DATABASE.
 *
 * The naive table holds BENCH_NAIVE_ROWS rows spread over the same days (90 M+ rows do not fit the machine);
 * its figures are absolute and normalised per row to 1 M rows a day (a full scan of the range is linear in rows).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { ROLLUP_COUNTERS, type Counters } from '../events/vocabulary';
import { createHll } from '../functions/aggregate/hll';
import { createDatabase, type Database } from '../functions/lib/db';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketOf, fromLocalMs, toLocalMs } from '../functions/lib/time';
import { createQueryHandler } from '../functions/query/handler';
import { ROLLUP_COLUMNS, SKETCH_COLUMNS, insertMany, valueKeyOf } from '../functions/query/testing/seed';

import type { Figure } from './figure';

export type { Figure };

const SEED_VERSION = 'v2-1';
const SEED_DAYS = 366;
const PAGE_HOUR_DAYS = 90;
const PAGEVIEWS_PER_DAY = 1_000_000;
const VISITORS_PER_DAY = 300_000;
const VISITS_PER_DAY = 400_000;
const EVENTS_PER_DAY = 20_000;
const TZ = 'Europe/Berlin';
const NOW = Date.parse('2026-03-10T12:00:00Z');
const SITE = 'bench.example';

/** Distinct values a day of a 1 M-pageview site has per dimension (the page count is the bounding case). */
const VALUES: Record<string, number> = {
  page: 1000,
  entry_page: 600,
  exit_page: 600,
  source: 80,
  referrer: 300,
  channel: 9,
  utm_source: 40,
  utm_medium: 10,
  utm_campaign: 60,
  country: 150,
  browser: 20,
  os: 12,
  device: 4,
  event: 15,
};
/** The breakdown panels of wtm-dashboard.ts, first tab of each. */
const PANELS = ['page', 'source', 'utm_source', 'country', 'browser', 'event'];
const PERIODS = [
  ['7d', 7],
  ['30d', 30],
  ['90d', 90],
  ['12mo', 344], // 2025-04-01 .. 2026-03-10
] as const;

function zipfShares(n: number): number[] {
  const w = Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Share of a day's traffic per local hour: quiet at night, busy in the afternoon. */
const HOUR_SHARES = (() => {
  const w = Array.from({ length: 24 }, (_, h) => 0.3 + Math.sin((Math.PI * Math.max(0, h - 5)) / 19) ** 2);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
})();

const valueOf = (dim: string, i: number) => (dim.endsWith('page') ? `/section-${i % 40}/article-${i}` : `${dim}-${i}`);

function counters(partial: Partial<Counters>): unknown[] {
  return ROLLUP_COUNTERS.map((c) => Math.round(partial[c] ?? 0));
}

/** Counters of one value with a share of the day's traffic (`f` scales a day row down to an hour). */
function valueCounters(dim: string, share: number, f = 1): Partial<Counters> {
  if (dim === 'page') {
    const pageviews = PAGEVIEWS_PER_DAY * share * f;
    const visitors = Math.min(pageviews * 0.75, VISITORS_PER_DAY * f);
    const engaged = visitors * 0.6;
    return { pageviews, visitors, engaged_visitors: engaged, engaged_ms: engaged * 40_000, scroll_depth_sum: engaged * 55 };
  }
  if (dim === 'event') return { events: EVENTS_PER_DAY * share, visitors: EVENTS_PER_DAY * share * 0.8 };
  const visits = VISITS_PER_DAY * share;
  return {
    visits,
    visitors: visits * 0.75,
    pageviews: visits * 2.5,
    bounces: visits * 0.45,
    duration_ms: visits * 95_000,
    events: visits * 0.05,
  };
}

/** Real sketches with 100, 1000, 3000 (sparse) and 20000 (dense) visitors, serialised once. */
const sketches = new Map<number, Buffer>();
function sketchFor(visitors: number): Buffer {
  const sizes = [100, 1000, 3000, 20000];
  const size = [...sizes].reverse().find((s) => s <= visitors) ?? sizes[0]!;
  const known = sketches.get(size);
  if (known !== undefined) return known;
  const h = createHll();
  for (let i = 0; i < size; i++) h.add(createHash('sha256').update(`v${size}/${i}`).digest('hex').slice(0, 16));
  const bytes = h.serialise();
  sketches.set(size, bytes);
  return bytes;
}

/** The v2 rollups and sketches of SEED_DAYS days ending `today`; returns the rows written. */
async function seedRollups(db: Database, siteId: number, today: number): Promise<number> {
  const shares = Object.fromEntries(Object.entries(VALUES).map(([d, n]) => [d, zipfShares(n)]));
  const dense = sketchFor(VISITORS_PER_DAY / 24);
  const key = (grain: string, dim: string, bucket: number, value: string) => [siteId, grain, dim, bucket, valueKeyOf(value), value];
  const total = (grain: string, bucket: number) => [siteId, grain, '', bucket, '', ''];
  let written = 0;
  for (let d = SEED_DAYS - 1; d >= 0; d--) {
    const day = today - d * DAY_MS;
    const rollups: unknown[][] = [
      [
        ...total('d', day),
        ...counters({
          ...valueCounters('source', 1),
          pageviews: PAGEVIEWS_PER_DAY,
          visitors: VISITORS_PER_DAY,
          events: EVENTS_PER_DAY,
          bot_events: 30_000,
        }),
      ],
    ];
    const sketches: unknown[][] = [];
    HOUR_SHARES.forEach((f, h) => {
      const t = {
        ...valueCounters('source', f),
        pageviews: PAGEVIEWS_PER_DAY * f,
        visitors: VISITORS_PER_DAY * f * 1.1,
        events: EVENTS_PER_DAY * f,
      };
      rollups.push([...total('h', day + h * HOUR_MS), ...counters(t)]);
      if (d < PAGE_HOUR_DAYS) sketches.push([...total('h', day + h * HOUR_MS), dense]);
    });
    for (const [dim, list] of Object.entries(shares)) {
      list.forEach((share, i) => {
        const value = valueOf(dim, i);
        rollups.push([...key('d', dim, day, value), ...counters(valueCounters(dim, share))]);
        if (dim !== 'page' || d >= PAGE_HOUR_DAYS) return;
        HOUR_SHARES.forEach((f, h) => {
          const c = valueCounters('page', share, f);
          if ((c.pageviews ?? 0) >= 0.5) rollups.push([...key('h', 'page', day + h * HOUR_MS, value), ...counters(c)]);
        });
      });
    }
    if (d <= 2) {
      // minute rows and sketches of the last 48 h (and today so far): realtime
      for (let m = 0; m < 24 * 60; m++) {
        const f = HOUR_SHARES[Math.floor(m / 60)]! / 60;
        rollups.push([
          ...total('m', day + m * MINUTE_MS),
          ...counters({ pageviews: PAGEVIEWS_PER_DAY * f, visitors: VISITORS_PER_DAY * f }),
        ]);
        sketches.push([...total('m', day + m * MINUTE_MS), sketchFor(VISITORS_PER_DAY * f)]);
      }
    }
    await insertMany(db, 'rollups', ROLLUP_COLUMNS, rollups, 1000);
    await insertMany(db, 'visitor_sketches', SKETCH_COLUMNS, sketches, 50);
    written += rollups.length + sketches.length;
  }
  return written;
}

/** A seeded LCG and a Zipf-distributed pick of each dimension's values (VALUES, zipfShares). */
function zipfSampler(seed0: number): { rnd: () => number; pick: (dimension: string) => string } {
  const cdf = Object.fromEntries(
    Object.entries(VALUES).map(([d, n]) => {
      let acc = 0;
      return [d, zipfShares(n).map((s) => (acc += s))];
    }),
  );
  let seed = seed0;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const pick = (d: string) => {
    const r = rnd();
    const c = cdf[d]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return valueOf(d, lo);
  };
  return { rnd, pick };
}

/** One row per pageview or custom event with the dimensions the dashboard asks about, spread over the same days. */
async function seedNaive(db: Database, rows: number, today: number): Promise<void> {
  await db.sequelize.query(`CREATE TABLE naive_events (
    id BIGINT AUTO_INCREMENT PRIMARY KEY, site_id INT NOT NULL, ts BIGINT NOT NULL, visitor_id CHAR(16) NOT NULL,
    visit_id CHAR(16) NOT NULL, kind VARCHAR(16) NOT NULL, name VARCHAR(64) NOT NULL, page VARCHAR(256) NOT NULL,
    source VARCHAR(64) NOT NULL, utm_source VARCHAR(64) NOT NULL, country VARCHAR(16) NOT NULL, browser VARCHAR(32) NOT NULL,
    KEY site_ts (site_id, ts))`);
  const { rnd, pick } = zipfSampler(42);
  const visitorsPerDay = Math.max(1, Math.round((rows / SEED_DAYS) * (VISITORS_PER_DAY / PAGEVIEWS_PER_DAY)));
  const batch: unknown[][] = [];
  for (let i = 0; i < rows; i++) {
    const day = Math.floor(rnd() * SEED_DAYS);
    const v = Math.floor(rnd() * visitorsPerDay);
    const isEvent = rnd() < EVENTS_PER_DAY / PAGEVIEWS_PER_DAY;
    batch.push([
      1,
      // local ms stand in for UTC here: the naive side only needs ranges of the same length
      today - day * DAY_MS + Math.floor(rnd() * DAY_MS),
      `${day.toString(16).padStart(4, '0')}${v.toString(16).padStart(12, '0')}`,
      `${day.toString(16).padStart(4, '0')}${(v * 2 + (rnd() < 0.3 ? 1 : 0)).toString(16).padStart(12, '0')}`,
      isEvent ? 'event' : 'pageview',
      isEvent ? pick('event') : '',
      pick('page'),
      pick('source'),
      pick('utm_source'),
      pick('country'),
      pick('browser'),
    ]);
    if (batch.length === 5000 || i === rows - 1) {
      const cols = ['site_id', 'ts', 'visitor_id', 'visit_id', 'kind', 'name', 'page', 'source', 'utm_source', 'country', 'browser'];
      await insertMany(db, 'naive_events', cols, batch, 5000);
      batch.length = 0;
    }
  }
  await db.sequelize.query('ANALYZE TABLE naive_events');
}

/**
 * Facts of the last two site-days (today and yesterday) at `pageviews` a day, as aggregate writes them: one
 * `visits` row per visit (2.5 pageviews each), an `events` row per pageview, custom event and engagement. They
 * serve `24h`, which cuts through both days. Returns the rows written.
 */
async function seedFacts(db: Database, pageviews: number, today: number): Promise<number> {
  const { rnd, pick } = zipfSampler(7);
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
  // visits.country is CHAR(2): country-<i> becomes two letters
  const countryCode = (v: string) => {
    const i = Number(v.slice('country-'.length));
    return String.fromCharCode(65 + (i % 26), 65 + (Math.floor(i / 26) % 26));
  };
  const visitCols = [
    'site_id',
    'visit_key',
    'visitor_id',
    'day',
    'started_at',
    'ended_at',
    'pageviews',
    'events',
    'entry_page',
    'exit_page',
  ];
  visitCols.push('source', 'channel', 'utm_source', 'country', 'browser', 'os', 'device');
  const eventCols = ['site_id', 'day', 'event_key', 'ts', 'visit_key', 'visitor_id', 'kind', 'name', 'page', 'engaged_ms', 'scroll_depth'];
  let written = 0;
  let serial = 0;
  for (const day of [today - DAY_MS, today]) {
    const visitors = Math.round((pageviews * VISITORS_PER_DAY) / PAGEVIEWS_PER_DAY);
    const visits: unknown[][] = [];
    const events: unknown[][] = [];
    const flush = async (force: boolean) => {
      if (visits.length >= 2000 || (force && visits.length > 0)) {
        written += visits.length;
        await insertMany(db, 'visits', visitCols, visits.splice(0), 2000);
      }
      if (events.length >= 4000 || (force && events.length > 0)) {
        written += events.length;
        await insertMany(db, 'events', eventCols, events.splice(0), 2000);
      }
    };
    for (let n = 0; n < pageviews / 2.5; n++) {
      const visitKey = hex(++serial, 32);
      const visitorId = hex(Math.floor(rnd() * visitors) + (day / DAY_MS) * 1e7, 16);
      const started = fromLocalMs(day + Math.floor(rnd() * DAY_MS), TZ);
      const pages = Array.from({ length: 1 + Math.floor(rnd() * rnd() * 4) }, () => pick('page'));
      const custom = rnd() < EVENTS_PER_DAY / (PAGEVIEWS_PER_DAY / 2.5) ? [pick('event')] : [];
      pages.forEach((page, j) => {
        const ts = started + j * 30_000;
        events.push([1, day, hex(++serial, 32), ts, visitKey, visitorId, 'pageview', '', page, 0, null]);
        if (rnd() < 0.6) events.push([1, day, hex(++serial, 32), ts + 20_000, visitKey, visitorId, 'engagement', '', page, 20_000, 55]);
      });
      for (const name of custom) events.push([1, day, hex(++serial, 32), started, visitKey, visitorId, 'event', name, pages[0]!, 0, null]);
      visits.push([
        ...[1, visitKey, visitorId, day, started, started + (pages.length - 1) * 30_000, pages.length, custom.length],
        ...[
          pages[0]!,
          pages.at(-1)!,
          pick('source'),
          pick('channel'),
          pick('utm_source'),
          countryCode(pick('country')),
          pick('browser'),
          pick('os'),
          pick('device'),
        ],
      ]);
      await flush(false);
    }
    await flush(true);
  }
  await db.sequelize.query('ANALYZE TABLE visits, events');
  return written;
}

/** The dashboard's ten questions, naively: exact distinct counts over raw rows of the range. */
async function naiveDashboard(db: Database, from: number, to: number, now: number): Promise<void> {
  const r = { from, to, prev: from - (to - from), rt: now - 30 * MINUTE_MS, rt5: now - 5 * MINUTE_MS, now };
  const q = (sql: string) => db.sequelize.query(sql, { replacements: r });
  await Promise.all([
    q(`SELECT hostname FROM sites`),
    q(`SELECT COUNT(DISTINCT CASE WHEN ts >= :rt5 THEN visitor_id END) AS visitors, FLOOR(ts / 60000) AS minute, COUNT(*) AS pageviews
       FROM naive_events WHERE site_id = 1 AND ts >= :rt AND ts < :now GROUP BY minute`),
    q(`SELECT ts >= :from AS cur, SUM(kind = 'pageview') AS pageviews, COUNT(DISTINCT visitor_id) AS visitors, COUNT(DISTINCT visit_id) AS visits
       FROM naive_events WHERE site_id = 1 AND ts >= :prev AND ts < :to GROUP BY ts >= :from`),
    q(`SELECT FLOOR(ts / ${DAY_MS}) AS day, COUNT(DISTINCT visitor_id) AS visitors
       FROM naive_events WHERE site_id = 1 AND ts >= :from AND ts < :to GROUP BY day ORDER BY day`),
    ...PANELS.map((dim) => {
      const col = dim === 'event' ? 'name' : dim;
      return q(`SELECT ${col} AS value, COUNT(DISTINCT visitor_id) AS visitors, COUNT(*) AS n
         FROM naive_events WHERE site_id = 1 AND ts >= :from AND ts < :to AND kind = '${dim === 'event' ? 'event' : 'pageview'}'
         GROUP BY ${col} ORDER BY visitors DESC, n DESC LIMIT 10`);
    }),
  ]);
}

/** The URLs the dashboard requests on a load (web/src/api.ts builds them this way). */
export function dashboardUrls(period: string): string[] {
  const p = `site=${SITE}&period=${period}`;
  return [
    '/api/v1/sites',
    `/api/v1/stats/realtime?site=${SITE}`,
    `/api/v1/stats/summary?${p}`,
    `/api/v1/stats/timeseries?${p}&metrics=visitors`,
    ...PANELS.map((d) => `/api/v1/stats/breakdown?${p}&dimension=${d}&limit=10&page=1`),
  ];
}

async function fetchAll(base: string, urls: readonly string[]): Promise<void> {
  await Promise.all(
    urls.map(async (u) => {
      const r = await fetch(base + u);
      if (r.status !== 200) throw new Error(`${u}: HTTP ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }),
  );
}

async function timeIt(n: number, f: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  await f(); // warm-up: connections, caches
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  return { p50: Math.round(at(0.5) * 10) / 10, p95: Math.round(at(0.95) * 10) / 10 };
}

const figure = (name: string, value: number, unit: string, baseline: number | null): Figure => ({
  name,
  value,
  unit,
  baseline,
  ratio: baseline === null || value === 0 ? null : Math.round((baseline / value) * 10) / 10,
});

/** The bench database, seeded unless a previous run left one with the same seed (and as many naive rows). */
async function openBenchDatabase(serverUrl: string, name: string, naiveRows: number, reseed: boolean, today: number) {
  const u = new URL(serverUrl);
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  if (reseed) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), pool: { max: 8 } });
  const marker = `${SEED_VERSION} days=${SEED_DAYS} naive=${naiveRows} today=${today}`;
  const [found] = await db.sequelize.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = 'bench_seed'",
    {
      replacements: [name],
    },
  );
  if ((found as unknown[]).length > 0) {
    const [rows] = await db.sequelize.query('SELECT marker, seeded_rows FROM bench_seed');
    const row = (rows as { marker: string; seeded_rows: number }[])[0];
    if (row?.marker === marker) return { db, seededRows: Number(row.seeded_rows), seededNow: false };
    await db.close();
    return openBenchDatabase(serverUrl, name, naiveRows, true, today);
  }
  await db.migrate();
  await db.sequelize.query('INSERT INTO sites (hostname, timezone, is_public, created_at) VALUES (?, ?, 1, 0)', {
    replacements: [SITE, TZ],
  });
  const seededRows = await seedRollups(db, 1, today);
  await seedNaive(db, naiveRows, today);
  await db.sequelize.query('ANALYZE TABLE rollups, visitor_sketches');
  await db.sequelize.query('CREATE TABLE bench_seed (marker VARCHAR(200) NOT NULL, seeded_rows BIGINT NOT NULL)');
  await db.sequelize.query('INSERT INTO bench_seed VALUES (?, ?)', { replacements: [marker, seededRows] });
  return { db, seededRows, seededNow: true };
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const server = env.DATABASE_URL?.startsWith('mysql') ? env.DATABASE_URL : 'mysql://root@127.0.0.1:3306/';
  // One naive load over 12 months of 300 k rows is a few seconds of COUNT(DISTINCT) on the shared 2-core box.
  const naiveRows = Number(env.BENCH_NAIVE_ROWS ?? 300_000);
  const loads = Number(env.BENCH_LOADS ?? 20);
  const today = bucketOf(toLocalMs(NOW, TZ), 'd');
  const seedStarted = performance.now();
  const { db, seededRows, seededNow } = await openBenchDatabase(
    server,
    env.BENCH_QUERY_DB ?? 'wtm_bench_query_v2',
    naiveRows,
    env.BENCH_QUERY_RESEED === '1',
    today,
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  let http: Server | undefined;
  try {
    // BENCH_QUERY_SEED_ONLY=1: seed (or check the seed) now, time later when the machine is quiet.
    if (env.BENCH_QUERY_SEED_ONLY === '1') return [figure('query.seed.rollup_and_sketch_rows', seededRows, 'rows', null)];
    // The bench measures the cost, so a slow answer must finish rather than stop at the production limit.
    const handler = createQueryHandler({ db, now: () => NOW, statementTimeoutMs: Number(env.BENCH_QUERY_TIMEOUT_MS ?? 120_000) });
    http = createServer((req, res) => void handler.listener(req, res));
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const [size] = await db.sequelize.query(
      `SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('rollups', 'visitor_sketches')`,
    );
    const figures: Figure[] = [
      figure('query.seed.rollup_and_sketch_rows', seededRows, 'rows', null),
      figure('query.seed.rollup_and_sketch_mb', Math.round(Number((size as { bytes: unknown }[])[0]?.bytes ?? 0) / 1e6), 'MB', null),
      figure(seededNow ? 'query.seed.seconds' : 'query.seed.reused_seconds', Math.round(seedSeconds), 's', null),
    ];
    const nowLocal = toLocalMs(NOW, TZ);
    // The first long-range loads compact the closed months (kept in the database, so a reused seed skips this).
    const compactStarted = performance.now();
    for (const [period] of PERIODS) await fetchAll(base, dashboardUrls(period));
    await handler.settled();
    figures.push(figure('query.month_compaction_seconds', Math.round((performance.now() - compactStarted) / 100) / 10, 's', null));
    // BENCH_QUERY_FACT_PAGEVIEWS=n: facts of the last two days at n pageviews a day (once), and the 24h dashboard over them.
    const factPageviews = Number(env.BENCH_QUERY_FACT_PAGEVIEWS ?? 0);
    if (factPageviews > 0) {
      const [have] = await db.sequelize.query("SELECT COUNT(*) AS n FROM events WHERE site_id = 1 AND kind = 'pageview'");
      const stored = Number((have as { n: unknown }[])[0]?.n ?? 0);
      if (stored === 0) figures.push(figure('query.seed.fact_rows', await seedFacts(db, factPageviews, today), 'rows', null));
      else if (Math.abs(stored - 2 * factPageviews) > 0.1 * stored)
        throw new Error(`the bench database holds facts of another size (${stored} pageviews): BENCH_QUERY_RESEED=1`);
      const api = await timeIt(Math.max(5, Math.round(loads / 2)), () => fetchAll(base, dashboardUrls('24h')));
      for (const q of ['p50', 'p95'] as const)
        figures.push(figure(`query.dashboard10.24h_facts_${factPageviews}_pageviews_a_day.${q}`, api[q], 'ms', null));
      for (const d of PANELS) {
        const one = await timeIt(5, () => fetchAll(base, [dashboardUrls('24h').find((u) => u.includes(`dimension=${d}&`))!]));
        figures.push(figure(`query.request.24h.breakdown.${d}.p50`, one.p50, 'ms', null));
      }
    }
    for (const [period, days] of PERIODS) {
      const api = await timeIt(loads, () => fetchAll(base, dashboardUrls(period)));
      const from = today + DAY_MS - days * DAY_MS;
      const naive = await timeIt(Math.max(3, Math.round(loads / 8)), () => naiveDashboard(db, from, today + DAY_MS, nowLocal));
      const scale = (PAGEVIEWS_PER_DAY * SEED_DAYS) / naiveRows;
      for (const q of ['p50', 'p95'] as const) {
        figures.push(figure(`query.dashboard10.${period}.${q}`, api[q], 'ms', null));
        figures.push(figure(`query.dashboard10.${period}.${q}.vs_naive_${naiveRows}_rows_absolute`, api[q], 'ms', naive[q]));
        figures.push(
          figure(`query.dashboard10.${period}.${q}.vs_naive_per_row_normalised_to_1M_a_day`, api[q], 'ms', Math.round(naive[q] * scale)),
        );
      }
    }
    // Which request costs what at the longest range: the remaining bottleneck, one request at a time.
    for (const url of dashboardUrls('12mo')) {
      const one = await timeIt(Math.max(5, Math.round(loads / 2)), () => fetchAll(base, [url]));
      const name = url
        .replace(/^\/api\/v1\//, '')
        .replace(/\?.*dimension=(\w+).*/, '.$1')
        .replace(/\?.*/, '')
        .replace('/', '.');
      figures.push(figure(`query.request.12mo.${name}.p50`, one.p50, 'ms', null));
    }
    return figures;
  } finally {
    await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
    await db.close();
  }
}

if (require.main === module) {
  run()
    .then((figures) => {
      for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
    })
    .catch((e: unknown) => {
      process.stderr.write(`bench/query: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
