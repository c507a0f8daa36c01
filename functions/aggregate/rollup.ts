/**
 * The rollup math, pure: a batch of enriched events (already deduplicated) plus the stored rows of the
 * sessions they touch in, the new session rows and the rollup/sketch deltas out.
 *
 * Order independence (Plausible's "collapsing sessions", done with deltas): a visit contributes
 * (visits 1, bounce, duration, its pageviews and events) to the bucket of its first event and to the
 * values of its session dimensions. Session state only grows by min/max/sum, so it is the same for
 * any order of events. When a batch changes a session, the delta emitted is
 * "contribution(new state) − contribution(stored state)"; the deltas of all batches telescope to the
 * contribution of the final state, so the rollups always equal the sum over the current sessions.
 * Event-level counts (pageviews per page, custom events per name, bot events, site totals of
 * pageviews/events) go to the bucket of each event.
 *
 * Visitor sketches are add-only (an HLL cannot remove an item): when a late, earlier event moves a
 * visit's first event, its visitor stays in the old session-dimension value's sketch as well. Site
 * totals, `page` and `event` visitors are unaffected (they are per event).
 */
import { createHash } from 'node:crypto';
import type { CeAttributes, EnrichedTraffic } from '../../events';
import { bucketOf, toLocalMs, type Grain } from '../lib/time';

/** An enriched event with what the writer resolved for it. */
export interface RollupEvent {
  /** eventKey(attributes): the dedupe key, also the tie-breaker for equal timestamps. */
  key: string;
  siteId: number;
  timezone: string;
  /** data.timestamp as epoch ms */
  time: number;
  data: EnrichedTraffic;
}

/** One row of `sessions` (ARCHITECTURE.md "SQL schema"). */
export interface SessionRow {
  siteId: number;
  sessionKey: string;
  sessionId: string;
  visitorId: string;
  startedAt: number;
  firstEventId: string;
  endedAt: number;
  lastEventId: string;
  pageviews: number;
  events: number;
  entryPage: string;
  entryAt: number | null;
  entryEventId: string;
  exitPage: string;
  exitAt: number | null;
  exitEventId: string;
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
}

/** Where a rollup or sketch row lives: PK(site_id, grain, dimension, bucket, value_key). */
export interface BucketKey {
  siteId: number;
  grain: Grain;
  /** '' for site totals */
  dimension: string;
  bucket: number;
  valueKey: string;
  value: string;
}

export interface Counters {
  pageviews: number;
  visits: number;
  bounces: number;
  durationMs: number;
  events: number;
  botEvents: number;
}

export type RollupDelta = BucketKey & Counters;

export interface SketchAdd extends BucketKey {
  visitorIds: string[];
}

export interface RollupResult {
  /** The new state of every session the batch touched. */
  sessions: SessionRow[];
  /** Amounts to add to `rollups` (non-zero rows only). */
  rollups: RollupDelta[];
  /** visitorIds to add to `visitor_sketches`. */
  sketches: SketchAdd[];
}

export const SESSION_DIMENSIONS = [
  ['entry_page', (s: SessionRow) => s.entryPage],
  ['exit_page', (s: SessionRow) => s.exitPage],
  ['source', (s: SessionRow) => s.source],
  ['referrer', (s: SessionRow) => s.referrer],
  ['channel', (s: SessionRow) => s.channel],
  ['utm_source', (s: SessionRow) => s.utmSource],
  ['utm_medium', (s: SessionRow) => s.utmMedium],
  ['utm_campaign', (s: SessionRow) => s.utmCampaign],
  ['country', (s: SessionRow) => s.country],
  ['browser', (s: SessionRow) => s.browser],
  ['os', (s: SessionRow) => s.os],
  ['device', (s: SessionRow) => s.device],
] as const;

/** Grains of site totals (minutes feed realtime) and of every dimension. */
export const TOTAL_GRAINS: readonly Grain[] = ['m', 'h', 'd'];
export const DIMENSION_GRAINS: readonly Grain[] = ['h', 'd'];

/** The dedupe key of an event: CloudEvents identity is (source, id) (§3.1.1 "id"). 32 hex chars. */
export function eventKey(attributes: Pick<CeAttributes, 'source' | 'id'>): string {
  return createHash('sha256').update(attributes.source).update('\n').update(attributes.id).digest('hex').slice(0, 32);
}

/** sessions.session_key: a fixed-width key for the free-text sessionId. */
export function sessionKeyOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 32);
}

/** rollups.value_key: first 16 hex of sha1(value) (ARCHITECTURE.md). */
export function valueKeyOf(value: string): string {
  return createHash('sha1').update(value).digest('hex').slice(0, 16);
}

