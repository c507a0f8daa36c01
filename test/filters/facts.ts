/**
 * Seeded visits for the filter tests and the bench, as `TruthVisit`s (functions/generate/truth-visit.ts),
 * and a writer that stores them as the Storage v2 facts (ARCHITECTURE.md: visits, events, event_props) —
 * straight into the tables, so the filter SQL is tested on exactly the rows the contract describes.
 * Bot and engagement events are written too: no filtered answer may count them.
 */
import { createHash } from 'node:crypto';
import type { TruthEvent, TruthVisit, TruthVisitDimension } from '../../functions/generate/truth-visit';
import type { Database } from '../../functions/lib/db';
import { DAY_MS, MINUTE_MS, bucketOf, fromLocalMs, toLocalMs } from '../../functions/lib/time';
import { prng } from '../../functions/lib/prng';

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

export const PAGES = ['/', '/blog', '/blog/a', '/pricing', '/pricing/team', '/docs/x_y', '/a%b', "/it's", '/Blog'];
const COUNTRIES = ['DE', 'DE', 'FR', 'US', 'GB', ''];
const SOURCES = ['Google', 'Google', 'Direct / None', 'Newsletter', 'bing', 'google'];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'chrome'];
const PLANS = ['pro', 'free', 'team', '=HYPERLINK("x")', 'a,b "c"'];

export interface SeedOptions {
  timezone: string;
  /** Site-local midnight (wall-clock ms) of the first day. */
  firstDay: number;
  days: number;
  visitsPerDay: number;
  seed: number;
}

