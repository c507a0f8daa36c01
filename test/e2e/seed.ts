/**
 * Seeds storage v2 (ARCHITECTURE.md "Storage v2") with a few weeks of deterministic traffic, as the
 * aggregate function writes it: the facts (`visits`, `events`, `event_props`) that filtered questions
 * read, and from the same visits the rollups (exact visitors per bucket, site-local wall-clock buckets,
 * value_key = sha1 prefix) and the site-total sketches at hour and minute grain that unfiltered ones
 * read. The visits are returned too, so a test can count a figure itself (a goal's conversion rate).
 *
 * Simplification (as in functions/query/testing/seed.ts): a visit's events happen within its first
 * minute, a second apart, so facts and rollup buckets agree at every grain; its duration is a number apart.
 */
import { createHash } from 'node:crypto';
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { createHll } from '../../functions/aggregate/hll';
import type { Database } from '../../functions/lib/db';
import { bucketOf, DAY_MS, fromLocalMs, MINUTE_MS, toLocalMs, type Grain } from '../../functions/lib/time';
import { insertMany, ROLLUP_COLUMNS, SKETCH_COLUMNS, valueKeyOf } from '../../functions/query/testing/seed';

/** A page path full of markup: the dashboard must show it as text and run none of it. */
export const HOSTILE_PAGE = '/search?q=<script>window.__wtmXss=1</script><img src=x onerror="window.__wtmXss=2"><b>bold</b>';
/** A custom property value full of markup (the `plan` of some signups). */
export const HOSTILE_PROP = '<img src=x onerror="window.__wtmXss=3"><i>team</i>';

export interface SeedSite {
  hostname: string;
  timezone: string;
  isPublic: boolean;
  token?: string;
  /** Scales all traffic (1 = the main demo site, 0 = none at all). */
  scale: number;
}

/** The visit dimensions the seed varies (the others stay ''). */
export interface VisitDims {
  source: string;
  referrer: string;
  channel: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  country: string;
  browser: string;
  os: string;
  device: string;
}

export interface SeededVisit extends VisitDims {
  visitorId: string;
  /** Site-local wall-clock ms of the first event. */
  at: number;
  pages: string[];
  durationMs: number;
  /** Custom events with their properties. */
  events: { name: string; props: Record<string, string> }[];
  /** Engaged ms and scroll depth per pageview (same order as `pages`). */
  engagement: { ms: number; depth: number }[];
}

const PAGES: [string, number][] = [
  ['/', 40],
  ['/pricing', 26],
  ['/blog/hello-world', 19],
  ['/docs', 15],
  ['/about', 11],
  [HOSTILE_PAGE, 9],
  ...Array.from({ length: 12 }, (_, i): [string, number] => [`/docs/guide-${i + 1}`, 8 - Math.floor(i / 2)]),
];
/** source, referrer and channel go together, as enrich derives them. */
const ACQUISITION: [Pick<VisitDims, 'source' | 'referrer' | 'channel'>, number][] = [
  [{ source: 'Google', referrer: 'https://www.google.com/', channel: 'Organic Search' }, 40],
  [{ source: '', referrer: '', channel: 'Direct' }, 30],
  [{ source: 'Twitter', referrer: 'https://t.co/', channel: 'Social' }, 15],
  [{ source: 'news.ycombinator.com', referrer: 'https://news.ycombinator.com/', channel: 'Social' }, 15],
];
const COUNTRIES: [string, number][] = [
  ['DE', 35],
  ['US', 30],
  ['FR', 15],
  ['GB', 12],
  ['JP', 8],
];
const TECH: [Pick<VisitDims, 'browser' | 'os' | 'device'>, number][] = [
  [{ browser: 'Chrome', os: 'Windows', device: 'desktop' }, 40],
  [{ browser: 'Safari', os: 'macOS', device: 'desktop' }, 20],
  [{ browser: 'Firefox', os: 'Windows', device: 'desktop' }, 10],
  [{ browser: 'Chrome', os: 'Android', device: 'mobile' }, 20],
  [{ browser: 'Safari', os: 'iOS', device: 'mobile' }, 7],
  [{ browser: 'Safari', os: 'iOS', device: 'tablet' }, 3],
];
const PLANS: [string, number][] = [
  ['free', 50],
  ['pro', 35],
  [HOSTILE_PROP, 15],
];

