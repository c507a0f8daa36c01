/**
 * The exact figures of what the simulator sent, under ARCHITECTURE.md "Metric definitions", so tests
 * can compare the dashboard's numbers with the truth. Dimension values come from an injected
 * `dimensionsOf` (enrich's own pure function), so truth and pipeline name things identically.
 */
import type { CloudEvent, RawTraffic, RejectReason } from '../../events';
import { SESSION_DIMENSIONS, type SessionDimension } from '../../events/vocabulary';
import { localDate } from '../lib/time';
import type { MalformedRecord } from './malformed';

export interface TruthDimensions {
  path: string;
  referrer: string;
  source: string;
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  country: string;
  browser: string;
  os: string;
  device: string;
  bot: boolean;
}

export type DimensionsOf = (raw: RawTraffic) => TruthDimensions;

export { SESSION_DIMENSIONS, type SessionDimension };

const FIELD: Record<Exclude<SessionDimension, 'entry_page' | 'exit_page'>, keyof TruthDimensions> = {
  source: 'source',
  referrer: 'referrer',
  channel: 'channel',
  utm_source: 'utmSource',
  utm_medium: 'utmMedium',
  utm_campaign: 'utmCampaign',
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
  /** Distinct (ip, userAgent) of non-bot events per site-local day; summed over days for a range. */
  visitors: number;
}

export interface VisitFigures {
  visits: number;
  bounces: number;
  durationMs: number;
  pageviews: number;
}

export interface SiteTruth {
  site: string;
  timezone: string;
  totals: TruthFigures;
  /** Keyed by site-local date YYYY-MM-DD. */
  days: Record<string, TruthFigures>;
  dimensions: {
    page: Record<string, { pageviews: number }>;
    event: Record<string, { events: number }>;
  } & Record<SessionDimension, Record<string, VisitFigures>>;
}

export interface GroundTruthJson {
  sites: Record<string, SiteTruth>;
  /** Valid events for sites the truth was not told about (they count nowhere else). */
  unknownSiteEvents: number;
  malformed: { total: number; byReason: Partial<Record<RejectReason, number>>; byKind: Record<string, number> };
}

export interface GroundTruth {
  add(event: CloudEvent<RawTraffic>): void;
  addMalformed(record: MalformedRecord): void;
  toJSON(): GroundTruthJson;
}

interface Visit {
  site: string;
  first: { ts: number; id: string; dims: TruthDimensions };
  last: { ts: number; id: string };
  entry?: { ts: number; id: string; path: string };
  exit?: { ts: number; id: string; path: string };
  pageviews: number;
}

// "Ties on equal timestamps break by event id."
const before = (ts: number, id: string, than: { ts: number; id: string }): boolean => ts < than.ts || (ts === than.ts && id < than.id);

const zero = (): TruthFigures => ({ pageviews: 0, events: 0, botEvents: 0, visits: 0, bounces: 0, durationMs: 0, visitors: 0 });

function bump<K extends string>(record: Record<string, Record<K, number>>, key: string, init: () => Record<K, number>): Record<K, number> {
  let r = record[key];
  if (r === undefined) {
    r = init();
    record[key] = r;
  }
  return r;
}

