/**
 * Test support (unit and integration): hand-built enriched events from a seeded PRNG (people with a
 * visitorId per site-local day, visits across midnight, gaps of exactly 30 minutes, engagement, props,
 * bots), and an oracle that computes visits and rollups straight from all events at once — written
 * independently of visits.ts/deltas.ts (people by linking ids, each person's events sorted and cut at
 * gaps over 30 minutes, sets of visitorIds), so the two can disagree.
 */
import { createHash } from 'node:crypto';
import { createEnrichedEvent, type CloudEvent, type EnrichedTraffic } from '../../events';
import { ROLLUP_COUNTERS, SESSION_DIMENSIONS, VISIT_INACTIVITY_MS, type Counters } from '../../events/vocabulary';
import { bucketOf, DAY_MS, localDayOf, toLocalMs, type Grain } from '../lib/time';
import { prng } from '../lib/prng';

export { prng };

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

/** A person's visitorId on a site-local day (enrich: HMAC of the day's salt; here a hash of person and day). */
export function dayVisitorId(person: string, localDay: number): string {
  return createHash('sha256').update(`${person}\n${localDay}`).digest('hex').slice(0, 16);
}

export interface BuildOptions {
  seed: number;
  /** visits to generate (gaps over 30 minutes inside one split it into more) */
  sessions: number;
  sites?: readonly FixtureSite[];
  /** share of visits that start within 20 minutes before a site-local midnight (default 0.1) */
  midnightShare?: number;
}

/** One enriched event of a person at t (ids from the person and the site-local day of t). */
export function fixtureEvent(
  o: { site: FixtureSite; person: string; t: number; id: string; kind: EnrichedTraffic['kind']; path: string; bot?: boolean },
  extra: Partial<EnrichedTraffic> = {},
): CloudEvent<EnrichedTraffic> {
  const day = localDayOf(o.t, o.site.timezone);
  const data: EnrichedTraffic = {
    site: o.site.hostname,
    kind: o.kind,
    name: o.kind === 'event' ? 'signup' : '',
    props: {},
    revenue: null,
    interactive: true,
    timestamp: new Date(o.t).toISOString(),
    visitorId: dayVisitorId(o.person, day),
    prevVisitorId: dayVisitorId(o.person, day - DAY_MS),
    hostname: o.site.hostname,
    path: o.path,
    referrer: '',
    source: '',
    channel: 'direct',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmContent: '',
    utmTerm: '',
    country: 'DE',
    browser: 'Firefox',
    os: 'Linux',
    device: 'desktop',
    bot: o.bot ?? false,
    screenWidth: null,
    language: 'en',
    engagementMs: 0,
    scrollDepth: null,
    ...extra,
  };
  return createEnrichedEvent({ source: '/wtm/test', id: o.id }, data);
}

/**
 * `sessions` visits over two days around 2026-03-29 (a DST change in Berlin), each with 1-8 pageviews or
 * custom events and their engagement reports, some at equal timestamps, some gaps of exactly 30 minutes
 * (continue) or just over (split), some across the site's midnight, a share of bot events.
 */
