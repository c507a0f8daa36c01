/**
 * Where a rollup delta is computed, pure (ARCHITECTURE.md "Visitor deltas"):
 * - event counters (pageviews, events, bot_events, engaged_ms) are added in the bucket of each new event;
 * - visit counters (visits, bounces, duration_ms and the visit dimensions' pageviews/events) are
 *   "contribution(after) − contribution(before)" of every changed or removed visit, so merges, moved exit
 *   pages and moved first events correct themselves;
 * - visitor counters (visitors, engaged_visitors, scroll_depth_sum) are exact: for each touched
 *   visitor-day the set of rows the visitor counts in is computed before and after the flush from that
 *   visitor's stored visits and events, and the difference is added.
 * Grains: site totals at m/h/d, `page` at h/d, everything else at d (one list: GRAINS).
 */
import { ROLLUP_COUNTERS, SESSION_DIMENSIONS, type Counters, type SessionDimension } from '../../events/vocabulary';
import { bucketOf, toLocalMs, type Grain } from '../lib/time';
import type { FactEvent, StoredEvent, Visit } from './model';
import type { VisitChange } from './visits';

export const GRAINS = { total: ['m', 'h', 'd'], page: ['h', 'd'], other: ['d'] } as const satisfies Record<string, readonly Grain[]>;

/** A visit's value of each visit dimension. */
export const VISIT_DIMENSION_VALUE: Readonly<Record<SessionDimension, (v: Visit) => string>> = {
  entry_page: (v) => v.entryPage,
  exit_page: (v) => v.exitPage,
  source: (v) => v.source,
  referrer: (v) => v.referrer,
  channel: (v) => v.channel,
  utm_source: (v) => v.utmSource,
  utm_medium: (v) => v.utmMedium,
  utm_campaign: (v) => v.utmCampaign,
  country: (v) => v.country,
  browser: (v) => v.browser,
  os: (v) => v.os,
  device: (v) => v.device,
};

/** Where a rollup row lives: PK(site_id, grain, dimension, bucket, value_key); `dimension` '' = site totals. */
export interface RollupKey {
  siteId: number;
  grain: Grain;
  dimension: string;
  bucket: number;
  value: string;
}

export interface RollupDelta extends RollupKey {
  counters: Counters;
}

export const zeroCounters = (): Counters => {
  const c = {} as Counters;
  for (const n of ROLLUP_COUNTERS) c[n] = 0;
  return c;
};

/**
 * Rows by (site, grain, dimension, bucket, value), one Map per level. Each level's key is a number or a
 * string V8 has hashed before (the literal grains and dimensions, the event's own path or value), so
 * finding a row builds no key string: a joined `site|grain|dimension|bucket|value` key per addition,
 * ~30 of them per event, was the flush's costliest function (ARCHITECTURE.md "Visitor deltas").
 */
export class RowTree<R extends RollupKey> {
  private readonly sites = new Map<number, Map<string, Map<string, Map<number, Map<string, R>>>>>();
  /** Every row, in the order first seen. */
  readonly list: R[] = [];

  constructor(private readonly make: (siteId: number, grain: Grain, dimension: string, bucket: number, value: string) => R) {}

  get(siteId: number, grain: Grain, dimension: string, bucket: number, value: string): R | undefined {
    return this.sites.get(siteId)?.get(grain)?.get(dimension)?.get(bucket)?.get(value);
  }

  at(siteId: number, grain: Grain, dimension: string, bucket: number, value: string): R {
    let grains = this.sites.get(siteId);
    if (grains === undefined) this.sites.set(siteId, (grains = new Map()));
    let dimensions = grains.get(grain);
    if (dimensions === undefined) grains.set(grain, (dimensions = new Map()));
    let buckets = dimensions.get(dimension);
    if (buckets === undefined) dimensions.set(dimension, (buckets = new Map()));
    let values = buckets.get(bucket);
    if (values === undefined) buckets.set(bucket, (values = new Map()));
    let r = values.get(value);
    if (r === undefined) {
      values.set(value, (r = this.make(siteId, grain, dimension, bucket, value)));
      this.list.push(r);
    }
    return r;
  }
}

