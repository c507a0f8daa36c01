/**
 * Where a visit is derived (ARCHITECTURE.md "Visits are derived by aggregate"), pure: stored visits of
 * the people a batch touches plus the batch's events in, the changed visits out.
 *
 * A visit is a maximal run of one person's pageviews and custom events with no gap over 30 minutes
 * (VISIT_INACTIVITY_MS; exactly 30 minutes continues). An event joins every visit of the same person
 * whose [start − 30 min, end + 30 min] holds it, and those visits merge: the visits are the connected
 * components of "same person and within 30 minutes", which do not depend on the arrival order. A visit is
 * a summary that merges associatively (min/max by (time, key), sums), so no stored event is re-read.
 */
import { VISIT_INACTIVITY_MS } from '../../events/vocabulary';
import { isVisitEvent, joinPageKeys, valueKeyOf, visitKeyOf, type FactEvent, type Visit } from './model';

/** a happened before b; equal timestamps break by event key. */
const before = (aTime: number, aKey: string, bTime: number, bKey: string): boolean => aTime < bTime || (aTime === bTime && aKey < bKey);

/** The one-event visit of a pageview or custom event. */
export function visitOfEvent(e: FactEvent): Visit {
  const d = e.data;
  const pv = d.kind === 'pageview';
  return {
    siteId: e.siteId,
    visitKey: visitKeyOf(e.time, e.key),
    visitorId: d.visitorId,
    prevVisitorId: d.prevVisitorId,
    day: e.day,
    startedAt: e.time,
    firstEventKey: e.key,
    endedAt: e.time,
    lastEventKey: e.key,
    pageviews: pv ? 1 : 0,
    events: pv ? 0 : 1,
    entryPage: pv ? d.path : '',
    entryAt: pv ? e.time : null,
    entryEventKey: pv ? e.key : '',
    exitPage: pv ? d.path : '',
    exitAt: pv ? e.time : null,
    exitEventKey: pv ? e.key : '',
    referrer: d.referrer,
    source: d.source,
    channel: d.channel,
    utmSource: d.utmSource,
    utmMedium: d.utmMedium,
    utmCampaign: d.utmCampaign,
    utmContent: d.utmContent,
    utmTerm: d.utmTerm,
    country: d.country,
    browser: d.browser,
    os: d.os,
    device: d.device,
    pageKeys: pv ? valueKeyOf(d.path) : '',
  };
}

/**
 * `mergeVisits(visitOfEvent(e), v)` done to `v` in place, for a visit this derivation built itself (no one
 * else holds it) whose first event comes before `e` (true of every such visit: it holds an event of the
 * batch sorted before `e`): its first event, and so its ids, key and dimensions, stay; counts, last event,
 * entry, exit and page keys take `e` in. Saves two 30-field objects and two digests per event.
 */
function extendVisit(v: Visit, e: FactEvent): void {
  const d = e.data;
  const pv = d.kind === 'pageview';
  if (pv) v.pageviews++;
  else v.events++;
  if (before(v.endedAt, v.lastEventKey, e.time, e.key)) {
    v.endedAt = e.time;
    v.lastEventKey = e.key;
  }
  if (!pv) return;
  if (v.entryAt === null || before(e.time, e.key, v.entryAt, v.entryEventKey)) {
    v.entryPage = d.path;
    v.entryAt = e.time;
    v.entryEventKey = e.key;
  }
  if (v.exitAt === null || before(v.exitAt, v.exitEventKey, e.time, e.key)) {
    v.exitPage = d.path;
    v.exitAt = e.time;
    v.exitEventKey = e.key;
  }
  v.pageKeys = joinPageKeys(valueKeyOf(d.path), v.pageKeys);
}

/** One visit of the events of both: commutative and associative. */
export function mergeVisits(a: Visit, b: Visit): Visit {
  const first = before(a.startedAt, a.firstEventKey, b.startedAt, b.firstEventKey) ? a : b;
  const last = before(a.endedAt, a.lastEventKey, b.endedAt, b.lastEventKey) ? b : a;
  // the first event decides the ids, day, start and dimensions (and the key: its time and a hash of its key)
  const out: Visit = { ...first, pageviews: a.pageviews + b.pageviews, events: a.events + b.events };
  out.visitKey = visitKeyOf(first.startedAt, first.firstEventKey);
  out.endedAt = last.endedAt;
  out.lastEventKey = last.lastEventKey;
  const entry = a.entryAt === null ? b : b.entryAt === null ? a : before(a.entryAt, a.entryEventKey, b.entryAt, b.entryEventKey) ? a : b;
  out.entryPage = entry.entryPage;
  out.entryAt = entry.entryAt;
  out.entryEventKey = entry.entryEventKey;
  const exit = a.exitAt === null ? b : b.exitAt === null ? a : before(a.exitAt, a.exitEventKey, b.exitAt, b.exitEventKey) ? b : a;
  out.exitPage = exit.exitPage;
  out.exitAt = exit.exitAt;
  out.exitEventKey = exit.exitEventKey;
  out.pageKeys = joinPageKeys(a.pageKeys, b.pageKeys);
  return out;
}

/**
 * Same person (ARCHITECTURE.md): equal visitorIds, or one's previous-day id is the other's id — a
 * visit crossing the site's midnight stays one visit. A visit is represented by its first event's ids.
 */
export function samePerson(v: Pick<Visit, 'visitorId' | 'prevVisitorId'>, e: { visitorId: string; prevVisitorId: string }): boolean {
  return v.visitorId === e.visitorId || v.visitorId === e.prevVisitorId || v.prevVisitorId === e.visitorId;
}