export function buildEvents(opts: BuildOptions): CloudEvent<EnrichedTraffic>[] {
  const r = prng(opts.seed);
  const sites = opts.sites ?? FIXTURE_SITES;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const start = Date.UTC(2026, 2, 28, 12);
  const out: CloudEvent<EnrichedTraffic>[] = [];
  const people = Array.from({ length: Math.max(1, Math.floor(opts.sessions / 3)) }, () => randomHex16(r));
  for (let s = 0; s < opts.sessions; s++) {
    const site = pick(sites);
    const [source, referrer, channel] = pick(SOURCES);
    const person = pick(people);
    const bot = r() < 0.05;
    let t = start + Math.floor(r() * 36 * 3_600_000);
    if (r() < (opts.midnightShare ?? 0.1)) {
      // just before a local midnight: the visit continues into the next site-day with new visitorIds
      const next = localDayOf(t, site.timezone) + DAY_MS;
      t = t + (next - toLocalMs(t, site.timezone)) - Math.floor(r() * 20 * 60_000) - 1;
    }
    const dims: Partial<EnrichedTraffic> = {
      source,
      referrer,
      channel,
      utmSource: channel === 'email' ? 'newsletter' : '',
      utmMedium: channel === 'email' ? 'email' : '',
      utmCampaign: channel === 'email' ? pick(['spring', 'summer']) : '',
      utmContent: channel === 'email' ? pick(['a', 'b']) : '',
      country: pick(['DE', 'US', 'IN', 'FR']),
      browser: pick(['Chrome', 'Firefox', 'Safari']),
      os: pick(['Windows', 'macOS', 'Android']),
      device: pick(['desktop', 'mobile', 'tablet'] as const),
    };
    const n = r() < 0.4 ? 1 : 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) {
      const gap = r();
      if (gap < 0.03)
        t += VISIT_INACTIVITY_MS; // exactly 30 minutes: the same visit
      else if (gap < 0.06)
        t += VISIT_INACTIVITY_MS + 1; // one ms more: a new visit
      else if (gap < 0.85) t += Math.floor(r() * 600_000); // else the same millisecond: ties break by event key
      const custom = i > 0 && r() < 0.2;
      const path = pick(PAGES);
      const id = `s${opts.seed}-${s}-${i}`;
      const extra: Partial<EnrichedTraffic> = { ...dims };
      if (custom) {
        extra.name = pick(['signup', 'download']);
        extra.props = r() < 0.5 ? { plan: pick(['free', 'pro']), seats: Math.floor(r() * 5) } : {};
        extra.revenue = r() < 0.2 ? { amount: '12.50', currency: 'EUR' } : null;
        extra.interactive = r() < 0.8;
      }
      out.push(fixtureEvent({ site, person, t, id, kind: custom ? 'event' : 'pageview', path, bot }, extra));
      if (!custom && r() < 0.5) {
        // the engagement report of this page, sent when it is left (never part of the visit's time)
        const after = t + 1 + Math.floor(r() * 120_000);
        out.push(
          fixtureEvent(
            { site, person, t: after, id: `${id}-e`, kind: 'engagement', path, bot },
            { ...dims, engagementMs: Math.floor(r() * 60_000), scrollDepth: r() < 0.9 ? Math.floor(r() * 101) : null },
          ),
        );
      }
    }
  }
  return out;
}

/** Rollup rows of the oracle: every counter of ROLLUP_COUNTERS. */
export type OracleCounters = Counters;

export interface OracleVisit {
  site: string;
  visitorId: string;
  startedAt: number;
  endedAt: number;
  pageviews: number;
  events: number;
  entryPage: string;
  exitPage: string;
  firstKey: string;
}

export interface Oracle {
  /** `${hostname}|${grain}|${dimension}|${bucket}|${value}` → counters (non-zero rows only) */
  rollups: Map<string, OracleCounters>;
  /** the visits, sorted by (site, startedAt, firstKey) */
  visits: OracleVisit[];
}

const zero = (): Counters => Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters;

