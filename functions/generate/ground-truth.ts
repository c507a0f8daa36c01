/**
 * The exact figures of what the simulator sent, under ARCHITECTURE.md "Metric definitions", so tests
 * can compare the dashboard's numbers with the truth. Dimension values come from an injected
 * `dimensionsOf` (enrich's own pure function), so truth and pipeline name things identically; visits
 * come from the truth's own 30-minute rule (visit-rule.ts), never from the aggregate's code.
 *
 * A person is (site, ip, userAgent): what enrich's visitorId hashes. A visitor is a person on one
 * site-local day (the salt rotates daily), so a range's visitors are the sum of its days' visitors.
 */
import { createHash } from 'node:crypto';
import { SOURCES, enrichedEventId, type CloudEvent, type RawTraffic, type RejectReason } from '../../events';
import { SESSION_DIMENSIONS, type SessionDimension } from '../../events/vocabulary';
import { HOUR_MS, localDate, toLocalMs } from '../lib/time';
import type { MalformedRecord } from './malformed';
import type { TruthEvent, TruthVisit, TruthVisitDimension } from './truth-visit';
import { splitIntoVisits } from './visit-rule';

export interface TruthDimensions {
  path: string;
  referrer: string;
  source: string;
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmContent: string;
  utmTerm: string;
  country: string;
  browser: string;
  os: string;
  device: string;
  bot: boolean;
}

export type DimensionsOf = (raw: RawTraffic) => TruthDimensions;

export { SESSION_DIMENSIONS, type SessionDimension };
export type { TruthEvent, TruthVisit, TruthVisitDimension };

/** The visit dimensions (besides entry/exit page) and the enriched field each is read from. */
const FIELD: Record<Exclude<TruthVisitDimension, 'entry_page' | 'exit_page'>, keyof TruthDimensions> = {
  source: 'source',
  referrer: 'referrer',
  channel: 'channel',
  utm_source: 'utmSource',
  utm_medium: 'utmMedium',
  utm_campaign: 'utmCampaign',
  utm_content: 'utmContent',
  utm_term: 'utmTerm',
  country: 'country',
  browser: 'browser',
  os: 'os',
  device: 'device',
};

export interface TruthFigures {
  pageviews: number;
  events: number;
  botEvents: number;
  visits: number;
  bounces: number;
  durationMs: number;
  /** Distinct persons with a non-bot pageview or custom event per site-local day; summed over days for a range. */
  visitors: number;
}

/** `page`: pageviews of the path in the bucket of each pageview; engagement from `engagement` events. */
export interface PageFigures {
  visitors: number;
  pageviews: number;
  /** Sum of engagementMs of the page's engagement events. */
  engagedMs: number;
  /** Visitors with at least one engagement event on the page that day. */
  engagedVisitors: number;
  /** Over those visitors: the sum of each one's greatest scroll depth on the page that day. */
  scrollDepthSum: number;
}

export interface EventFigures {
  visitors: number;
  events: number;
}

/** A visit dimension's value: the visits attributed to it (first event's day and dimensions) and their events. */
export interface VisitFigures {
  visitors: number;
  visits: number;
  bounces: number;
  durationMs: number;
  pageviews: number;
  events: number;
}

export type DimensionTruth = {
  page: Record<string, PageFigures>;
  event: Record<string, EventFigures>;
} & Record<SessionDimension, Record<string, VisitFigures>>;

/** One site-local hour: counters as per day (visits in the hour of their first event) and who was there. */
export interface HourTruth extends Omit<TruthFigures, 'visitors'> {
  /** Opaque keys of the visitors (person-days) with a pageview or custom event in the hour. */
  visitorKeys: string[];
}

export interface SiteTruth {
  site: string;
  timezone: string;
  /** The whole range; `visitors` is the sum of the days' visitors. */
  totals: TruthFigures;
  /** Keyed by site-local date YYYY-MM-DD. */
  days: Record<string, TruthFigures>;
  /** The whole range per dimension value: counters and visitors summed over the days. */
  dimensions: DimensionTruth;
  /** Per site-local day, per dimension value (visitors exact per day). */
  dayDimensions: Record<string, DimensionTruth>;
  /** Keyed by site-local hour start `YYYY-MM-DDTHH:00:00` (as the API writes bucket times). */
  hours: Record<string, HourTruth>;
}

export interface GroundTruthJson {
  sites: Record<string, SiteTruth>;
  /** Valid events for sites the truth was not told about (they count nowhere else). */
  unknownSiteEvents: number;
  malformed: { total: number; byReason: Partial<Record<RejectReason, number>>; byKind: Record<string, number> };
}

