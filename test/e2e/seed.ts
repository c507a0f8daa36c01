/**
 * Seeds storage v2 with a few weeks of deterministic traffic through the real aggregate writer
 * (functions/aggregate/writer.ts): the visits below become enriched events (pageviews, custom events
 * with properties, engagement reports), and the writer derives the visits and writes the facts
 * (`visits`, `events`, `event_props`) that filtered questions read and the rollups (exact visitors) and
 * site-total sketches that unfiltered ones read, exactly as in production. The visits are returned too,
 * so a test can count a figure itself (a goal's conversion rate).
 */
import { createHash } from 'node:crypto';
import { createEnrichedEvent, type CloudEvent, type EnrichedTraffic } from '../../events';
import { createWriter, type ResolvedEvent } from '../../functions/aggregate/writer';
import type { Database } from '../../functions/lib/db';
import { silentLogger } from '../../functions/lib/logger';
import { createGoalRegistry } from '../../functions/sites/goals';
import { bucketOf, DAY_MS, fromLocalMs, MINUTE_MS, toLocalMs } from '../../functions/lib/time';
import { prng } from '../../functions/lib/prng';

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
  channel: EnrichedTraffic['channel'];
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  country: string;
  browser: string;
  os: string;
  device: EnrichedTraffic['device'];
}

export interface SeededVisit extends VisitDims {
  /** The person (stable across days); their visitorId is salted per site-local day. */
  person: string;
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
  [{ source: 'Google', referrer: 'https://www.google.com/', channel: 'search' }, 40],
  [{ source: '', referrer: '', channel: 'direct' }, 30],
  [{ source: 'Twitter', referrer: 'https://t.co/', channel: 'social' }, 15],
  [{ source: 'news.ycombinator.com', referrer: 'https://news.ycombinator.com/', channel: 'social' }, 15],
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
  const visit = (person: string, at: number, durationMs: number): SeededVisit => {
    const n = durationMs === 0 ? 1 : 2 + Math.floor(rnd() * rnd() * 3);
    const pages = Array.from({ length: n }, () => weighted(rnd, PAGES));
    const utm = rnd() < 0.2;
    const events: SeededVisit['events'] = [];
    if (rnd() < 0.12) events.push({ name: 'signup', props: { plan: weighted(rnd, PLANS) } });
    if (rnd() < 0.07) events.push({ name: 'download', props: { file: rnd() < 0.5 ? 'guide.pdf' : 'app.zip' } });
    return {
      person,
      visitorId: dayVisitorId(person, bucketOf(at, 'd')),
      at,
      pages,
      durationMs,
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
      const person = `${site.hostname}/${p}`;
      const n = rnd() < 0.2 ? 2 : 1;
      for (let v = 0; v < n; v++) {
        const durationMs = rnd() < 0.45 ? 0 : 20_000 + Math.floor(rnd() * 400_000);
        // Within the site-local day (no visit across midnight), and only traffic that already happened today.
        const at = day + Math.floor(rnd() * (DAY_MS - durationMs - 2 * MINUTE_MS));
        if (at + durationMs <= nowLocal - MINUTE_MS) visits.push(visit(person, at, durationMs));
      }
    }
  }
  // A few in the last minutes, so "current visitors" is not zero.
  const recent = Math.max(1, Math.round(4 * site.scale));
  for (let i = 0; i < recent; i++) visits.push(visit(`${site.hostname}/now/${i}`, nowLocal - (i + 1) * MINUTE_MS, 0));
  return visits;
}

/** A person's visitorId on a site-local day (enrich: an HMAC with the day's salt; here a hash of person and day). */
export function dayVisitorId(person: string, localDay: number): string {
  return hex(`${person}\n${localDay}`, 16);
}

/**
 * The enriched events of one visit, as enrich would emit them: pageviews spread over the visit's
 * duration, its custom events (with properties) just after the first pageview, and an engagement
 * report after each pageview.
 */