/** Visits and rollups computed directly from every event at once. */
export function oracle(
  events: readonly CloudEvent<EnrichedTraffic>[],
  keyOf: (e: CloudEvent<EnrichedTraffic>) => string,
  sites: readonly FixtureSite[] = FIXTURE_SITES,
): Oracle {
  const tz = new Map(sites.map((s) => [s.hostname, s.timezone]));
  const rollups = new Map<string, OracleCounters>();
  const sets = new Map<string, Set<string>>();
  const depth = new Map<string, Map<string, number>>();
  const rowKey = (site: string, grain: Grain, dim: string, localMs: number, value: string) =>
    `${site}|${grain}|${dim}|${bucketOf(localMs, grain)}|${value}`;
  const bump = (k: string, field: keyof OracleCounters, n: number) => {
    const row = rollups.get(k) ?? zero();
    row[field] += n;
    rollups.set(k, row);
  };
  const see = (k: string, visitorId: string) => sets.set(k, (sets.get(k) ?? new Set()).add(visitorId));
  const local = (e: CloudEvent<EnrichedTraffic>) => toLocalMs(Date.parse(e.data.timestamp), tz.get(e.data.site) ?? 'UTC');

  // people: ids linked by events (visitorId ~ prevVisitorId), per site
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    while (p !== (parent.get(p) ?? p)) p = parent.get(p) ?? p;
    parent.set(x, p);
    return p;
  };
  const byPerson = new Map<string, CloudEvent<EnrichedTraffic>[]>();
  for (const e of events) {
    const d = e.data;
    const l = local(e);
    if (d.bot) {
      for (const g of ['m', 'h', 'd'] as const) bump(rowKey(d.site, g, '', l, ''), 'bot_events', 1);
      continue;
    }
    if (d.kind === 'engagement') {
      for (const g of ['h', 'd'] as const) {
        const k = rowKey(d.site, g, 'page', l, d.path);
        bump(k, 'engaged_ms', d.engagementMs);
        const m = depth.get(k) ?? new Map<string, number>();
        m.set(d.visitorId, Math.max(m.get(d.visitorId) ?? 0, d.scrollDepth ?? 0));
        depth.set(k, m);
      }
      continue;
    }
    const field = d.kind === 'pageview' ? 'pageviews' : 'events';
    for (const g of ['m', 'h', 'd'] as const) {
      bump(rowKey(d.site, g, '', l, ''), field, 1);
      see(rowKey(d.site, g, '', l, ''), d.visitorId);
    }
    const [dim, value, grains] = d.kind === 'pageview' ? ['page', d.path, ['h', 'd'] as const] : ['event', d.name, ['d'] as const];
    for (const g of grains) {
      bump(rowKey(d.site, g, dim, l, value), field, 1);
      see(rowKey(d.site, g, dim, l, value), d.visitorId);
    }
    const a = find(`${d.site}|${d.visitorId}`);
    const b = find(`${d.site}|${d.prevVisitorId}`);
    if (a !== b) parent.set(a, b);
  }
  for (const e of events) {
    if (e.data.bot || e.data.kind === 'engagement') continue;
    const p = find(`${e.data.site}|${e.data.visitorId}`);
    byPerson.set(p, [...(byPerson.get(p) ?? []), e]);
  }
  const visits: OracleVisit[] = [];
  for (const list of byPerson.values()) {
    const sorted = [...list].sort((a, b) => Date.parse(a.data.timestamp) - Date.parse(b.data.timestamp) || (keyOf(a) < keyOf(b) ? -1 : 1));
    let run: CloudEvent<EnrichedTraffic>[] = [];
    const close = () => {
      if (run.length === 0) return;
      const first = run[0]!;
      const views = run.filter((e) => e.data.kind === 'pageview');
      visits.push({
        site: first.data.site,
        visitorId: first.data.visitorId,
        startedAt: Date.parse(first.data.timestamp),
        endedAt: Date.parse(run[run.length - 1]!.data.timestamp),
        pageviews: views.length,
        events: run.length - views.length,
        entryPage: views[0]?.data.path ?? '',
        exitPage: views[views.length - 1]?.data.path ?? '',
        firstKey: keyOf(first),
      });
      const v = visits[visits.length - 1]!;
      const f = first.data;
      const l = local(first);
      const values: Record<(typeof SESSION_DIMENSIONS)[number], string> = {
        entry_page: v.entryPage,
        exit_page: v.exitPage,
        source: f.source,
        referrer: f.referrer,
        channel: f.channel,
        utm_source: f.utmSource,
        utm_medium: f.utmMedium,
        utm_campaign: f.utmCampaign,
        country: f.country,
        browser: f.browser,
        os: f.os,
        device: f.device,
      };
      const bounce = v.pageviews === 1 ? 1 : 0;
      for (const g of ['m', 'h', 'd'] as const) {
        const k = rowKey(f.site, g, '', l, '');
        bump(k, 'visits', 1);
        bump(k, 'bounces', bounce);
        bump(k, 'duration_ms', v.endedAt - v.startedAt);
      }
      for (const dim of SESSION_DIMENSIONS) {
        const k = rowKey(f.site, 'd', dim, l, values[dim]);
        bump(k, 'visits', 1);
        bump(k, 'bounces', bounce);
        bump(k, 'duration_ms', v.endedAt - v.startedAt);
        bump(k, 'pageviews', v.pageviews);
        bump(k, 'events', v.events);
        see(k, v.visitorId);
      }
      run = [];
    };
    for (const e of sorted) {
      const t = Date.parse(e.data.timestamp);
      if (run.length > 0 && t - Date.parse(run[run.length - 1]!.data.timestamp) > VISIT_INACTIVITY_MS) close();
      run.push(e);
    }
    close();
  }
  for (const [k, set] of sets) bump(k, 'visitors', set.size);
  for (const [k, m] of depth) {
    bump(k, 'engaged_visitors', m.size);
    bump(
      k,
      'scroll_depth_sum',
      [...m.values()].reduce((s, x) => s + x, 0),
    );
  }
  for (const [k, row] of rollups) if (ROLLUP_COUNTERS.every((c) => row[c] === 0)) rollups.delete(k);
  visits.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : a.startedAt - b.startedAt || (a.firstKey < b.firstKey ? -1 : 1)));
  return { rollups, visits };
}