/** The goals the main site defines: a custom event and a page pattern. */
export const GOALS = [
  { kind: 'event', event: 'signup', name: 'Signup' },
  { kind: 'page', page: '/pricing*', name: 'Visit /pricing*' },
] as const;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(rnd: () => number, list: readonly [T, number][]): T {
  const total = list.reduce((a, [, w]) => a + w, 0);
  let x = rnd() * total;
  for (const [v, w] of list) {
    x -= w;
    if (x < 0) return v;
  }
  return list[list.length - 1]![0];
}

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/**
 * Visits over the 70 site-local days up to `nowLocal`, about 60·scale people a day (more on some days),
 * 1–2 visits each, none in the future; plus a few in the last minutes so "current visitors" is not zero.
 */
export function makeVisits(site: SeedSite, nowLocal: number, seed: number): SeededVisit[] {
  const rnd = prng(seed);
  const visits: SeededVisit[] = [];
  const today = bucketOf(nowLocal, 'd');
  const visit = (visitorId: string, at: number): SeededVisit => {
    const n = 1 + Math.floor(rnd() * rnd() * 4);
    const pages = Array.from({ length: n }, () => weighted(rnd, PAGES));
    const utm = rnd() < 0.2;
    const events: SeededVisit['events'] = [];
    if (rnd() < 0.12) events.push({ name: 'signup', props: { plan: weighted(rnd, PLANS) } });
    if (rnd() < 0.07) events.push({ name: 'download', props: { file: rnd() < 0.5 ? 'guide.pdf' : 'app.zip' } });
    return {
      visitorId,
      at,
      pages,
      durationMs: n === 1 ? 0 : 20_000 + Math.floor(rnd() * 400_000),
      events,
      engagement: pages.map(() => ({ ms: 2_000 + Math.floor(rnd() * 80_000), depth: 10 + Math.floor(rnd() * 91) })),
      ...weighted(rnd, ACQUISITION),
      utm_source: utm ? 'newsletter' : '',
      utm_medium: utm ? 'email' : '',
      utm_campaign: utm ? 'launch-week' : '',
      country: weighted(rnd, COUNTRIES),
      ...weighted(rnd, TECH),
    };
  };
  for (let d = 0; d < 70; d++) {
    const day = today - d * DAY_MS;
    const people = Math.max(1, Math.round(60 * (1 + 0.35 * Math.sin(d / 1.7)) * site.scale));
    for (let p = 0; p < people; p++) {
      // The daily salt makes one person a new visitor every day (ARCHITECTURE.md "visitor").
      const visitorId = hex(`${site.hostname}\n${day}\n${p}`, 16);
      const n = rnd() < 0.2 ? 2 : 1;
      for (let v = 0; v < n; v++) {
        const at = bucketOf(day + Math.floor(rnd() * DAY_MS), 'm');
        // Today's traffic so far only; a whole day still happened before the 7-day period.
        if (at <= nowLocal - 2 * MINUTE_MS) visits.push(visit(visitorId, at));
      }
    }
  }
  const recent = Math.max(1, Math.round(4 * site.scale));
  for (let i = 0; i < recent; i++) visits.push(visit(hex(`${site.hostname}\nnow\n${i}`, 16), bucketOf(nowLocal, 'm') - i * MINUTE_MS));
  return visits;
}

interface Cell extends Omit<Counters, 'visitors' | 'engaged_visitors' | 'scroll_depth_sum'> {
  grain: Grain;
  dimension: string;
  bucket: number;
  value: string;
  visitors: Set<string>;
  /** Engaged visitors → their greatest scroll depth (pages). */
  engaged: Map<string, number>;
}

const VISIT_DIMENSIONS = [
  'entry_page',
  'exit_page',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'browser',
  'os',
  'device',
] as const;

