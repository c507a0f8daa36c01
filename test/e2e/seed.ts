/**
 * Seeds the query function's tables (sites, site_tokens, rollups, visitor_sketches) with a few weeks
 * of deterministic traffic, as the aggregate function would have written them: site-local wall-clock
 * buckets, value_key = sha1 prefix, HyperLogLog sketches from the aggregate's own module.
 */
import { createHash } from 'node:crypto';
import { createHll } from '../../functions/aggregate/hll';
import { valueKeyOf } from '../../functions/aggregate/rollup';
import type { Database } from '../../functions/lib/db';
import { bucketOf, DAY_MS, HOUR_MS, MINUTE_MS, toLocalMs, type Grain } from '../../functions/lib/time';

/** A page path full of markup: the dashboard must show it as text and run none of it. */
export const HOSTILE_PAGE = '/search?q=<script>window.__wtmXss=1</script><img src=x onerror="window.__wtmXss=2"><b>bold</b>';

export interface SeedSite {
  hostname: string;
  timezone: string;
  isPublic: boolean;
  token?: string;
  /** Scales all traffic (1 = the main demo site, 0 = none at all). */
  scale: number;
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
const VISIT_DIMENSIONS: Record<string, [string, number][]> = {
  entry_page: [
    ['/', 0.5],
    ['/pricing', 0.3],
    ['/blog/hello-world', 0.2],
  ],
  exit_page: [
    ['/pricing', 0.45],
    ['/', 0.35],
    ['/docs', 0.2],
  ],
  source: [
    ['Google', 0.4],
    ['', 0.3],
    ['Twitter', 0.15],
    ['news.ycombinator.com', 0.15],
  ],
  channel: [
    ['Organic Search', 0.4],
    ['Direct', 0.3],
    ['Social', 0.3],
  ],
  referrer: [
    ['', 0.6],
    ['https://news.ycombinator.com/', 0.25],
    ['https://t.co/', 0.15],
  ],
  utm_source: [
    ['', 0.8],
    ['newsletter', 0.2],
  ],
  utm_medium: [
    ['', 0.8],
    ['email', 0.2],
  ],
  utm_campaign: [
    ['', 0.8],
    ['launch-week', 0.2],
  ],
  country: [
    ['DE', 0.35],
    ['US', 0.3],
    ['FR', 0.15],
    ['GB', 0.12],
    ['JP', 0.08],
  ],
  browser: [
    ['Chrome', 0.55],
    ['Firefox', 0.25],
    ['Safari', 0.2],
  ],
  os: [
    ['Windows', 0.4],
    ['macOS', 0.3],
    ['Android', 0.2],
    ['iOS', 0.1],
  ],
  device: [
    ['desktop', 0.65],
    ['mobile', 0.3],
    ['tablet', 0.05],
  ],
};
const EVENTS: [string, number][] = [
  ['signup', 0.12],
  ['download', 0.07],
];

interface Row {
  site_id: number;
  grain: Grain;
  dimension: string;
  bucket: number;
  value_key: string;
  value: string;
}

export async function seedSites(db: Database, sites: readonly SeedSite[], now = Date.now()): Promise<void> {
  const qi = db.sequelize.getQueryInterface();
  for (const [index, s] of sites.entries()) {
    const id = index + 1;
    await qi.bulkInsert('sites', [{ id, hostname: s.hostname, timezone: s.timezone, is_public: s.isPublic, created_at: now }]);
    if (s.token !== undefined) {
      const token_hash = createHash('sha256').update(s.token).digest('hex');
      await qi.bulkInsert('site_tokens', [{ site_id: id, token_hash, label: 'e2e', created_at: now, revoked_at: null }]);
    }
    // A site registered a moment ago has no traffic yet.
    if (s.scale === 0) continue;
    const rollups: Record<string, unknown>[] = [];
    const sketches: Record<string, unknown>[] = [];
    const add = (key: Omit<Row, 'value_key'>, counters: Record<string, number>, visitorIds: readonly string[]) => {
      const row: Row = { ...key, value_key: valueKeyOf(key.value) };
      rollups.push({ ...row, pageviews: 0, visits: 0, bounces: 0, duration_ms: 0, events: 0, bot_events: 0, ...counters });
      const hll = createHll();
      for (const v of visitorIds) hll.add(v);
      if (visitorIds.length > 0) sketches.push({ ...row, sketch: hll.serialise() });
    };
    const local = toLocalMs(now, s.timezone);

    // One "day" of traffic, also used for hours and minutes with smaller numbers.
    const traffic = (grain: Grain, bucket: number, seed: number, size: number, withDimensions: boolean) => {
      const visitors = Math.max(1, Math.round(size * (1 + 0.35 * Math.sin(seed / 1.7)) * s.scale));
      const ids = Array.from({ length: visitors }, (_, i) => `${s.hostname}/${grain}${bucket}/${i}`);
      const visits = visitors + Math.floor(visitors / 5);
      const pageviews = Math.round(visits * (2 + (seed % 3) / 4));
      const counters = {
        visits,
        pageviews,
        bounces: Math.floor(visits * (0.35 + (seed % 5) / 50)),
        duration_ms: visits * (50_000 + (seed % 7) * 9_000),
        events: Math.floor(visitors / 4),
        bot_events: seed % 4,
      };
      add({ site_id: id, grain, dimension: '', bucket, value: '' }, counters, ids);
      if (!withDimensions) return;
      const totalWeight = PAGES.reduce((a, [, w]) => a + w, 0);
      for (const [page, w] of PAGES) {
        const pv = Math.max(1, Math.round((pageviews * w) / totalWeight));
        add({ site_id: id, grain, dimension: 'page', bucket, value: page }, { pageviews: pv }, ids.slice(0, Math.ceil(pv * 0.7)));
      }
      for (const [dimension, values] of Object.entries(VISIT_DIMENSIONS)) {
        let offset = 0;
        for (const [value, share] of values) {
          const n = Math.max(1, Math.round(visits * share));
          const part = ids.slice(offset, offset + Math.max(1, Math.round(visitors * share)));
          offset += part.length;
          const c = { visits: n, pageviews: n * 2, bounces: Math.floor(n * 0.4), duration_ms: n * 61_000 };
          add({ site_id: id, grain, dimension, bucket, value }, c, part);
        }
      }
      for (const [name, share] of EVENTS) {
        const n = Math.max(1, Math.round(visitors * share));
        add({ site_id: id, grain, dimension: 'event', bucket, value: name }, { events: n + 1 }, ids.slice(0, n));
      }
    };

    const today = bucketOf(local, 'd');
    for (let d = 0; d < 70; d++) traffic('d', today - d * DAY_MS, d, 60, true);
    const hour = bucketOf(local, 'h');
    for (let h = 0; h < 48; h++) traffic('h', hour - h * HOUR_MS, h, 4, true);
    const minute = bucketOf(local, 'm');
    for (let m = 0; m < 30; m++) traffic('m', minute - m * MINUTE_MS, m, 0.4, false);

    for (let i = 0; i < rollups.length; i += 500) await qi.bulkInsert('rollups', rollups.slice(i, i + 500));
    for (let i = 0; i < sketches.length; i += 500) await qi.bulkInsert('visitor_sketches', sketches.slice(i, i + 500));
  }
}
