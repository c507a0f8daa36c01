/**
 * Test seeding for storage v2: synthetic visits → what the aggregate function would have written (rollup rows
 * with exact visitors and engagement counters, site-total sketches at hour and minute grain, and the facts:
 * `visits` and `events`), inserted straight into the schema, plus the exact figures every endpoint should
 * answer, computed from the same visits. Simplification: every event of a visit happens at the instant of its
 * first event (so rollup buckets and facts agree whatever the grain); the visit's duration is a number apart.
 */
import { createHash } from 'node:crypto';
import { ROLLUP_COUNTERS, type Counters } from '../../../events/vocabulary';
import { createHll } from '../../aggregate/hll';
import type { Database } from '../../lib/db';
import { DAY_MS, bucketOf, fromLocalMs, type Grain } from '../../lib/time';
import { sha256Hex } from '../access';
import { prng } from '../../lib/prng';

/** One engagement event (a page hidden or left): engaged time and the scroll depth reached (percent, or unknown). */
export interface Engagement {
  page: string;
  ms: number;
  scrollDepth: number | null;
}

export interface Visit {
  visitorId: string;
  /** Site-local wall-clock ms of the first event. */
  at: number;
  pages: string[];
  durationMs: number;
  events: string[];
  engagements: Engagement[];
  source: string;
  country: string;
}

export interface SeedSite {
  id: number;
  hostname: string;
  timezone: string;
  visits: Visit[];
  /** Bot events per site-local instant. */
  bots: { at: number; count: number }[];
}

const PAGES = ['/', '/pricing', '/blog/a', '/blog/b', '/docs', '/about'];
const SOURCES = ['', 'Google', 'Twitter', 'Newsletter'];
const COUNTRIES = ['IN', 'DE', 'US', ''];
const EVENTS = ['signup', 'download'];

/** Visits over whole local days [firstDay, firstDay + days·DAY), `perDay` people a day, 1–3 visits each. */
export function makeVisits(hostname: string, firstDay: number, days: number, perDay: number, seed: number): Visit[] {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * rnd() * list.length)]!; // skewed to the front
  const visits: Visit[] = [];
  for (let d = 0; d < days; d++) {
    const day = firstDay + d * DAY_MS;
    for (let p = 0; p < perDay; p++) {
      // The daily salt makes one person a new visitor every day (ARCHITECTURE.md "visitor").
      const visitorId = createHash('sha256').update(`${hostname}\n${day}\n${p}`).digest('hex').slice(0, 16);
      const n = 1 + Math.floor(rnd() * 3);
      for (let v = 0; v < n; v++) {
        const pv = 1 + Math.floor(rnd() * rnd() * 5);
        const pages = Array.from({ length: pv }, () => pick(PAGES));
        visits.push({
          visitorId,
          at: day + Math.floor(rnd() * DAY_MS),
          pages,
          durationMs: pv === 1 ? 0 : Math.floor(rnd() * 600_000),
          events: rnd() < 0.3 ? [pick(EVENTS)] : [],
          // Most pageviews end with an engagement event; some without a scroll depth (not sent by the tracker).
          engagements: pages.flatMap((page) =>
            rnd() < 0.6 ? [{ page, ms: Math.floor(rnd() * 90_000), scrollDepth: rnd() < 0.85 ? Math.floor(rnd() * 101) : null }] : [],
          ),
          source: pick(SOURCES),
          country: pick(COUNTRIES),
        });
      }
    }
  }
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

/** Grains per dimension in storage v2: totals at minute, hour and day; pages at hour and day; the rest by day. */
const GRAINS: Record<'' | 'page' | 'other', readonly Grain[]> = { '': ['m', 'h', 'd'], page: ['h', 'd'], other: ['d'] };

/** What the aggregate function would have written for these visits (session dimensions: source, country, entry/exit page). */
function cellsOf(site: SeedSite): Map<string, Cell> {
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
  const visitCell = (c: Cell, v: Visit) => {
    c.pageviews += v.pages.length;
    c.visits += 1;
    c.bounces += v.pages.length === 1 ? 1 : 0;
    c.duration_ms += v.durationMs;
    c.events += v.events.length;
    c.visitors.add(v.visitorId);
  };
  for (const v of site.visits) {
    for (const g of GRAINS['']) visitCell(cell(g, '', v.at, ''), v);
    for (const g of GRAINS.page) {
      for (const page of v.pages) {
        const c = cell(g, 'page', v.at, page);
        c.pageviews += 1;
        c.visitors.add(v.visitorId);
      }
      for (const e of v.engagements) {
        const c = cell(g, 'page', v.at, e.page);
        c.engaged_ms += e.ms;
        c.engaged.set(v.visitorId, Math.max(c.engaged.get(v.visitorId) ?? 0, e.scrollDepth ?? 0));
      }
    }
    for (const g of GRAINS.other) {
      for (const name of v.events) {
        const c = cell(g, 'event', v.at, name);
        c.events += 1;
        c.visitors.add(v.visitorId);
      }
      const session: [string, string][] = [
        ['source', v.source],
        ['country', v.country],
        ['entry_page', v.pages[0]!],
        ['exit_page', v.pages.at(-1)!],
      ];
      for (const [dimension, value] of session) visitCell(cell(g, dimension, v.at, value), v);
    }
  }
  for (const b of site.bots) for (const g of GRAINS['']) cell(g, '', b.at, '').bot_events += b.count;
  return cells;
}

