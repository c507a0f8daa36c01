/**
 * Test seeding: synthetic visits → rollup and sketch rows inserted straight into the schema, plus the
 * exact figures every endpoint should answer, computed from the same visits. Simplification: all
 * pageviews and events of a visit fall in the bucket of its first event (true for the API either way,
 * since the API only reads buckets).
 */
import { createHash } from 'node:crypto';
import { createHll } from '../../aggregate/hll';
import { valueKeyOf } from '../../aggregate/rollup';
import type { Database } from '../../lib/db';
import { DAY_MS, bucketOf, type Grain } from '../../lib/time';
import { sha256Hex } from '../access';

export interface Visit {
  visitorId: string;
  /** Site-local wall-clock ms of the first event. */
  at: number;
  pages: string[];
  durationMs: number;
  events: string[];
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
        visits.push({
          visitorId,
          at: day + Math.floor(rnd() * DAY_MS),
          pages: Array.from({ length: pv }, () => pick(PAGES)),
          durationMs: pv === 1 ? 0 : Math.floor(rnd() * 600_000),
          events: rnd() < 0.3 ? [pick(EVENTS)] : [],
          source: pick(SOURCES),
          country: pick(COUNTRIES),
        });
      }
    }
  }
  return visits;
}

interface Cell {
  grain: Grain;
  dimension: string;
  bucket: number;
  value: string;
  pageviews: number;
  visits: number;
  bounces: number;
  durationMs: number;
  events: number;
  botEvents: number;
  visitors: Set<string>;
}

/** What the aggregate function would have written for these visits (session dimensions: source, country, entry/exit page). */
function cellsOf(site: SeedSite): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  const cell = (grain: Grain, dimension: string, at: number, value: string): Cell => {
    const bucket = bucketOf(at, grain);
    const k = `${grain}|${dimension}|${bucket}|${value}`;
    let c = cells.get(k);
    if (c === undefined) {
      c = {
        grain,
        dimension,
        bucket,
        value,
        pageviews: 0,
        visits: 0,
        bounces: 0,
        durationMs: 0,
        events: 0,
        botEvents: 0,
        visitors: new Set(),
      };
      cells.set(k, c);
    }
    return c;
  };
  const visitCell = (c: Cell, v: Visit) => {
    c.pageviews += v.pages.length;
    c.visits += 1;
    c.bounces += v.pages.length === 1 ? 1 : 0;
    c.durationMs += v.durationMs;
    c.events += v.events.length;
    c.visitors.add(v.visitorId);
  };
  for (const v of site.visits) {
    for (const g of ['m', 'h', 'd'] as const) visitCell(cell(g, '', v.at, ''), v);
    for (const g of ['h', 'd'] as const) {
      for (const page of v.pages) {
        const c = cell(g, 'page', v.at, page);
        c.pageviews += 1;
        c.visitors.add(v.visitorId);
      }
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
  for (const b of site.bots) for (const g of ['m', 'h', 'd'] as const) cell(g, '', b.at, '').botEvents += b.count;
  return cells;
}

/** Columns of rollups and visitor_sketches in the order the seeders write them. */
export const ROLLUP_COLUMNS = [
  'site_id',
  'grain',
  'dimension',
  'bucket',
  'value_key',
  'value',
  'pageviews',
  'visits',
  'bounces',
  'duration_ms',
  'events',
  'bot_events',
];
export const SKETCH_COLUMNS = ['site_id', 'grain', 'dimension', 'bucket', 'value_key', 'value', 'sketch'];

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

/** Registers a site and writes its rollups and sketches. */
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
    cells.map((c) => [...key(c), c.pageviews, c.visits, c.bounces, c.durationMs, c.events, c.botEvents]),
  );
  const sketches = cells.filter((c) => c.visitors.size > 0 && (c.grain !== 'm' || c.dimension === ''));
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

/** Per value of a dimension: pageviews/visits/events and exact visitors in [from, to). */
export function expectedBreakdown(visits: readonly Visit[], dimension: 'page' | 'event' | 'source' | 'country', from: number, to: number) {
  const out = new Map<string, { pageviews: number; visits: number; events: number; visitors: Set<string> }>();
  const at = (value: string) => {
    let e = out.get(value);
    if (e === undefined) out.set(value, (e = { pageviews: 0, visits: 0, events: 0, visitors: new Set() }));
    return e;
  };
  for (const v of visits) {
    if (v.at < from || v.at >= to) continue;
    if (dimension === 'page') for (const p of v.pages) Object.assign(at(p), { pageviews: at(p).pageviews + 1 }).visitors.add(v.visitorId);
    else if (dimension === 'event') for (const n of v.events) Object.assign(at(n), { events: at(n).events + 1 }).visitors.add(v.visitorId);
    else {
      const e = at(v[dimension]);
      e.pageviews += v.pages.length;
      e.visits += 1;
      e.visitors.add(v.visitorId);
    }
  }
  return out;
}