export const sessionMapKey = (siteId: number, sessionKey: string): string => `${siteId}/${sessionKey}`;

/** a happened before b; equal timestamps break by event key. */
const before = (aTime: number, aKey: string, bTime: number, bKey: string) => aTime < bTime || (aTime === bTime && aKey < bKey);

function newSession(e: RollupEvent, sessionKey: string): SessionRow {
  const d = e.data;
  const pv = d.kind === 'pageview';
  return {
    siteId: e.siteId,
    sessionKey,
    sessionId: d.sessionId,
    visitorId: d.visitorId,
    startedAt: e.time,
    firstEventId: e.key,
    endedAt: e.time,
    lastEventId: e.key,
    pageviews: pv ? 1 : 0,
    events: pv ? 0 : 1,
    entryPage: pv ? d.path : '',
    entryAt: pv ? e.time : null,
    entryEventId: pv ? e.key : '',
    exitPage: pv ? d.path : '',
    exitAt: pv ? e.time : null,
    exitEventId: pv ? e.key : '',
    referrer: d.referrer,
    source: d.source,
    channel: d.channel,
    utmSource: d.utmSource,
    utmMedium: d.utmMedium,
    utmCampaign: d.utmCampaign,
    country: d.country,
    browser: d.browser,
    os: d.os,
    device: d.device,
  };
}

/** What the first event of a visit decides. */
const FIRST_EVENT_FIELDS = [
  'startedAt',
  'firstEventId',
  'visitorId',
  'referrer',
  'source',
  'channel',
  'utmSource',
  'utmMedium',
  'utmCampaign',
  'country',
  'browser',
  'os',
  'device',
] as const satisfies readonly (keyof SessionRow)[];

/** The session with one more event: min/max/sum only, so the result does not depend on the order. */
export function applyEvent(s: SessionRow, e: RollupEvent): SessionRow {
  const one = newSession(e, s.sessionKey);
  const out: SessionRow = { ...s, pageviews: s.pageviews + one.pageviews, events: s.events + one.events };
  if (before(e.time, e.key, s.startedAt, s.firstEventId)) {
    // the visit's dimensions are those of its first event
    Object.assign(out, Object.fromEntries(FIRST_EVENT_FIELDS.map((f) => [f, one[f]])));
  }
  if (before(s.endedAt, s.lastEventId, e.time, e.key)) {
    out.endedAt = e.time;
    out.lastEventId = e.key;
  }
  if (e.data.kind === 'pageview') {
    if (s.entryAt === null || before(e.time, e.key, s.entryAt, s.entryEventId)) {
      out.entryPage = one.entryPage;
      out.entryAt = one.entryAt;
      out.entryEventId = one.entryEventId;
    }
    if (s.exitAt === null || before(s.exitAt, s.exitEventId, e.time, e.key)) {
      out.exitPage = one.exitPage;
      out.exitAt = one.exitAt;
      out.exitEventId = one.exitEventId;
    }
  }
  return out;
}

const ZERO: Counters = { pageviews: 0, visits: 0, bounces: 0, durationMs: 0, events: 0, botEvents: 0 };

const COUNTER_NAMES = Object.keys(ZERO) as (keyof Counters)[];

/**
 * Collapses many small additions into one row per bucket key. Hot path (tens of calls per event):
 * the map key is built from the raw value and the row object (with its sha1 value key) only on a miss.
 */
function createAccumulator() {
  const rollups = new Map<string, RollupDelta>();
  const sketches = new Map<string, { key: BucketKey; ids: Set<string> }>();
  const valueKeys = new Map<string, string>();
  const bucketKey = (siteId: number, grain: Grain, dimension: string, bucket: number, value: string): BucketKey => {
    let valueKey = valueKeys.get(value);
    if (valueKey === undefined) {
      valueKey = valueKeyOf(value);
      valueKeys.set(value, valueKey);
    }
    return { siteId, grain, dimension, bucket, valueKey, value };
  };
  return {
    add(siteId: number, grain: Grain, dimension: string, bucket: number, value: string, c: Partial<Counters>, sign = 1) {
      const k = `${siteId}|${grain}|${dimension}|${bucket}|${value}`;
      let row = rollups.get(k);
      if (row === undefined) {
        row = { ...bucketKey(siteId, grain, dimension, bucket, value), ...ZERO };
        rollups.set(k, row);
      }
      for (const name of COUNTER_NAMES) {
        const n = c[name];
        if (n !== undefined) row[name] += sign * n;
      }
    },
    visitor(siteId: number, grain: Grain, dimension: string, bucket: number, value: string, visitorId: string) {
      const k = `${siteId}|${grain}|${dimension}|${bucket}|${value}`;
      let s = sketches.get(k);
      if (s === undefined) {
        s = { key: bucketKey(siteId, grain, dimension, bucket, value), ids: new Set() };
        sketches.set(k, s);
      }
      s.ids.add(visitorId);
    },
    rollups: () => [...rollups.values()].filter((r) => COUNTER_NAMES.some((c) => r[c] !== 0)),
    sketches: () => [...sketches.values()].map(({ key, ids }) => ({ ...key, visitorIds: [...ids].sort() })),
  };
}