/** Rollup cells of the visits: totals at m/h/d, pages at h/d, the visit dimensions and events by day. */
function cellsOf(visits: readonly SeededVisit[]): Cell[] {
  const cells = new Map<string, Cell>();
  const cell = (grain: Grain, dimension: string, at: number, value: string): Cell => {
    const bucket = bucketOf(at, grain);
    const k = `${grain}|${dimension}|${bucket}|${value}`;
    let c = cells.get(k);
    if (c === undefined) {
      const zero = { pageviews: 0, visits: 0, bounces: 0, duration_ms: 0, events: 0, bot_events: 0, engaged_ms: 0 };
      c = { grain, dimension, bucket, value, ...zero, visitors: new Set(), engaged: new Map() };
      cells.set(k, c);
    }
    return c;
  };
  const addVisit = (c: Cell, v: SeededVisit) => {
    c.pageviews += v.pages.length;
    c.visits += 1;
    c.bounces += v.pages.length === 1 ? 1 : 0;
    c.duration_ms += v.durationMs;
    c.visitors.add(v.visitorId);
  };
  for (const v of visits) {
    for (const g of ['m', 'h', 'd'] as const) {
      const c = cell(g, '', v.at, '');
      addVisit(c, v);
      c.events += v.events.length;
    }
    for (const g of ['h', 'd'] as const) {
      v.pages.forEach((page, j) => {
        const c = cell(g, 'page', v.at, page);
        c.pageviews += 1;
        c.visitors.add(v.visitorId);
        const e = v.engagement[j]!;
        c.engaged_ms += e.ms;
        c.engaged.set(v.visitorId, Math.max(c.engaged.get(v.visitorId) ?? 0, e.depth));
      });
    }
    for (const e of v.events) {
      const c = cell('d', 'event', v.at, e.name);
      c.events += 1;
      c.visitors.add(v.visitorId);
    }
    const values: Record<(typeof VISIT_DIMENSIONS)[number], string> = { ...v, entry_page: v.pages[0]!, exit_page: v.pages.at(-1)! };
    for (const d of VISIT_DIMENSIONS) addVisit(cell('d', d, v.at, values[d]), v);
  }
  return [...cells.values()];
}

const countersOf = (c: Cell): Counters => ({
  ...c,
  visitors: c.visitors.size,
  engaged_visitors: c.engaged.size,
  scroll_depth_sum: [...c.engaged.values()].reduce((a, b) => a + b, 0),
});

async function insertFacts(db: Database, siteId: number, site: SeedSite, visits: readonly SeededVisit[]): Promise<void> {
  const visitRows: unknown[][] = [];
  const eventRows: unknown[][] = [];
  const propRows: unknown[][] = [];
  visits.forEach((v, i) => {
    const start = fromLocalMs(v.at, site.timezone);
    const day = bucketOf(v.at, 'd');
    const pvKeys = v.pages.map((_, j) => hex(`${site.hostname}/${i}/pv/${j}`, 32));
    const visitKey = hex(pvKeys[0]!, 32);
    const lastAt = start + (v.pages.length - 1) * 1000;
    visitRows.push([
      ...[siteId, visitKey, v.visitorId, '', day, start, pvKeys[0], start + v.durationMs, pvKeys.at(-1), v.pages.length, v.events.length],
      ...[v.pages[0], start, pvKeys[0], v.pages.at(-1), lastAt, pvKeys.at(-1)],
      ...[v.referrer, v.source, v.channel, v.utm_source, v.utm_medium, v.utm_campaign, v.country, v.browser, v.os, v.device],
    ]);
    const event = (key: string, ts: number, kind: string, name: string, page: string, ms: number, depth: number | null) =>
      eventRows.push([siteId, day, key, ts, visitKey, v.visitorId, kind, name, page, site.hostname, ms, depth]);
    v.pages.forEach((page, j) => {
      event(pvKeys[j]!, start + j * 1000, 'pageview', '', page, 0, null);
      const e = v.engagement[j]!;
      event(hex(`${site.hostname}/${i}/en/${j}`, 32), start + j * 1000 + 500, 'engagement', '', page, e.ms, e.depth);
    });
    v.events.forEach((e, j) => {
      const key = hex(`${site.hostname}/${i}/ev/${j}`, 32);
      event(key, start + 200 + j, 'event', e.name, v.pages[0]!, 0, null);
      for (const [k, value] of Object.entries(e.props)) propRows.push([siteId, day, key, k, value]);
    });
  });
  await insertMany(
    db,
    'visits',
    [
      ...['site_id', 'visit_key', 'visitor_id', 'prev_visitor_id', 'day', 'started_at', 'first_event_key', 'ended_at'],
      ...['last_event_key', 'pageviews', 'events', 'entry_page', 'entry_at', 'entry_event_key', 'exit_page', 'exit_at'],
      ...['exit_event_key', 'referrer', 'source', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'country'],
      ...['browser', 'os', 'device'],
    ],
    visitRows,
  );
  await insertMany(
    db,
    'events',
    ['site_id', 'day', 'event_key', 'ts', 'visit_key', 'visitor_id', 'kind', 'name', 'page', 'hostname', 'engaged_ms', 'scroll_depth'],
    eventRows,
  );
  await insertMany(db, 'event_props', ['site_id', 'day', 'event_key', 'prop_key', 'prop_value'], propRows);
}