export function eventsOfVisit(site: SeedSite, v: SeededVisit, index: number): CloudEvent<EnrichedTraffic>[] {
  const start = fromLocalMs(v.at, site.timezone);
  const day = bucketOf(v.at, 'd');
  const base: EnrichedTraffic = {
    site: site.hostname,
    kind: 'pageview',
    name: '',
    props: {},
    revenue: null,
    interactive: true,
    timestamp: '',
    visitorId: v.visitorId,
    prevVisitorId: dayVisitorId(v.person, day - DAY_MS),
    hostname: site.hostname,
    path: '',
    referrer: v.referrer,
    source: v.source,
    channel: v.channel,
    utmSource: v.utm_source,
    utmMedium: v.utm_medium,
    utmCampaign: v.utm_campaign,
    utmContent: '',
    utmTerm: '',
    country: v.country,
    browser: v.browser,
    os: v.os,
    device: v.device,
    bot: false,
    screenWidth: 1280,
    language: 'en',
    engagementMs: 0,
    scrollDepth: null,
  };
  const out: CloudEvent<EnrichedTraffic>[] = [];
  const at = (t: number) => new Date(t).toISOString();
  const step = v.pages.length > 1 ? v.durationMs / (v.pages.length - 1) : 0;
  v.pages.forEach((path, j) => {
    const t = start + Math.round(j * step);
    out.push(createEnrichedEvent({ source: '/wtm/e2e', id: `${site.hostname}/${index}/pv/${j}` }, { ...base, path, timestamp: at(t) }));
    const e = v.engagement[j]!;
    out.push(
      createEnrichedEvent(
        { source: '/wtm/e2e', id: `${site.hostname}/${index}/en/${j}` },
        { ...base, kind: 'engagement', path, timestamp: at(t + 1), engagementMs: e.ms, scrollDepth: e.depth },
      ),
    );
  });
  v.events.forEach((e, j) => {
    const t = start + Math.min(100 + j, Math.max(0, v.durationMs - 1));
    out.push(
      createEnrichedEvent(
        { source: '/wtm/e2e', id: `${site.hostname}/${index}/ev/${j}` },
        { ...base, kind: 'event', name: e.name, props: e.props, path: v.pages[0]!, timestamp: at(t) },
      ),
    );
  });
  return out;
}

/**
 * Registers the sites (ids 1, 2, … in order) and writes each one's traffic through the aggregate
 * writer; returns the visits by hostname.
 */
export async function seedSites(db: Database, sites: readonly SeedSite[], now = Date.now()): Promise<Map<string, SeededVisit[]>> {
  const out = new Map<string, SeededVisit[]>();
  const writer = createWriter({ db, logger: silentLogger, pruneIntervalMs: 0, maxBatch: 5000, now: () => now });
  try {
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
      const site = { id, hostname: s.hostname, timezone: s.timezone, isPublic: s.isPublic };
      const events: ResolvedEvent[] = visits.flatMap((v, i) => eventsOfVisit(s, v, i).map((event) => ({ event, site })));
      for (let i = 0; i < events.length; i += 5000) await writer.add(events.slice(i, i + 5000));
    }
  } finally {
    await writer.close();
  }
  // Fresh statistics, as a database that has been running has: right after a bulk load InnoDB's are stale
  // until its background recalculation, and the first goal breakdown then took 50-120 s instead of 0.2 s
  // (measured on MariaDB 10.11 under load). SQLite (the CSP suite seeds it too) has its own ANALYZE.
  await db.sequelize.query(
    db.dialect.kind === 'mysql' ? 'ANALYZE TABLE visits, events, event_props, rollups, visitor_sketches' : 'ANALYZE',
  );
  return out;
}

/** Defines GOALS for a site through the goal registry (what `npm run sites -- goal add` uses). */
export async function seedGoals(db: Database, hostname: string): Promise<void> {
  const goals = createGoalRegistry(db);
  for (const g of GOALS)
    await goals.add(
      hostname,
      g.kind === 'event' ? { kind: 'event', event: g.event, name: g.name } : { kind: 'page', page: g.page, name: g.name },
    );
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
    // visitorIds are salted per site-local day: one person on two days is two visitors.
    const person = v.visitorId;
    all.add(person);
    if (converts(v)) converted.add(person);
  }
  return all.size === 0 ? 0 : Math.round((converted.size / all.size) * 1000) / 10;
}