/** Deterministic visits: a few visitors per day with one to three visits each, 1-6 events per visit. */
export function makeTruthVisits(site: string, o: SeedOptions): TruthVisit[] {
  const rnd = prng(o.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const out: TruthVisit[] = [];
  for (let d = 0; d < o.days; d++) {
    const dayLocal = o.firstDay + d * DAY_MS;
    const date = new Date(dayLocal).toISOString().slice(0, 10);
    let made = 0;
    for (let person = 0; made < o.visitsPerDay; person++) {
      const visitor = hex(`${site}/${date}/${person}`, 16);
      const dims: Record<TruthVisitDimension, string> = {
        entry_page: '',
        exit_page: '',
        source: pick(SOURCES),
        referrer: pick(['google.com/', '', 'news.example/x']),
        channel: pick(['search', 'direct', 'email']),
        utm_source: pick(['', '', 'newsletter']),
        utm_medium: pick(['', 'email']),
        utm_campaign: pick(['', 'spring']),
        utm_content: pick(['', 'hero', 'footer']),
        utm_term: pick(['', 'analytics']),
        country: pick(COUNTRIES),
        browser: pick(BROWSERS),
        os: pick(['Linux', 'Mac OS', 'Windows']),
        device: pick(['desktop', 'mobile']),
      };
      const visits = 1 + Math.floor(rnd() * 3);
      // Visits of one person start at least 2 h apart, inside the local day (so the day is the visit's day).
      let localT = dayLocal + Math.floor(rnd() * 6 * 60) * MINUTE_MS;
      for (let k = 0; k < visits && made < o.visitsPerDay && localT < dayLocal + DAY_MS - 3 * 3_600_000; k++, made++) {
        const n = 1 + Math.floor(rnd() * 6);
        const events: TruthEvent[] = [];
        let t = fromLocalMs(localT, o.timezone);
        for (let i = 0; i < n; i++) {
          if (i > 0) t += Math.floor(1 + rnd() * 10) * MINUTE_MS;
          if (rnd() < 0.7) events.push({ kind: 'pageview', name: '', path: pick(PAGES), ts: t, props: {} });
          else if (rnd() < 0.6) {
            const props: Record<string, string> = rnd() < 0.8 ? { plan: pick(PLANS) } : {};
            if (rnd() < 0.3) props.seats = String(1 + Math.floor(rnd() * 3));
            events.push({ kind: 'event', name: 'signup', path: pick(PAGES), ts: t, props });
          } else
            events.push({
              kind: 'event',
              name: pick(['download', 'Download']),
              path: '/docs/x_y',
              ts: t,
              props: { file: pick(['a.pdf', 'b.zip']) },
            });
        }
        const pageviews = events.filter((e) => e.kind === 'pageview');
        out.push({
          site,
          day: date,
          visitor,
          dims: { ...dims, entry_page: pageviews[0]?.path ?? '', exit_page: pageviews[pageviews.length - 1]?.path ?? '' },
          events,
          start: events[0]!.ts,
          end: events[events.length - 1]!.ts,
        });
        localT = toLocalMs(events[events.length - 1]!.ts, o.timezone) + 2 * 3_600_000 + Math.floor(rnd() * 120) * MINUTE_MS;
      }
      if (person > o.visitsPerDay * 3) break;
    }
  }
  return out;
}

export const VISIT_COLUMNS = [
  'site_id',
  'visit_key',
  'visitor_id',
  'prev_visitor_id',
  'day',
  'started_at',
  'first_event_key',
  'ended_at',
  'last_event_key',
  'pageviews',
  'events',
  'entry_page',
  'entry_at',
  'entry_event_key',
  'exit_page',
  'exit_at',
  'exit_event_key',
  'referrer',
  'source',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'country',
  'browser',
  'os',
  'device',
  'page_keys',
];
export const EVENT_COLUMNS = ['site_id', 'day', 'event_key', 'ts', 'visit_key', 'visitor_id', 'kind', 'bot', 'name', 'page', 'hostname'];
export const PROP_COLUMNS = ['site_id', 'day', 'event_key', 'prop_key', 'prop_value'];

export interface FactRows {
  visits: unknown[][];
  events: unknown[][];
  props: unknown[][];
}

/** visits.page_keys as migration 0005 defines it, written out here: sorted first-16-hex of sha1 of each pageview's path. */
export const pageKeysOf = (paths: readonly string[]): string =>
  paths
    .map((p) => createHash('sha1').update(p).digest('hex').slice(0, 16))
    .sort()
    .join('');

/** The fact rows of visits (plus one bot pageview and one engagement event per visit, which filters must ignore). */
export function factRowsOf(siteId: number, timezone: string, visits: readonly TruthVisit[]): FactRows {
  const rows: FactRows = { visits: [], events: [], props: [] };
  for (const v of visits) {
    const keys = v.events.map((e, i) => hex(`${v.site}/${v.visitor}/${v.start}/${i}`, 32));
    const visitKey = hex(`visit/${keys[0]}`, 32);
    const pvs = v.events.map((e, i) => ({ e, key: keys[i]! })).filter((x) => x.e.kind === 'pageview');
    const dayOf = (ts: number) => bucketOf(toLocalMs(ts, timezone), 'd');
    rows.visits.push([
      siteId,
      visitKey,
      v.visitor,
      hex(`prev/${v.visitor}`, 16),
      dayOf(v.start),
      v.start,
      keys[0],
      v.end,
      keys[keys.length - 1],
      pvs.length,
      v.events.length - pvs.length,
      v.dims.entry_page,
      pvs[0]?.e.ts ?? null,
      pvs[0]?.key ?? '',
      v.dims.exit_page,
      pvs[pvs.length - 1]?.e.ts ?? null,
      pvs[pvs.length - 1]?.key ?? '',
      v.dims.referrer,
      v.dims.source,
      v.dims.channel,
      v.dims.utm_source,
      v.dims.utm_medium,
      v.dims.utm_campaign,
      v.dims.utm_content,
      v.dims.utm_term,
      v.dims.country,
      v.dims.browser,
      v.dims.os,
      v.dims.device,
      // every fifth visit as if stored before migration 0005 (or over the key limit): its pages are read from events
      rows.visits.length % 5 === 4 || pvs.length > 32 ? null : pageKeysOf(pvs.map((p) => p.e.path)),
    ]);
    v.events.forEach((e, i) => {
      rows.events.push([siteId, dayOf(e.ts), keys[i], e.ts, visitKey, v.visitor, e.kind, 0, e.name, e.path, v.site]);
      for (const [k, value] of Object.entries(e.props)) rows.props.push([siteId, dayOf(e.ts), keys[i], k, value]);
    });
    // noise that belongs to no visit or is not a visit's event
    rows.events.push([
      siteId,
      dayOf(v.start),
      hex(`bot/${keys[0]}`, 32),
      v.start,
      '',
      hex(`bot/${v.visitor}`, 16),
      'pageview',
      1,
      '',
      v.dims.entry_page || '/',
      v.site,
    ]);
    rows.events.push([
      siteId,
      dayOf(v.end),
      hex(`eng/${keys[0]}`, 32),
      v.end,
      visitKey,
      v.visitor,
      'engagement',
      0,
      '',
      '/pricing',
      v.site,
    ]);
  }
  return rows;
}

export async function insertRows(
  db: Database,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
  chunk = 500,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const s = db.dialect.insert(table, columns, rows.slice(i, i + chunk));
    await db.sequelize.query(s.sql, { replacements: s.replacements });
  }
}

export async function writeFacts(db: Database, siteId: number, timezone: string, visits: readonly TruthVisit[]): Promise<void> {
  const rows = factRowsOf(siteId, timezone, visits);
  await insertRows(db, 'visits', VISIT_COLUMNS, rows.visits);
  await insertRows(db, 'events', EVENT_COLUMNS, rows.events);
  await insertRows(db, 'event_props', PROP_COLUMNS, rows.props);
}
