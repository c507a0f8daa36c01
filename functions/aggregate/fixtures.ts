/**
 * Test support (unit and integration): hand-built enriched events from a seeded PRNG, and an
 * oracle that computes sessions, rollups and visitor sets straight from all events at once — written
 * independently of rollup.ts (sort each visit, read off first/last), so the two can disagree.
 */
import { createEnrichedEvent, type CloudEvent, type EnrichedTraffic } from '../../events';
import { bucketOf, toLocalMs, type Grain } from '../lib/time';
import type { Counters } from './rollup';

/** mulberry32: a small seeded PRNG, so every run tests the same events. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random 16-hex id, like enrich's visitorIds (HMAC output). */
export function randomHex16(random: () => number): string {
  const half = () =>
    Math.floor(random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return half() + half();
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Cuts a list into random-sized consecutive batches (1..max). */
export function randomBatches<T>(items: readonly T[], random: () => number, max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const n = 1 + Math.floor(random() * max);
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}

export interface FixtureSite {
  hostname: string;
  timezone: string;
}

export const FIXTURE_SITES: readonly FixtureSite[] = [
  { hostname: 'shop.example', timezone: 'Europe/Berlin' },
  { hostname: 'blog.example', timezone: 'Asia/Kolkata' },
  { hostname: 'news.example', timezone: 'UTC' },
];

const PAGES = ['/', '/pricing', '/about', '/blog/a', '/blog/b', '/docs'];
const SOURCES: [string, string, EnrichedTraffic['channel']][] = [
  ['', '', 'direct'],
  ['Google', 'https://www.google.com/', 'search'],
  ['Twitter', 'https://t.co/x', 'social'],
  ['Newsletter', '', 'email'],
];

/**
 * `sessions` visits over two days around 2026-03-29 (a DST change in Berlin), each with 1-8 events,
 * some at equal timestamps, some custom events, a share of bot events.
 */
export function buildEvents(opts: { seed: number; sessions: number; sites?: readonly FixtureSite[] }): CloudEvent<EnrichedTraffic>[] {
  const r = prng(opts.seed);
  const sites = opts.sites ?? FIXTURE_SITES;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const start = Date.UTC(2026, 2, 28, 12);
  const out: CloudEvent<EnrichedTraffic>[] = [];
  const visitors = Array.from({ length: Math.max(1, Math.floor(opts.sessions / 3)) }, () => randomHex16(r));
  for (let s = 0; s < opts.sessions; s++) {
    const site = pick(sites);
    const [source, referrer, channel] = pick(SOURCES);
    const visitorId = pick(visitors);
    const sessionId = `s${opts.seed}-${s}`;
    const bot = r() < 0.05;
    let t = start + Math.floor(r() * 36 * 3_600_000);
    const n = r() < 0.4 ? 1 : 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) {
      if (r() > 0.15) t += Math.floor(r() * 600_000); // else the same millisecond: ties break by event key
      const custom = i > 0 && r() < 0.2;
      const data: EnrichedTraffic = {
        site: site.hostname,
        kind: custom ? 'event' : 'pageview',
        name: custom ? pick(['signup', 'download']) : '',
        props: {},
        timestamp: new Date(t).toISOString(),
        visitorId,
        sessionId,
        hostname: site.hostname,
        path: pick(PAGES),
        referrer,
        source,
        channel,
        utmSource: channel === 'email' ? 'newsletter' : '',
        utmMedium: channel === 'email' ? 'email' : '',
        utmCampaign: channel === 'email' ? pick(['spring', 'summer']) : '',
        utmContent: '',
        utmTerm: '',
        country: pick(['DE', 'US', 'IN', 'FR']),
        browser: pick(['Chrome', 'Firefox', 'Safari']),
        os: pick(['Windows', 'macOS', 'Android']),
        device: pick(['desktop', 'mobile', 'tablet'] as const),
        bot,
        screenWidth: null,
        language: 'en',
        engagementMs: 0,
      };
      out.push(createEnrichedEvent({ source: '/wtm/test', id: `${sessionId}-${i}` }, data));
    }
  }
  return out;
}

/** The oracle counts the same counters as the core (only the type is shared). */
export type OracleCounters = Counters;

export interface Oracle {
  /** `${hostname}|${grain}|${dimension}|${bucket}|${value}` → counters (non-zero rows only) */
  rollups: Map<string, OracleCounters>;
  /** same key → distinct visitorIds */
  visitors: Map<string, Set<string>>;
  /** `${hostname}/${sessionId}` → the visit as read off its sorted events */
  sessions: Map<string, { startedAt: number; endedAt: number; pageviews: number; events: number; entryPage: string; exitPage: string }>;
}

/** Sessions, rollups and visitor sets computed directly from every event at once. */
export function oracle(events: readonly CloudEvent<EnrichedTraffic>[], keyOf: (e: CloudEvent<EnrichedTraffic>) => string): Oracle {
  const tz = new Map(FIXTURE_SITES.map((s) => [s.hostname, s.timezone]));
  const rollups = new Map<string, OracleCounters>();
  const visitors = new Map<string, Set<string>>();
  const bump = (site: string, grain: Grain, dim: string, localMs: number, value: string, field: keyof OracleCounters, n: number) => {
    const k = `${site}|${grain}|${dim}|${bucketOf(localMs, grain)}|${value}`;
    const row = rollups.get(k) ?? { pageviews: 0, visits: 0, bounces: 0, durationMs: 0, events: 0, botEvents: 0 };
    row[field] += n;
    rollups.set(k, row);
  };
  const see = (site: string, grain: Grain, dim: string, localMs: number, value: string, visitorId: string) => {
    const k = `${site}|${grain}|${dim}|${bucketOf(localMs, grain)}|${value}`;
    visitors.set(k, (visitors.get(k) ?? new Set()).add(visitorId));
  };
  const visits = new Map<string, CloudEvent<EnrichedTraffic>[]>();
  for (const e of events) {
    const d = e.data;
    const local = toLocalMs(Date.parse(d.timestamp), tz.get(d.site) ?? 'UTC');
    if (d.bot) {
      for (const g of ['m', 'h', 'd'] as const) bump(d.site, g, '', local, '', 'botEvents', 1);
      continue;
    }
    const field = d.kind === 'pageview' ? 'pageviews' : 'events';
    for (const g of ['m', 'h', 'd'] as const) {
      bump(d.site, g, '', local, '', field, 1);
      see(d.site, g, '', local, '', d.visitorId);
    }
    for (const g of ['h', 'd'] as const) {
      bump(d.site, g, d.kind === 'pageview' ? 'page' : 'event', local, d.kind === 'pageview' ? d.path : d.name, field, 1);
      see(d.site, g, d.kind === 'pageview' ? 'page' : 'event', local, d.kind === 'pageview' ? d.path : d.name, d.visitorId);
    }
    const k = `${d.site}/${d.sessionId}`;
    visits.set(k, [...(visits.get(k) ?? []), e]);
  }
  const sessions: Oracle['sessions'] = new Map();
  for (const [k, list] of visits) {
    const sorted = [...list].sort((a, b) => Date.parse(a.data.timestamp) - Date.parse(b.data.timestamp) || (keyOf(a) < keyOf(b) ? -1 : 1));
    const first = sorted[0]!.data;
    const last = sorted[sorted.length - 1]!.data;
    const views = sorted.filter((e) => e.data.kind === 'pageview');
    const startedAt = Date.parse(first.timestamp);
    const visit = {
      startedAt,
      endedAt: Date.parse(last.timestamp),
      pageviews: views.length,
      events: sorted.length - views.length,
      entryPage: views[0]?.data.path ?? '',
      exitPage: views[views.length - 1]?.data.path ?? '',
    };
    sessions.set(k, visit);
    const local = toLocalMs(startedAt, tz.get(first.site) ?? 'UTC');
    const values: [string, string][] = [
      ['entry_page', visit.entryPage],
      ['exit_page', visit.exitPage],
      ['source', first.source],
      ['referrer', first.referrer],
      ['channel', first.channel],
      ['utm_source', first.utmSource],
      ['utm_medium', first.utmMedium],
      ['utm_campaign', first.utmCampaign],
      ['country', first.country],
      ['browser', first.browser],
      ['os', first.os],
      ['device', first.device],
    ];
    const bounce = visit.pageviews === 1 ? 1 : 0;
    for (const g of ['m', 'h', 'd'] as const) {
      bump(first.site, g, '', local, '', 'visits', 1);
      bump(first.site, g, '', local, '', 'bounces', bounce);
      bump(first.site, g, '', local, '', 'durationMs', visit.endedAt - visit.startedAt);
    }
    for (const g of ['h', 'd'] as const) {
      for (const [dim, value] of values) {
        bump(first.site, g, dim, local, value, 'visits', 1);
        bump(first.site, g, dim, local, value, 'bounces', bounce);
        bump(first.site, g, dim, local, value, 'durationMs', visit.endedAt - visit.startedAt);
        bump(first.site, g, dim, local, value, 'pageviews', visit.pageviews);
        bump(first.site, g, dim, local, value, 'events', visit.events);
        see(first.site, g, dim, local, value, first.visitorId);
      }
    }
  }
  for (const [k, row] of rollups) if (Object.values(row).every((n) => n === 0)) rollups.delete(k);
  return { rollups, visitors, sessions };
}
