/**
 * The shapes the writer's modules pass around (ARCHITECTURE.md "Storage v2"): an incoming event with
 * what the writer resolved for it, a stored visit and a stored event, plus the keys derived from them.
 * Values only; no SQL here.
 */
import type { CeAttributes, EnrichedTraffic } from '../../events';
import { digest } from '../../events/digest';
import { MAX_VISIT_PAGE_KEYS, PAGE_KEY_LENGTH } from '../lib/db/migrations/0005-visit-page-keys';

/** An enriched event of a registered site, about to be stored. */
export interface FactEvent {
  /** eventKey(attributes): the dedupe key, also the tie-breaker for equal timestamps. */
  key: string;
  siteId: number;
  timezone: string;
  /** data.timestamp as epoch ms */
  time: number;
  /** the site-local day bucket of `time` */
  day: number;
  data: EnrichedTraffic;
}

/** One row of `visits`. `visitorId`/`prevVisitorId`/dimensions are those of the first event. */
export interface Visit {
  siteId: number;
  visitKey: string;
  visitorId: string;
  prevVisitorId: string;
  day: number;
  startedAt: number;
  firstEventKey: string;
  endedAt: number;
  lastEventKey: string;
  pageviews: number;
  events: number;
  entryPage: string;
  entryAt: number | null;
  entryEventKey: string;
  exitPage: string;
  exitAt: number | null;
  exitEventKey: string;
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
  /**
   * The visit's pageviews as sorted, concatenated page keys (`joinPageKeys`), or null when unknown:
   * more than MAX_VISIT_PAGE_KEYS pageviews, or a visit stored before migration 0005.
   */
  pageKeys: string | null;
}

export type EventKindName = EnrichedTraffic['kind'];

/** What the rollups need of a stored `events` row (the visitor sets are computed from these). */
export interface StoredEvent {
  siteId: number;
  day: number;
  eventKey: string;
  ts: number;
  visitKey: string;
  visitorId: string;
  kind: EventKindName;
  bot: boolean;
  name: string;
  page: string;
  engagedMs: number;
  scrollDepth: number | null;
}

/** The dedupe key of an event: CloudEvents identity is (source, id) (CloudEvents 1.0 §3.1.1 "id"). 32 hex chars. */
export function eventKey(attributes: Pick<CeAttributes, 'source' | 'id'>): string {
  return digest('sha256', `${attributes.source}\n${attributes.id}`, 'hex').slice(0, 32);
}

/** The latest instant a visit key's 12 hex digits of time hold (year 10889). */
const MAX_KEY_TIME = 0xffff_ffff_ffff;

/**
 * visits.visit_key, 32 hex: the visit's first event's time (epoch ms, 12 hex digits), then 20 hex of a hash
 * of that event's key. It follows from the first event alone, so it is the same whatever order the events
 * arrived in (a late earlier event or a merge re-keys the visit). Keys grow with time, so a new visit's row
 * goes at the end of the visits table (clustered by key) and of the events' `(site_id, visit_key)` index,
 * not on a random page of every retained day (ARCHITECTURE.md "Time-ordered visit keys").
 */
export function visitKeyOf(firstEventAt: number, firstEventKey: string): string {
  const at = Math.min(Math.max(0, Math.floor(firstEventAt)), MAX_KEY_TIME);
  return at.toString(16).padStart(12, '0') + digest('sha256', firstEventKey, 'hex').slice(0, 20);
}

/** rollups.value_key: first 16 hex of sha1(value) (ARCHITECTURE.md). */
export function valueKeyOf(value: string): string {
  return digest('sha1', value, 'hex').slice(0, 16);
}

/**
 * The page keys of two visits' pageviews together: a sorted multiset (the same string whatever order the
 * visits merge in), or null when either is unknown or together they hold more than MAX_VISIT_PAGE_KEYS.
 */
export function joinPageKeys(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  if (b === '') return a;
  if (a === '') return b;
  if (a.length + b.length > PAGE_KEY_LENGTH * MAX_VISIT_PAGE_KEYS) return null;
  return splitPageKeys(a + b)
    .sort()
    .join('');
}

/** The keys (`valueKeyOf` of each pageview's path) of a `page_keys` string. */
export function splitPageKeys(keys: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < keys.length; i += PAGE_KEY_LENGTH) out.push(keys.slice(i, i + PAGE_KEY_LENGTH));
  return out;
}

/** Visits are made of pageviews and custom events of people (never engagement, never bots). */
export const isVisitEvent = (d: Pick<EnrichedTraffic, 'kind' | 'bot'>): boolean => !d.bot && d.kind !== 'engagement';

/** The stored form of a new event (its visit key decided by the visit derivation). */
export function toStoredEvent(e: FactEvent, visitKey: string): StoredEvent {
  const d = e.data;
  return {
    siteId: e.siteId,
    day: e.day,
    eventKey: e.key,
    ts: e.time,
    visitKey,
    visitorId: d.visitorId,
    kind: d.kind,
    bot: d.bot,
    name: d.kind === 'event' ? d.name : '',
    page: d.path,
    engagedMs: d.kind === 'engagement' ? d.engagementMs : 0,
    scrollDepth: d.kind === 'engagement' ? d.scrollDepth : null,
  };
}