/**
 * Collapses many additions into one row per key. Minute rows before `minuteFloor` are not written at all:
 * they only feed realtime and the prune deletes them after 48 h anyway (a backfill would write and delete
 * a row per minute of its days).
 */
export function createRollupAccumulator(minuteFloor = -Infinity) {
  const rows = new RowTree<RollupDelta>((siteId, grain, dimension, bucket, value) => ({
    siteId,
    grain,
    dimension,
    bucket,
    value,
    counters: zeroCounters(),
  }));
  const row = (siteId: number, grain: Grain, dimension: string, bucket: number, value: string): Counters =>
    rows.at(siteId, grain, dimension, bucket, value).counters;
  return {
    row,
    add(siteId: number, grain: Grain, dimension: string, bucket: number, value: string, c: Partial<Counters>, sign = 1): void {
      if (grain === 'm' && bucket < minuteFloor) return;
      const target = row(siteId, grain, dimension, bucket, value);
      // only the counters given (1–5 of them): this runs ~30 times per event
      for (const n in c) target[n as keyof Counters] += sign * (c[n as keyof Counters] ?? 0);
    },
    /** non-zero rows only */
    rows: (): RollupDelta[] => rows.list.filter((r) => ROLLUP_COUNTERS.some((n) => r.counters[n] !== 0)),
  };
}
export type RollupAccumulator = ReturnType<typeof createRollupAccumulator>;

/** What one new event adds in its own bucket. */
export function addEventCounters(acc: RollupAccumulator, e: FactEvent): void {
  const d = e.data;
  const local = toLocalMs(e.time, e.timezone);
  if (d.bot) {
    for (const g of GRAINS.total) acc.add(e.siteId, g, '', bucketOf(local, g), '', { bot_events: 1 });
    return;
  }
  if (d.kind === 'engagement') {
    for (const g of GRAINS.page) acc.add(e.siteId, g, 'page', bucketOf(local, g), d.path, { engaged_ms: d.engagementMs });
    return;
  }
  const counts = d.kind === 'pageview' ? { pageviews: 1 } : { events: 1 };
  for (const g of GRAINS.total) acc.add(e.siteId, g, '', bucketOf(local, g), '', counts);
  if (d.kind === 'pageview') for (const g of GRAINS.page) acc.add(e.siteId, g, 'page', bucketOf(local, g), d.path, counts);
  else for (const g of GRAINS.other) acc.add(e.siteId, g, 'event', bucketOf(local, g), d.name, counts);
}

/** What one visit adds (sign −1 takes a stored state back out). The visit belongs to its first event's buckets. */
export function addVisitCounters(acc: RollupAccumulator, v: Visit, timezone: string, sign: number): void {
  const local = toLocalMs(v.startedAt, timezone);
  const visit = { visits: 1, bounces: v.pageviews === 1 ? 1 : 0, duration_ms: v.endedAt - v.startedAt };
  for (const g of GRAINS.total) acc.add(v.siteId, g, '', bucketOf(local, g), '', visit, sign);
  const perValue = { ...visit, pageviews: v.pageviews, events: v.events };
  for (const g of GRAINS.other) {
    const bucket = bucketOf(local, g);
    for (const dim of SESSION_DIMENSIONS) acc.add(v.siteId, g, dim, bucket, VISIT_DIMENSION_VALUE[dim](v), perValue, sign);
  }
}

/** The visitor counters of one row for one visitor: 1 visitor, or an engaged visitor with their deepest scroll. */
type VisitorCounters = Pick<Counters, 'visitors' | 'engaged_visitors' | 'scroll_depth_sum'>;

/** One visitor-day: the visitor's visits (visitor_id = the visitor) and events, before or after the flush. */
export interface VisitorState {
  visits: readonly Visit[];
  events: readonly StoredEvent[];
}

type VisitorRow = RollupKey & VisitorCounters & { key: number | string };