export interface GroundTruth {
  /** Adds one valid raw event as it was sent (a second add of the same source and id is ignored). */
  add(event: CloudEvent<RawTraffic>): void;
  addMalformed(record: MalformedRecord): void;
  toJSON(): GroundTruthJson;
  /** Every visit, by site, then start time (the input of filtered truths). */
  visits(): TruthVisit[];
}

/** One non-bot pageview, custom event or engagement event as the truth keeps it. */
interface Kept {
  ts: number;
  /** The event key the pipeline orders equal timestamps by (ARCHITECTURE.md "Event contract"). */
  key: string;
  kind: RawTraffic['kind'];
  name: string;
  day: string;
  hour: string;
  props: Record<string, string>;
  dims: TruthDimensions;
  engagementMs: number;
  scrollDepth: number | null;
}

interface Person {
  site: string;
  timezone: string;
  id: string;
  /** Pageviews and custom events (what visits are made of). */
  events: Kept[];
  engagements: Kept[];
}

/**
 * The key aggregate stores an event under: first 32 hex of sha256(enriched source "\n" enriched id), the
 * enriched id being derived from the raw (source, id) by the contract in events/. Written out here from
 * ARCHITECTURE.md (not imported from aggregate), as the tie-breaker of equal timestamps.
 */
export function truthEventKey(rawSource: string, rawId: string): string {
  return createHash('sha256')
    .update(`${SOURCES.enrich}\n${enrichedEventId(rawSource, rawId)}`)
    .digest('hex')
    .slice(0, 32);
}

/** An opaque, stable key of a person on a site-local day. */
const visitorKey = (personId: string, day: string): string => createHash('sha1').update(`${personId}\n${day}`).digest('hex').slice(0, 16);

const hourOf = (ts: number, timezone: string): string => {
  const local = toLocalMs(ts, timezone);
  return new Date(Math.floor(local / HOUR_MS) * HOUR_MS).toISOString().slice(0, 19);
};

const zero = (): TruthFigures => ({ pageviews: 0, events: 0, botEvents: 0, visits: 0, bounces: 0, durationMs: 0, visitors: 0 });
const zeroHour = (): HourTruth => ({ pageviews: 0, events: 0, botEvents: 0, visits: 0, bounces: 0, durationMs: 0, visitorKeys: [] });
const zeroPage = (): PageFigures => ({ visitors: 0, pageviews: 0, engagedMs: 0, engagedVisitors: 0, scrollDepthSum: 0 });
const zeroEvent = (): EventFigures => ({ visitors: 0, events: 0 });
const zeroVisit = (): VisitFigures => ({ visitors: 0, visits: 0, bounces: 0, durationMs: 0, pageviews: 0, events: 0 });
const emptyDimensions = (): DimensionTruth =>
  ({ page: {}, event: {}, ...Object.fromEntries(SESSION_DIMENSIONS.map((d) => [d, {}])) }) as DimensionTruth;

function entry<T>(record: Record<string, T>, key: string, init: () => T): T {
  let r = record[key];
  if (r === undefined) {
    r = init();
    record[key] = r;
  }
  return r;
}

/** Adds b's numeric fields into a (same shape). */
function addInto<T extends object>(a: T, b: T): void {
  const x = a as Record<string, number>;
  for (const [k, v] of Object.entries(b as Record<string, number>)) x[k] = (x[k] ?? 0) + v;
}

/** The values of one visit's dimensions (entry/exit: its first/last pageview; '' without pageviews). */
function visitDims(events: readonly Kept[]): Record<TruthVisitDimension, string> {
  const first = events[0]!;
  const pageviews = events.filter((e) => e.kind === 'pageview');
  const out = { entry_page: pageviews[0]?.dims.path ?? '', exit_page: pageviews[pageviews.length - 1]?.dims.path ?? '' } as Record<
    TruthVisitDimension,
    string
  >;
  for (const [d, field] of Object.entries(FIELD) as [keyof typeof FIELD, keyof TruthDimensions][]) out[d] = String(first.dims[field]);
  return out;
}