const countersOf = (c: Cell): Counters => ({
  ...c,
  visitors: c.visitors.size,
  engaged_visitors: c.engaged.size,
  scroll_depth_sum: [...c.engaged.values()].reduce((a, b) => a + b, 0),
});

/** The key columns of rollups and visitor_sketches. */
export const KEY_COLUMNS = ['site_id', 'grain', 'dimension', 'bucket', 'value_key', 'value'] as const;
/** Columns of rollups in the order the seeders write them: the key, then ROLLUP_COUNTERS. */
export const ROLLUP_COLUMNS = [...KEY_COLUMNS, ...ROLLUP_COUNTERS];
export const SKETCH_COLUMNS = [...KEY_COLUMNS, 'sketch'];

/** value_key as aggregate writes it: first 16 hex of sha1(value) (ARCHITECTURE.md "SQL schema"). */
export function valueKeyOf(value: string): string {
  return createHash('sha1').update(value, 'utf8').digest('hex').slice(0, 16);
}

const key32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** Multi-row INSERTs with bound values, `chunk` rows per statement. */
export async function insertMany(
  db: Database,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
  chunk = 500,
): Promise<void> {
  const one = `(${columns.map(() => '?').join(',')})`;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    await db.sequelize.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${part.map(() => one).join(',')}`, {
      replacements: part.flat(),
    });
  }
}

/** The facts of the visits: one `visits` row each, one `events` row per pageview, custom event, engagement and bot event. */
async function insertFacts(db: Database, site: SeedSite): Promise<void> {
  const visitRows: unknown[][] = [];
  const eventRows: unknown[][] = [];
  site.visits.forEach((v, i) => {
    const ts = fromLocalMs(v.at, site.timezone);
    const day = bucketOf(v.at, 'd');
    const keys = v.pages.map((_, j) => key32(`${site.hostname}/${i}/pv/${j}`));
    const visitKey = key32(keys[0]!);
    const [first, last] = [keys[0]!, keys.at(-1)!];
    visitRows.push([
      ...[site.id, visitKey, v.visitorId, '', day, ts, first, ts + v.durationMs, last, v.pages.length, v.events.length],
      ...[v.pages[0]!, ts, first, v.pages.at(-1)!, ts, last, v.source, v.country],
    ]);
    const event = (key: string, kind: string, name: string, page: string, ms: number, depth: number | null) =>
      eventRows.push([site.id, day, key, ts, visitKey, v.visitorId, kind, 0, name, page, ms, depth]);
    v.pages.forEach((page, j) => event(keys[j]!, 'pageview', '', page, 0, null));
    v.events.forEach((name, j) => event(key32(`${site.hostname}/${i}/ev/${j}`), 'event', name, v.pages[0]!, 0, null));
    v.engagements.forEach((e, j) => event(key32(`${site.hostname}/${i}/en/${j}`), 'engagement', '', e.page, e.ms, e.scrollDepth));
  });
  site.bots.forEach((b, i) => {
    for (let n = 0; n < b.count; n++) {
      const key = key32(`${site.hostname}/bot/${i}/${n}`);
      eventRows.push([
        site.id,
        bucketOf(b.at, 'd'),
        key,
        fromLocalMs(b.at, site.timezone),
        '',
        `b${key.slice(0, 15)}`,
        'pageview',
        1,
        '',
        '/',
        0,
        null,
      ]);
    }
  });
  const visitColumns = ['site_id', 'visit_key', 'visitor_id', 'prev_visitor_id', 'day', 'started_at', 'first_event_key', 'ended_at'];
  visitColumns.push('last_event_key', 'pageviews', 'events', 'entry_page', 'entry_at', 'entry_event_key', 'exit_page', 'exit_at');
  visitColumns.push('exit_event_key', 'source', 'country');
  await insertMany(db, 'visits', visitColumns, visitRows);
  const eventColumns = ['site_id', 'day', 'event_key', 'ts', 'visit_key', 'visitor_id', 'kind', 'bot', 'name', 'page', 'engaged_ms'];
  await insertMany(db, 'events', [...eventColumns, 'scroll_depth'], eventRows);
}

/** Registers a site and writes its rollups, sketches and facts. */
export async function seedSite(
  db: Database,
  spec: { hostname: string; timezone: string; isPublic: boolean; visits: Visit[]; bots?: SeedSite['bots'] },
): Promise<SeedSite> {
  await db.sequelize.query('INSERT INTO sites (hostname, timezone, is_public, created_at) VALUES (?, ?, ?, 0)', {
    replacements: [spec.hostname, spec.timezone, spec.isPublic],
  });
  const [rows] = await db.sequelize.query('SELECT id FROM sites WHERE hostname = ?', { replacements: [spec.hostname] });
  const id = Number((rows as { id: unknown }[])[0]!.id);
  const site: SeedSite = { id, hostname: spec.hostname, timezone: spec.timezone, visits: spec.visits, bots: spec.bots ?? [] };
  const cells = [...cellsOf(site).values()];
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
  const sketches = cells.filter((c) => c.visitors.size > 0 && c.dimension === '' && c.grain !== 'd');
  await insertMany(
    db,
    'visitor_sketches',
    SKETCH_COLUMNS,
    sketches.map((c) => {
      const h = createHll();
      for (const v of c.visitors) h.add(v);
      return [...key(c), h.serialise()];
    }),
  );
  await insertFacts(db, site);
  return site;
}

export async function seedToken(db: Database, siteId: number, token: string, revoked = false): Promise<void> {
  await db.sequelize.query('INSERT INTO site_tokens (site_id, token_hash, label, created_at, revoked_at) VALUES (?, ?, ?, 0, ?)', {
    replacements: [siteId, sha256Hex(token), 'test', revoked ? 1 : null],
  });
}

/** The exact figures for visits whose first event lies in [from, to). */
export function expectedTotals(visits: readonly Visit[], bots: SeedSite['bots'], from: number, to: number) {
  const inRange = visits.filter((v) => v.at >= from && v.at < to);
  const sum = (f: (v: Visit) => number) => inRange.reduce((a, v) => a + f(v), 0);
  return {
    visitors: new Set(inRange.map((v) => v.visitorId)).size,
    pageviews: sum((v) => v.pages.length),
    visits: inRange.length,
    bounces: sum((v) => (v.pages.length === 1 ? 1 : 0)),
    durationMs: sum((v) => v.durationMs),
    events: sum((v) => v.events.length),
    botEvents: bots.filter((b) => b.at >= from && b.at < to).reduce((a, b) => a + b.count, 0),
  };
}

export interface ExpectedValue {
  pageviews: number;
  visits: number;
  events: number;
  visitors: Set<string>;
  /** Pages: engaged time, and each engaged visitor's greatest scroll depth. */
  engagedMs: number;
  engaged: Map<string, number>;
}

/**
 * Per value of a dimension: pageviews/visits/events, exact visitors and page engagement in [from, to). Visitors
 * of a range are distinct visitorIds of the range: the sum of its days' (visitorIds are salted per day).
 */
export function expectedBreakdown(
  visits: readonly Visit[],
  dimension: 'page' | 'event' | 'source' | 'country' | 'entry_page' | 'exit_page',
  from: number,
  to: number,
): Map<string, ExpectedValue> {
  const out = new Map<string, ExpectedValue>();
  const at = (value: string) => {
    let e = out.get(value);
    if (e === undefined)
      out.set(value, (e = { pageviews: 0, visits: 0, events: 0, visitors: new Set(), engagedMs: 0, engaged: new Map() }));
    return e;
  };
  for (const v of visits) {
    if (v.at < from || v.at >= to) continue;
    if (dimension === 'page') {
      for (const p of v.pages) {
        at(p).pageviews += 1;
        at(p).visitors.add(v.visitorId);
      }
      for (const g of v.engagements) {
        const e = at(g.page);
        e.engagedMs += g.ms;
        e.engaged.set(v.visitorId, Math.max(e.engaged.get(v.visitorId) ?? 0, g.scrollDepth ?? 0));
      }
    } else if (dimension === 'event') {
      for (const n of v.events) {
        at(n).events += 1;
        at(n).visitors.add(v.visitorId);
      }
    } else {
      const value = dimension === 'entry_page' ? v.pages[0]! : dimension === 'exit_page' ? v.pages.at(-1)! : v[dimension];
      const e = at(value);
      e.pageviews += v.pages.length;
      e.visits += 1;
      e.visitors.add(v.visitorId);
    }
  }
  return out;
}