/** Row kinds (grain × dimension) and values, numbered for VisitorRowSet's keys. */
const DIMENSION_IDS = new Map<string, number>(['', 'page', 'event', ...SESSION_DIMENSIONS].map((d, i) => [d, i]));
const GRAIN_IDS: Readonly<Record<Grain, number>> = { m: 0, h: 1, d: 2 };
const KIND_BITS = 64; // > 3 grains × 15 dimensions
const VALUE_IDS = 2 ** 21;
const MINUTES = 2 ** 26; // ±127 years of 1970: minute × VALUE_IDS × KIND_BITS stays below 2^53

/**
 * The rows one visitor-day counts in, each found by one number: the bucket's minute, the grain and
 * dimension, and the value's index in the visitor's own list of values (shared by the before and after
 * sets, so equal rows get equal numbers). A visitor counts in a few dozen rows; a RowTree per set built
 * ~35 Maps for them, the flush's largest allocation after the statements' parameters. A row the number
 * cannot hold exactly (a bucket past ±127 years of 1970, a visitor with 2 M values, a dimension not in
 * DIMENSION_IDS) gets a string key.
 */
class VisitorRowSet {
  private readonly rows = new Map<number | string, VisitorRow>();
  readonly list: VisitorRow[] = [];

  constructor(
    private readonly siteId: number,
    private readonly values: Map<string, number>,
  ) {}

  private keyOf(grain: Grain, dimension: string, bucket: number, value: string): number | string {
    let v = this.values.get(value);
    if (v === undefined) this.values.set(value, (v = this.values.size));
    const minute = bucket / 60_000; // every grain's buckets are whole minutes
    const d = DIMENSION_IDS.get(dimension);
    if (d === undefined || v >= VALUE_IDS || !(Math.abs(minute) < MINUTES)) return `${grain}|${dimension}|${minute}|${v}`;
    return minute * (VALUE_IDS * KIND_BITS) + v * KIND_BITS + d * 3 + GRAIN_IDS[grain];
  }

  at(grain: Grain, dimension: string, bucket: number, value: string): VisitorRow {
    const key = this.keyOf(grain, dimension, bucket, value);
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { siteId: this.siteId, grain, dimension, bucket, value, key, visitors: 0, engaged_visitors: 0, scroll_depth_sum: 0 };
      this.rows.set(key, r);
      this.list.push(r);
    }
    return r;
  }

  get(key: number | string): VisitorRow | undefined {
    return this.rows.get(key);
  }
}

/** The rows a visitor counts in, with what they count there. */
function visitorRows(siteId: number, timezone: string, s: VisitorState, values: Map<string, number>): VisitorRowSet {
  const out = new VisitorRowSet(siteId, values);
  for (const e of s.events) {
    if (e.bot) continue;
    const local = toLocalMs(e.ts, timezone);
    if (e.kind === 'engagement') {
      for (const g of GRAINS.page) {
        const r = out.at(g, 'page', bucketOf(local, g), e.page);
        r.engaged_visitors = 1;
        r.scroll_depth_sum = Math.max(r.scroll_depth_sum, e.scrollDepth ?? 0);
      }
      continue;
    }
    for (const g of GRAINS.total) out.at(g, '', bucketOf(local, g), '').visitors = 1;
    if (e.kind === 'pageview') for (const g of GRAINS.page) out.at(g, 'page', bucketOf(local, g), e.page).visitors = 1;
    else for (const g of GRAINS.other) out.at(g, 'event', bucketOf(local, g), e.name).visitors = 1;
  }
  for (const v of s.visits) {
    const local = toLocalMs(v.startedAt, timezone);
    for (const g of GRAINS.other) {
      const bucket = bucketOf(local, g);
      for (const dim of SESSION_DIMENSIONS) out.at(g, dim, bucket, VISIT_DIMENSION_VALUE[dim](v)).visitors = 1;
    }
  }
  return out;
}

const VISITOR_COUNTERS = ['visitors', 'engaged_visitors', 'scroll_depth_sum'] as const;