const inWindow = (v: Visit, t: number): boolean => v.startedAt - VISIT_INACTIVITY_MS <= t && t <= v.endedAt + VISIT_INACTIVITY_MS;

export interface VisitChange {
  /** the stored row it replaces (same key), if any */
  before: Visit | undefined;
  after: Visit;
}

export interface VisitDerivation {
  /** Visits to insert (new key) or replace (stored key, changed). */
  changed: VisitChange[];
  /** Stored visits that are gone: merged into another, or re-keyed because their first event changed. */
  removed: Visit[];
  /** removed visit key → the key of the visit its events now belong to (`UPDATE events SET visit_key`). */
  moves: Map<string, string>;
  /** The visit key of each new event ('' for bots, and engagement outside every visit). */
  eventVisit: Map<string, string>;
  /** Every visit of the touched people after the batch, changed or not (for the visitor sets). */
  all: Visit[];
}

/** Visits of one site, found by the ids of their first event. */
function createVisitIndex() {
  const byId = new Map<string, Set<Visit>>();
  const put = (id: string, v: Visit) => {
    if (id === '') return;
    let s = byId.get(id);
    if (s === undefined) byId.set(id, (s = new Set()));
    s.add(v);
  };
  const drop = (id: string, v: Visit) => byId.get(id)?.delete(v);
  return {
    add(v: Visit) {
      put(v.visitorId, v);
      put(v.prevVisitorId, v);
    },
    remove(v: Visit) {
      drop(v.visitorId, v);
      drop(v.prevVisitorId, v);
    },
    /** visits of the same person as an event with these ids */
    candidates(visitorId: string, prevVisitorId: string): Visit[] {
      const out = new Set<Visit>();
      for (const id of [visitorId, prevVisitorId])
        for (const v of byId.get(id) ?? []) if (samePerson(v, { visitorId, prevVisitorId })) out.add(v);
      return [...out];
    },
  };
}

/**
 * The core. `stored` must hold every stored visit whose visitor_id or prev_visitor_id is one of the
 * events' visitorIds or prevVisitorIds (the writer loads them locked); `events` must be new (deduplicated).
 */
export function deriveVisits(stored: readonly Visit[], events: readonly FactEvent[]): VisitDerivation {
  const indexes = new Map<number, ReturnType<typeof createVisitIndex>>();
  const indexOf = (siteId: number) => {
    let i = indexes.get(siteId);
    if (i === undefined) indexes.set(siteId, (i = createVisitIndex()));
    return i;
  };
  /** the visit each stored visit / new event ended up in: follow `into` until it ends */
  const into = new Map<Visit, Visit>();
  const resolve = (v: Visit): Visit => {
    let x = v;
    for (let next = into.get(x); next !== undefined; next = into.get(x)) x = next;
    return x;
  };
  const storedByKey = new Map<string, Visit>();
  for (const v of stored) {
    storedByKey.set(`${v.siteId}|${v.visitKey}`, v);
    indexOf(v.siteId).add(v);
  }
  const live = new Set<Visit>(stored);
  /** visits made here (not stored ones, which are the `before` of a change): extended in place */
  const built = new Set<Visit>();
  const eventOf = new Map<string, Visit>();
  const engagements: FactEvent[] = [];
  // time order makes most events extend the visit just before them (one candidate); the result does not depend on it
  const sorted = [...events].sort((a, b) => a.time - b.time || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const e of sorted) {
    if (!isVisitEvent(e.data)) {
      if (!e.data.bot) engagements.push(e);
      continue;
    }
    const index = indexOf(e.siteId);
    const merged = index.candidates(e.data.visitorId, e.data.prevVisitorId).filter((c) => inWindow(c, e.time));
    const only = merged.length === 1 ? merged[0]! : undefined;
    if (only !== undefined && built.has(only) && before(only.startedAt, only.firstEventKey, e.time, e.key)) {
      // the common case: the event extends the one visit this batch already built for the person
      extendVisit(only, e);
      eventOf.set(e.key, only);
      continue;
    }
    let visit = visitOfEvent(e);
    for (const c of merged) {
      visit = mergeVisits(visit, c);
      index.remove(c);
      live.delete(c);
    }
    for (const c of merged) into.set(c, visit);
    index.add(visit);
    live.add(visit);
    built.add(visit);
    eventOf.set(e.key, visit);
  }

  const changed: VisitChange[] = [];
  const removed: Visit[] = [];
  const moves = new Map<string, string>();
  for (const v of live) {
    const old = storedByKey.get(`${v.siteId}|${v.visitKey}`);
    if (old === v) continue; // untouched
    changed.push({ before: old, after: v });
  }
  const liveKeys = new Set([...live].map((v) => `${v.siteId}|${v.visitKey}`));
  for (const v of stored) {
    if (liveKeys.has(`${v.siteId}|${v.visitKey}`)) continue;
    removed.push(v);
    moves.set(v.visitKey, resolve(v).visitKey);
  }

  const eventVisit = new Map<string, string>();
  for (const e of events) eventVisit.set(e.key, '');
  for (const [key, v] of eventOf) eventVisit.set(key, resolve(v).visitKey);
  // engagement joins the visit it falls in (started ≤ t ≤ end + 30 min) without changing it
  for (const e of engagements) {
    const index = indexOf(e.siteId);
    const hit = index
      .candidates(e.data.visitorId, e.data.prevVisitorId)
      .filter((v) => v.startedAt <= e.time && e.time <= v.endedAt + VISIT_INACTIVITY_MS)
      .sort((a, b) => b.startedAt - a.startedAt)[0];
    eventVisit.set(e.key, hit?.visitKey ?? '');
  }
  return { changed, removed, moves, eventVisit, all: [...live] };
}
