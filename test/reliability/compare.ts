/**
 * What the pipeline stored, in the ground truth's shape, and the differences between the two.
 * Small on purpose (test/pipeline/compare.ts, the full comparison of every dimension, is written in
 * parallel): site totals per site-local day from the `d` grain, pages and events from their
 * dimensions, visitors per day from the day sketches.
 */
import { QueryTypes } from 'sequelize';
import { deserialiseHll } from '../../functions/aggregate/hll';
import type { GroundTruthJson } from '../../functions/generate/ground-truth';
import type { Database } from '../../functions/lib/db';

type Figures = Record<'pageviews' | 'events' | 'botEvents' | 'visits' | 'bounces' | 'durationMs' | 'visitors', number>;

export interface StoredCounts {
  /** site → figures summed over all days. */
  totals: Record<string, Figures>;
  /** `site page` → pageviews; `site event name` → events. */
  pages: Record<string, number>;
  events: Record<string, number>;
}

const zero = (): Figures => ({ pageviews: 0, events: 0, botEvents: 0, visits: 0, bounces: 0, durationMs: 0, visitors: 0 });

export async function readStoredCounts(db: Database): Promise<StoredCounts> {
  const q = <T extends object>(sql: string) => db.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
  const sites = await q<{ id: number; hostname: string }>('SELECT id, hostname FROM sites');
  const host = new Map(sites.map((s) => [Number(s.id), s.hostname]));
  const totals: Record<string, Figures> = {};
  for (const s of sites) totals[s.hostname] = zero();
  const rows = await q<{
    site_id: number;
    pageviews: number;
    events: number;
    bot_events: number;
    visits: number;
    bounces: number;
    duration_ms: number;
  }>(
    `SELECT site_id, SUM(pageviews) AS pageviews, SUM(events) AS events, SUM(bot_events) AS bot_events, SUM(visits) AS visits,
            SUM(bounces) AS bounces, SUM(duration_ms) AS duration_ms
       FROM rollups WHERE grain = 'd' AND dimension = '' GROUP BY site_id`,
  );
  for (const r of rows) {
    const t = totals[host.get(Number(r.site_id)) ?? '?'];
    if (t === undefined) continue;
    t.pageviews = Number(r.pageviews);
    t.events = Number(r.events);
    t.botEvents = Number(r.bot_events);
    t.visits = Number(r.visits);
    t.bounces = Number(r.bounces);
    t.durationMs = Number(r.duration_ms);
  }
  const sketches = await q<{ site_id: number; sketch: Buffer }>(
    `SELECT site_id, sketch FROM visitor_sketches WHERE grain = 'd' AND dimension = ''`,
  );
  for (const s of sketches) {
    const t = totals[host.get(Number(s.site_id)) ?? '?'];
    if (t !== undefined) t.visitors += Math.round(deserialiseHll(s.sketch).count());
  }
  const pages: Record<string, number> = {};
  const events: Record<string, number> = {};
  const dims = await q<{ site_id: number; dimension: string; value: string; pageviews: number; events: number }>(
    `SELECT site_id, dimension, value, SUM(pageviews) AS pageviews, SUM(events) AS events
       FROM rollups WHERE grain = 'd' AND dimension IN ('page', 'event') GROUP BY site_id, dimension, value`,
  );
  for (const d of dims) {
    const key = `${host.get(Number(d.site_id)) ?? '?'} ${d.value}`;
    if (d.dimension === 'page') pages[key] = Number(d.pageviews);
    else events[key] = Number(d.events);
  }
  return { totals, pages, events };
}

/** The truth in the same shape. */
export function expectedCounts(truth: GroundTruthJson): StoredCounts {
  const totals: Record<string, Figures> = {};
  const pages: Record<string, number> = {};
  const events: Record<string, number> = {};
  for (const [site, t] of Object.entries(truth.sites)) {
    totals[site] = { ...t.totals };
    for (const [page, v] of Object.entries(t.dimensions.page)) pages[`${site} ${page}`] = v.pageviews;
    for (const [name, v] of Object.entries(t.dimensions.event)) events[`${site} ${name}`] = v.events;
  }
  return { totals, pages, events };
}

/** Every difference as `path: stored ≠ expected`; empty when equal. */
export function differences(stored: StoredCounts, expected: StoredCounts): string[] {
  const out: string[] = [];
  const cmp = (path: string, a: Record<string, number>, b: Record<string, number>) => {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = a[k] ?? 0;
      const y = b[k] ?? 0;
      if (x !== y) out.push(`${path}${k}: stored ${x} ≠ expected ${y}`);
    }
  };
  for (const site of new Set([...Object.keys(stored.totals), ...Object.keys(expected.totals)])) {
    cmp(`${site}.`, stored.totals[site] ?? {}, expected.totals[site] ?? {});
  }
  cmp('page ', stored.pages, expected.pages);
  cmp('event ', stored.events, expected.events);
  return out;
}