/** Registers the sites (ids 1, 2, … in order) and writes each one's facts, rollups and sketches; returns the visits by hostname. */
export async function seedSites(db: Database, sites: readonly SeedSite[], now = Date.now()): Promise<Map<string, SeededVisit[]>> {
  const out = new Map<string, SeededVisit[]>();
  for (const [index, s] of sites.entries()) {
    const id = index + 1;
    await db.sequelize.query('INSERT INTO sites (id, hostname, timezone, is_public, created_at) VALUES (?, ?, ?, ?, ?)', {
      replacements: [id, s.hostname, s.timezone, s.isPublic, now],
    });
    if (s.token !== undefined) {
      await db.sequelize.query('INSERT INTO site_tokens (site_id, token_hash, label, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL)', {
        replacements: [id, createHash('sha256').update(s.token).digest('hex'), 'e2e', now],
      });
    }
    // A site registered a moment ago has no traffic yet.
    const visits = s.scale === 0 ? [] : makeVisits(s, toLocalMs(now, s.timezone), id);
    out.set(s.hostname, visits);
    if (visits.length === 0) continue;
    await insertFacts(db, id, s, visits);
    const cells = cellsOf(visits);
    const key = (c: Cell) => [id, c.grain, c.dimension, c.bucket, c.dimension === '' ? '' : valueKeyOf(c.value), c.value];
    await insertMany(
      db,
      'rollups',
      ROLLUP_COLUMNS,
      cells.map((c) => {
        const n = countersOf(c);
        return [...key(c), ...ROLLUP_COUNTERS.map((k) => n[k])];
      }),
    );
    // Storage v2 keeps sketches only for site totals at hour and minute grain (ranges that cut a day).
    const sketches = cells.filter((c) => c.dimension === '' && c.grain !== 'd');
    await insertMany(
      db,
      'visitor_sketches',
      SKETCH_COLUMNS,
      sketches.map((c) => {
        const h = createHll();
        for (const v of c.visitors) h.add(v);
        return [...key(c), Buffer.from(h.serialise())];
      }),
    );
  }
  return out;
}

/** Defines GOALS for a site (the `goals` table of migration 0004, as `npm run sites -- goal add` writes it). */
export async function seedGoals(db: Database, siteId: number, now = Date.now()): Promise<void> {
  for (const g of GOALS) {
    await db.sequelize.query('INSERT INTO goals (site_id, name, kind, event_name, page_pattern, created_at) VALUES (?, ?, ?, ?, ?, ?)', {
      replacements: [siteId, g.name, g.kind, g.kind === 'event' ? g.event : '', g.kind === 'page' ? g.page : '', now],
    });
  }
}

/**
 * A goal's conversion rate counted from the seed itself: visitors with a matching event in the
 * site-local range [from, to) ÷ all visitors of the range × 100, one decimal (visitors are per day).
 */
export function conversionRateOf(visits: readonly SeededVisit[], from: number, to: number, converts: (v: SeededVisit) => boolean): number {
  const all = new Set<string>();
  const converted = new Set<string>();
  for (const v of visits) {
    if (v.at < from || v.at >= to) continue;
    const person = `${bucketOf(v.at, 'd')}/${v.visitorId}`;
    all.add(person);
    if (converts(v)) converted.add(person);
  }
  return all.size === 0 ? 0 : Math.round((converted.size / all.size) * 1000) / 10;
}