export function createGroundTruth(deps: {
  sites: readonly { hostname: string; timezone: string }[];
  dimensionsOf: DimensionsOf;
}): GroundTruth {
  const zones = new Map(deps.sites.map((s) => [s.hostname, s.timezone]));
  const persons = new Map<string, Person>();
  /** Bot events per site, per day and per hour (they are counted, never visitors). */
  const bots = new Map<string, { days: Map<string, number>; hours: Map<string, number> }>();
  const seen = new Set<string>();
  let unknownSiteEvents = 0;
  const malformed: GroundTruthJson['malformed'] = { total: 0, byReason: {}, byKind: {} };
  let derived: { json: GroundTruthJson; visits: TruthVisit[] } | undefined;

  function derive(): { json: GroundTruthJson; visits: TruthVisit[] } {
    const sites: Record<string, SiteTruth> = {};
    for (const { hostname, timezone } of deps.sites) {
      sites[hostname] = { site: hostname, timezone, totals: zero(), days: {}, dimensions: emptyDimensions(), dayDimensions: {}, hours: {} };
      const b = bots.get(hostname);
      for (const [day, n] of b?.days ?? []) entry(sites[hostname].days, day, zero).botEvents += n;
      for (const [hour, n] of b?.hours ?? []) entry(sites[hostname].hours, hour, zeroHour).botEvents += n;
    }
    const visits: TruthVisit[] = [];
    // visitor sets: `${day}\n${dimension}\n${value}` → person-day keys (dimension '' = site totals)
    const sets = new Map<string, Map<string, Set<string>>>();
    const addVisitor = (site: string, day: string, dimension: string, value: string, who: string) => {
      let m = sets.get(site);
      if (m === undefined) sets.set(site, (m = new Map()));
      const k = `${day}\n${dimension}\n${value}`;
      let s = m.get(k);
      if (s === undefined) m.set(k, (s = new Set()));
      s.add(who);
    };
    const hourVisitors = new Map<string, Set<string>>(); // `${site}\n${hour}`

    for (const p of persons.values()) {
      const s = sites[p.site]!;
      for (const e of p.events) {
        const who = visitorKey(p.id, e.day);
        const day = entry(s.days, e.day, zero);
        const hour = entry(s.hours, e.hour, zeroHour);
        const dd = entry(s.dayDimensions, e.day, emptyDimensions);
        addVisitor(p.site, e.day, '', '', who);
        const hk = `${p.site}\n${e.hour}`;
        let hs = hourVisitors.get(hk);
        if (hs === undefined) hourVisitors.set(hk, (hs = new Set()));
        hs.add(who);
        if (e.kind === 'pageview') {
          day.pageviews++;
          hour.pageviews++;
          entry(dd.page, e.dims.path, zeroPage).pageviews++;
          addVisitor(p.site, e.day, 'page', e.dims.path, who);
        } else {
          day.events++;
          hour.events++;
          entry(dd.event, e.name, zeroEvent).events++;
          addVisitor(p.site, e.day, 'event', e.name, who);
        }
      }
      // engagement: per page-day; never part of a visit, never a visitor of the totals
      const engaged = new Map<string, number>(); // `${day}\n${path}\n${who}` → greatest scroll depth
      for (const e of p.engagements) {
        const dd = entry(s.dayDimensions, e.day, emptyDimensions);
        entry(s.days, e.day, zero);
        entry(dd.page, e.dims.path, zeroPage).engagedMs += e.engagementMs;
        const k = `${e.day}\n${e.dims.path}`;
        engaged.set(k, Math.max(engaged.get(k) ?? 0, e.scrollDepth ?? 0));
      }
      for (const [k, depth] of engaged) {
        const [day, path] = k.split('\n') as [string, string];
        const page = s.dayDimensions[day]!.page[path]!;
        page.engagedVisitors++;
        page.scrollDepthSum += depth;
      }

      for (const run of splitIntoVisits(p.events)) {
        const first = run[0]!;
        const last = run[run.length - 1]!;
        const pageviews = run.filter((e) => e.kind === 'pageview').length;
        const bounce = pageviews === 1 ? 1 : 0;
        const duration = last.ts - first.ts;
        const who = visitorKey(p.id, first.day);
        const dims = visitDims(run);
        for (const f of [s.days[first.day]!, s.hours[first.hour]!]) {
          f.visits++;
          f.bounces += bounce;
          f.durationMs += duration;
        }
        const dd = s.dayDimensions[first.day]!;
        for (const d of SESSION_DIMENSIONS) {
          const r = entry(dd[d], dims[d], zeroVisit);
          r.visits++;
          r.bounces += bounce;
          r.durationMs += duration;
          r.pageviews += pageviews;
          r.events += run.length - pageviews;
          addVisitor(p.site, first.day, d, dims[d], who);
        }
        visits.push({
          site: p.site,
          day: first.day,
          visitor: who,
          dims,
          events: run.map((e): TruthEvent => ({
            kind: e.kind === 'pageview' ? 'pageview' : 'event',
            name: e.name,
            path: e.dims.path,
            ts: e.ts,
            props: e.props,
          })),
          start: first.ts,
          end: last.ts,
        });
      }
    }

    for (const [site, m] of sets) {
      const s = sites[site]!;
      for (const [k, set] of m) {
        const [day, dimension, value] = k.split('\n') as [string, string, string];
        if (dimension === '') s.days[day]!.visitors = set.size;
        else {
          const values = s.dayDimensions[day]![dimension as keyof DimensionTruth] as Record<string, { visitors: number }>;
          values[value]!.visitors = set.size;
        }
      }
    }
    for (const [k, set] of hourVisitors) {
      const [site, hour] = k.split('\n') as [string, string];
      sites[site]!.hours[hour]!.visitorKeys = [...set].sort();
    }
    for (const s of Object.values(sites)) {
      for (const f of Object.values(s.days)) addInto(s.totals, f);
      for (const dd of Object.values(s.dayDimensions)) {
        for (const [dimension, values] of Object.entries(dd) as [keyof DimensionTruth, Record<string, object>][]) {
          const into = s.dimensions[dimension] as Record<string, object>;
          for (const [value, f] of Object.entries(values)) {
            const init = dimension === 'page' ? zeroPage : dimension === 'event' ? zeroEvent : zeroVisit;
            addInto(entry(into, value, init), f);
          }
        }
      }
    }
    visits.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : a.start - b.start || (a.visitor < b.visitor ? -1 : 1)));
    return { json: { sites, unknownSiteEvents, malformed: structuredClone(malformed) }, visits };
  }

  const current = () => (derived ??= derive());

  return {
    add(event) {
      const raw = event.data;
      const timezone = zones.get(raw.site);
      const id = `${event.attributes.source}\n${event.attributes.id}`;
      if (seen.has(id)) return; // the pipeline dedupes on (source, id) too
      seen.add(id);
      derived = undefined;
      if (timezone === undefined) {
        unknownSiteEvents++;
        return;
      }
      const ts = Date.parse(raw.timestamp);
      const dims = deps.dimensionsOf(raw);
      const day = localDate(ts, timezone);
      const hour = hourOf(ts, timezone);
      if (dims.bot) {
        let b = bots.get(raw.site);
        if (b === undefined) bots.set(raw.site, (b = { days: new Map(), hours: new Map() }));
        b.days.set(day, (b.days.get(day) ?? 0) + 1);
        b.hours.set(hour, (b.hours.get(hour) ?? 0) + 1);
        return;
      }
      const personId = `${raw.site}\n${raw.ip}\n${raw.userAgent}`;
      let p = persons.get(personId);
      if (p === undefined) persons.set(personId, (p = { site: raw.site, timezone, id: personId, events: [], engagements: [] }));
      const kept: Kept = {
        ts,
        key: truthEventKey(event.attributes.source, event.attributes.id),
        kind: raw.kind,
        name: raw.kind === 'event' ? raw.name : '',
        day,
        hour,
        props: raw.kind === 'event' ? Object.fromEntries(Object.entries(raw.props ?? {}).map(([k, v]) => [k, String(v)])) : {},
        dims,
        engagementMs: raw.engagementMs ?? 0,
        scrollDepth: raw.kind === 'engagement' ? (raw.scrollDepth ?? null) : null,
      };
      (raw.kind === 'engagement' ? p.engagements : p.events).push(kept);
    },

    addMalformed(record) {
      malformed.total++;
      malformed.byReason[record.reason] = (malformed.byReason[record.reason] ?? 0) + 1;
      malformed.byKind[record.kind] = (malformed.byKind[record.kind] ?? 0) + 1;
      derived = undefined;
    },

    toJSON: () => structuredClone(current().json),
    visits: () => structuredClone(current().visits),
  };
}

/**
 * Figures of a window of whole site-local hours [fromHour, toHour) (keys as in `SiteTruth.hours`): counters
 * summed, visitors = distinct person-days over the window (what a range that cuts a day should show).
 */
export function windowFigures(site: SiteTruth, fromHour: string, toHour: string): TruthFigures {
  const out = zero();
  const who = new Set<string>();
  for (const [hour, h] of Object.entries(site.hours)) {
    if (hour < fromHour || hour >= toHour) continue;
    const { visitorKeys, ...counters } = h;
    addInto(out, { ...counters, visitors: 0 });
    for (const k of visitorKeys) who.add(k);
  }
  out.visitors = who.size;
  return out;
}

/** Feeds every simulated item to a truth (convenience for the CLI and tests). */
export function recordItem(
  truth: GroundTruth,
  item: { type: 'event'; event: CloudEvent<RawTraffic> } | ({ type: 'malformed' } & MalformedRecord),
): void {
  if (item.type === 'event') truth.add(item.event);
  else truth.addMalformed(item);
}