type Accumulator = ReturnType<typeof createAccumulator>;

/** What one visit adds to the rollups (sign -1 takes a stored state's contribution back out). */
function addVisit(acc: Accumulator, s: SessionRow, timezone: string, sign: number): void {
  const local = toLocalMs(s.startedAt, timezone);
  const visit = { visits: 1, bounces: s.pageviews === 1 ? 1 : 0, durationMs: s.endedAt - s.startedAt };
  for (const g of TOTAL_GRAINS) acc.add(s.siteId, g, '', bucketOf(local, g), '', visit, sign);
  const perValue = { ...visit, pageviews: s.pageviews, events: s.events };
  for (const g of DIMENSION_GRAINS) {
    const bucket = bucketOf(local, g);
    for (const [dimension, valueOf] of SESSION_DIMENSIONS) acc.add(s.siteId, g, dimension, bucket, valueOf(s), perValue, sign);
  }
}

function addEvent(acc: Accumulator, e: RollupEvent): void {
  const local = toLocalMs(e.time, e.timezone);
  const d = e.data;
  if (d.bot) {
    for (const g of TOTAL_GRAINS) acc.add(e.siteId, g, '', bucketOf(local, g), '', { botEvents: 1 });
    return;
  }
  const pv = d.kind === 'pageview';
  const counts = pv ? { pageviews: 1 } : { events: 1 };
  for (const g of TOTAL_GRAINS) {
    acc.add(e.siteId, g, '', bucketOf(local, g), '', counts);
    acc.visitor(e.siteId, g, '', bucketOf(local, g), '', d.visitorId);
  }
  const [dimension, value] = pv ? ['page', d.path] : ['event', d.name];
  for (const g of DIMENSION_GRAINS) {
    acc.add(e.siteId, g, dimension, bucketOf(local, g), value, counts);
    acc.visitor(e.siteId, g, dimension, bucketOf(local, g), value, d.visitorId);
  }
}

/**
 * The sessions a batch touches: `sessionMapKey(siteId, sessionKeyOf(sessionId))` of every non-bot event.
 * The writer loads these (locked) before calling computeRollup.
 */
export function touchedSessions(events: readonly RollupEvent[]): Map<string, { siteId: number; sessionKey: string }> {
  const out = new Map<string, { siteId: number; sessionKey: string }>();
  for (const e of events) {
    if (e.data.bot) continue;
    const sessionKey = sessionKeyOf(e.data.sessionId);
    out.set(sessionMapKey(e.siteId, sessionKey), { siteId: e.siteId, sessionKey });
  }
  return out;
}

/**
 * The core. `events` must be free of duplicates (and of events already applied to `stored`);
 * `stored` holds the current rows of the touched sessions, keyed by sessionMapKey.
 */
export function computeRollup(events: readonly RollupEvent[], stored: ReadonlyMap<string, SessionRow>): RollupResult {
  const acc = createAccumulator();
  const touched = new Map<string, { old: SessionRow | undefined; now: SessionRow; timezone: string }>();
  for (const e of events) {
    addEvent(acc, e);
    if (e.data.bot) continue; // bots are counted, never visits
    const sessionKey = sessionKeyOf(e.data.sessionId);
    const k = sessionMapKey(e.siteId, sessionKey);
    const t = touched.get(k);
    if (t !== undefined) {
      t.now = applyEvent(t.now, e);
      continue;
    }
    const old = stored.get(k);
    touched.set(k, { old, now: old === undefined ? newSession(e, sessionKey) : applyEvent(old, e), timezone: e.timezone });
  }
  for (const { old, now, timezone } of touched.values()) {
    if (old !== undefined) addVisit(acc, old, timezone, -1);
    addVisit(acc, now, timezone, 1);
    const bucketLocal = toLocalMs(now.startedAt, timezone);
    for (const g of DIMENSION_GRAINS) {
      for (const [dimension, valueOf] of SESSION_DIMENSIONS) {
        acc.visitor(now.siteId, g, dimension, bucketOf(bucketLocal, g), valueOf(now), now.visitorId);
      }
    }
  }
  return { sessions: [...touched.values()].map((t) => t.now), rollups: acc.rollups(), sketches: acc.sketches() };
}