/** after − before of one visitor-day's rows. */
export function addVisitorDelta(acc: RollupAccumulator, siteId: number, timezone: string, before: VisitorState, after: VisitorState): void {
  const values = new Map<string, number>();
  const a = visitorRows(siteId, timezone, after, values);
  const b = visitorRows(siteId, timezone, before, values);
  for (const r of a.list) {
    const old = b.get(r.key);
    const diff: Partial<Counters> = {};
    let any = false;
    for (const n of VISITOR_COUNTERS) {
      const d = r[n] - (old?.[n] ?? 0);
      if (d !== 0) {
        diff[n] = d;
        any = true;
      }
    }
    if (any) acc.add(siteId, r.grain, r.dimension, r.bucket, r.value, diff);
  }
  for (const r of b.list) {
    if (a.get(r.key) !== undefined) continue;
    acc.add(
      siteId,
      r.grain,
      r.dimension,
      r.bucket,
      r.value,
      { visitors: r.visitors, engaged_visitors: r.engaged_visitors, scroll_depth_sum: r.scroll_depth_sum },
      -1,
    );
  }
}

export interface TouchedVisitor {
  siteId: number;
  timezone: string;
  visitorId: string;
  before: VisitorState;
  after: VisitorState;
}

export interface DeltaInput {
  /** the new (deduplicated) events */
  events: readonly FactEvent[];
  changed: readonly VisitChange[];
  removed: readonly Visit[];
  timezones: ReadonlyMap<number, string>;
  visitors: readonly TouchedVisitor[];
  /** Minute buckets before this are past their retention: not written (default: all written). */
  minuteFloor?: number;
}

/** Work between two pauses of computeDeltas: a few ms, so the statements a flush runs meanwhile go on. */
const PAUSE_EVERY = 1000;

/**
 * Every rollup delta of a flush (non-zero rows only). `pause` is awaited every PAUSE_EVERY events, visits
 * and visitor-days: the flush writes its facts meanwhile (flush.ts), and each pause lets the next of
 * those statements be sent, so the database works on them while this computes.
 */
export async function computeDeltas(input: DeltaInput, pause: () => Promise<void> = async () => undefined): Promise<RollupDelta[]> {
  const acc = createRollupAccumulator(input.minuteFloor);
  const tz = (siteId: number) => input.timezones.get(siteId) ?? 'UTC';
  let work = 0;
  // a plain counter test, so only every PAUSE_EVERY-th item awaits (not a promise per event)
  const due = () => ++work % PAUSE_EVERY === 0;
  for (const e of input.events) {
    addEventCounters(acc, e);
    if (due()) await pause();
  }
  for (const { before, after } of input.changed) {
    if (before !== undefined) addVisitCounters(acc, before, tz(before.siteId), -1);
    addVisitCounters(acc, after, tz(after.siteId), 1);
    if (due()) await pause();
  }
  for (const v of input.removed) addVisitCounters(acc, v, tz(v.siteId), -1);
  for (const t of input.visitors) {
    addVisitorDelta(acc, t.siteId, t.timezone, t.before, t.after);
    if (due()) await pause();
  }
  return acc.rows();
}

/** Site-total sketch rows (grains h and m) and the visitorIds each gets: ranges that cut a day, realtime. */
export interface SketchAdd {
  siteId: number;
  grain: 'h' | 'm';
  bucket: number;
  visitorIds: string[];
}

export function sketchAdds(events: readonly FactEvent[], minuteFloor = -Infinity): SketchAdd[] {
  const out = new Map<string, { siteId: number; grain: 'h' | 'm'; bucket: number; ids: Set<string> }>();
  for (const e of events) {
    if (e.data.bot || e.data.kind === 'engagement') continue;
    const local = toLocalMs(e.time, e.timezone);
    for (const g of ['h', 'm'] as const) {
      const bucket = bucketOf(local, g);
      if (g === 'm' && bucket < minuteFloor) continue;
      const k = `${e.siteId}|${g}|${bucket}`;
      let s = out.get(k);
      if (s === undefined) out.set(k, (s = { siteId: e.siteId, grain: g, bucket, ids: new Set() }));
      s.ids.add(e.data.visitorId);
    }
  }
  return [...out.values()].map(({ ids, ...k }) => ({ ...k, visitorIds: [...ids].sort() }));
}