export function createGroundTruth(deps: {
  sites: readonly { hostname: string; timezone: string }[];
  dimensionsOf: DimensionsOf;
}): GroundTruth {
  const zones = new Map(deps.sites.map((s) => [s.hostname, s.timezone]));
  const counters = new Map<
    string,
    {
      totals: TruthFigures;
      days: Record<string, TruthFigures>;
      page: Record<string, { pageviews: number }>;
      event: Record<string, { events: number }>;
    }
  >();
  const visitorSets = new Map<string, Set<string>>(); // `${site}\n${day}` → ip\nua
  const visits = new Map<string, Visit>(); // `${site}\n${sessionId}`
  let unknownSiteEvents = 0;
  const malformed: GroundTruthJson['malformed'] = { total: 0, byReason: {}, byKind: {} };

  const countersOf = (site: string) => {
    let c = counters.get(site);
    if (c === undefined) {
      c = { totals: zero(), days: {}, page: {}, event: {} };
      counters.set(site, c);
    }
    return c;
  };

  return {
    add(event) {
      const raw = event.data;
      const timezone = zones.get(raw.site);
      if (timezone === undefined) {
        unknownSiteEvents++;
        return;
      }
      const ts = Date.parse(raw.timestamp);
      const id = event.attributes.id;
      const dims = deps.dimensionsOf(raw);
      const day = localDate(ts, timezone);
      const c = countersOf(raw.site);
      const today = bump(c.days, day, zero);
      if (dims.bot) {
        c.totals.botEvents++;
        today.botEvents++;
        return;
      }
      const visitorKey = `${raw.site}\n${day}`;
      let set = visitorSets.get(visitorKey);
      if (set === undefined) {
        set = new Set();
        visitorSets.set(visitorKey, set);
      }
      set.add(`${raw.ip}\n${raw.userAgent}`);
      if (raw.kind === 'pageview') {
        c.totals.pageviews++;
        today.pageviews++;
        bump(c.page, dims.path, () => ({ pageviews: 0 })).pageviews++;
      } else {
        c.totals.events++;
        today.events++;
        bump(c.event, raw.name, () => ({ events: 0 })).events++;
      }
      // Without a sessionId enrich derives one; the simulator always sends one, so a visit is a sessionId.
      const visitKey = `${raw.site}\n${raw.sessionId ?? `${raw.ip}\n${raw.userAgent}`}`;
      let v = visits.get(visitKey);
      if (v === undefined) {
        v = { site: raw.site, first: { ts, id, dims }, last: { ts, id }, pageviews: 0 };
        visits.set(visitKey, v);
      }
      if (before(ts, id, v.first)) v.first = { ts, id, dims };
      if (before(v.last.ts, v.last.id, { ts, id })) v.last = { ts, id };
      if (raw.kind === 'pageview') {
        v.pageviews++;
        if (v.entry === undefined || before(ts, id, v.entry)) v.entry = { ts, id, path: dims.path };
        if (v.exit === undefined || before(v.exit.ts, v.exit.id, { ts, id })) v.exit = { ts, id, path: dims.path };
      }
    },

    addMalformed(record) {
      malformed.total++;
      malformed.byReason[record.reason] = (malformed.byReason[record.reason] ?? 0) + 1;
      malformed.byKind[record.kind] = (malformed.byKind[record.kind] ?? 0) + 1;
    },

    toJSON() {
      const sites: Record<string, SiteTruth> = {};
      for (const { hostname, timezone } of deps.sites) {
        const c = countersOf(hostname);
        const dimensions = {
          page: structuredClone(c.page),
          event: structuredClone(c.event),
          ...Object.fromEntries(SESSION_DIMENSIONS.map((d) => [d, {}])),
        } as SiteTruth['dimensions'];
        sites[hostname] = { site: hostname, timezone, totals: { ...c.totals }, days: structuredClone(c.days), dimensions };
      }
      for (const [key, set] of visitorSets) {
        const [site, day] = key.split('\n') as [string, string];
        sites[site]!.totals.visitors += set.size;
        sites[site]!.days[day]!.visitors = set.size;
      }
      for (const v of visits.values()) {
        const s = sites[v.site]!;
        const bounce = v.pageviews === 1 ? 1 : 0;
        const duration = v.last.ts - v.first.ts;
        const day = s.days[localDate(v.first.ts, s.timezone)]!;
        for (const f of [s.totals, day]) {
          f.visits++;
          f.bounces += bounce;
          f.durationMs += duration;
        }
        const values: Record<SessionDimension, string> = {
          entry_page: v.entry?.path ?? '',
          exit_page: v.exit?.path ?? '',
          ...(Object.fromEntries(Object.entries(FIELD).map(([d, field]) => [d, String(v.first.dims[field])])) as Record<
            keyof typeof FIELD,
            string
          >),
        };
        for (const d of SESSION_DIMENSIONS) {
          const r = bump(s.dimensions[d], values[d], () => ({ visits: 0, bounces: 0, durationMs: 0, pageviews: 0 }));
          r.visits++;
          r.bounces += bounce;
          r.durationMs += duration;
          r.pageviews += v.pageviews;
        }
      }
      return { sites, unknownSiteEvents, malformed: structuredClone(malformed) };
    },
  };
}

/** Feeds every simulated item to a truth (convenience for the CLI and tests). */
export function recordItem(
  truth: GroundTruth,
  item: { type: 'event'; event: CloudEvent<RawTraffic> } | ({ type: 'malformed' } & MalformedRecord),
): void {
  if (item.type === 'event') truth.add(item.event);
  else truth.addMalformed(item);
}
