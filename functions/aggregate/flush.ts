/**
 * One flush, inside one transaction: dedupe (unless the caller skips the read, see FlushOptions), load
 * the touched people's visits (locked), derive the visits, load the touched visitor-days' events (locked),
 * write the facts while computing the deltas, write the rollups. The pure steps live in visits.ts and
 * deltas.ts; the SQL in statements.ts.
 */
import { computeDeltas, sketchAdds, type RollupDelta, type TouchedVisitor, type VisitorState } from './deltas';
import { toStoredEvent, type FactEvent, type StoredEvent, type Visit } from './model';
import type { Statements } from './statements';
import { deriveVisits } from './visits';
import { DAY_MS } from '../lib/time';

export interface FlushResult {
  written: number;
  duplicates: number;
  visits: number;
  rollupRows: number;
}

export interface FlushOptions {
  /** Check the legacy v1 `processed_events` too (while it still has rows). */
  legacyDedupe: boolean;
  /** Minute rows before this bucket are past retention and not written (the writer: now − 48 h). */
  minuteFloor?: number;
  /**
   * Skip the read of which events are stored already (default false): the events INSERT then fails on a
   * stored one with a duplicate key, and the caller must roll back and flush again without skipping
   * (the writer does; writer.ts "optimistic dedupe").
   */
  skipStoredCheck?: boolean;
}

/** Lets I/O callbacks run (a finished statement sends the next) in the middle of a long computation. */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Visitor ids by site, then by the day of their salt (statements.ts `VisitorIdsByDay`). */
type IdsBySite = Map<number, Map<number, Set<string>>>;
const addId = (m: IdsBySite, siteId: number, day: number, id: string) => {
  if (id === '') return;
  let days = m.get(siteId);
  if (days === undefined) m.set(siteId, (days = new Map()));
  let s = days.get(day);
  if (s === undefined) days.set(day, (s = new Set()));
  s.add(id);
};
const has = (m: IdsBySite, siteId: number, day: number, id: string) => m.get(siteId)?.get(day)?.has(id) === true;

export async function flushEvents(sql: Statements, batch: readonly FactEvent[], opts: FlushOptions): Promise<FlushResult> {
  // 1. dedupe: inside the batch, then against the events table (and the legacy table)
  const byKey = new Map<string, FactEvent>();
  for (const e of batch) byKey.set(e.key, e);
  const unique = [...byKey.values()];
  const stored = opts.skipStoredCheck === true ? new Set<string>() : await sql.findStoredEvents(unique);
  if (opts.legacyDedupe)
    for (const k of await sql.findLegacyProcessed(unique.filter((e) => !stored.has(e.key)).map((e) => e.key))) stored.add(k);
  const fresh = unique.filter((e) => !stored.has(e.key));
  const duplicates = batch.length - fresh.length;
  if (fresh.length === 0) return { written: 0, duplicates, visits: 0, rollupRows: 0 };

  // 2. the visits of the people the events belong to (by their ids and previous-day ids), locked
  const ids: IdsBySite = new Map();
  for (const e of fresh) {
    if (e.data.bot) continue;
    addId(ids, e.siteId, e.day, e.data.visitorId);
    addId(ids, e.siteId, e.day - DAY_MS, e.data.prevVisitorId);
  }
  const candidates = await sql.loadVisitsByIds(ids, true);

  // 3. the pure visit derivation
  const derived = deriveVisits(candidates, fresh);

  // 4. the touched visitor-days: every visitor of a new event or of a changed/removed visit
  const touched: IdsBySite = new Map();
  for (const e of fresh) if (!e.data.bot) addId(touched, e.siteId, e.day, e.data.visitorId);
  for (const { before, after } of derived.changed) {
    if (before !== undefined) addId(touched, before.siteId, before.day, before.visitorId);
    addId(touched, after.siteId, after.day, after.visitorId);
  }
  for (const v of derived.removed) addId(touched, v.siteId, v.day, v.visitorId);
  const missing: IdsBySite = new Map();
  for (const [siteId, days] of touched)
    for (const [day, set] of days) for (const id of set) if (!has(ids, siteId, day, id)) addId(missing, siteId, day, id);
  const more = missing.size === 0 ? [] : await sql.loadVisitsByIds(missing, false);
  const storedEvents = await sql.loadEventsByVisitor(touched);

  const timezones = new Map<number, string>();
  for (const e of fresh) timezones.set(e.siteId, e.timezone);
  const visitorKey = (siteId: number, visitorId: string) => `${siteId}|${visitorId}`;
  const states = new Map<
    string,
    {
      siteId: number;
      visitorId: string;
      before: { visits: Visit[]; events: StoredEvent[] };
      after: { visits: Visit[]; events: StoredEvent[] };
    }
  >();
  for (const [siteId, days] of touched)
    for (const set of days.values())
      for (const visitorId of set)
        states.set(visitorKey(siteId, visitorId), {
          siteId,
          visitorId,
          before: { visits: [], events: [] },
          after: { visits: [], events: [] },
        });
  const stateOf = (siteId: number, visitorId: string) => states.get(visitorKey(siteId, visitorId));
  const gone = new Set(derived.removed.map((v) => `${v.siteId}|${v.visitKey}`));
  const replaced = new Set(derived.changed.filter((c) => c.before !== undefined).map((c) => `${c.after.siteId}|${c.after.visitKey}`));
  const seenVisits = new Set<string>();
  for (const v of [...candidates, ...more]) {
    const k = `${v.siteId}|${v.visitKey}`;
    if (seenVisits.has(k)) continue;
    seenVisits.add(k);
    const s = stateOf(v.siteId, v.visitorId);
    if (s === undefined) continue;
    s.before.visits.push(v);
    if (!gone.has(k) && !replaced.has(k)) s.after.visits.push(v);
  }
  for (const { after } of derived.changed) stateOf(after.siteId, after.visitorId)?.after.visits.push(after);
  for (const e of storedEvents) {
    const s = stateOf(e.siteId, e.visitorId);
    s?.before.events.push(e);
    s?.after.events.push(e);
  }
  const visitKeyOf = (key: string) => derived.eventVisit.get(key) ?? '';
  for (const e of fresh) if (!e.data.bot) stateOf(e.siteId, e.data.visitorId)?.after.events.push(toStoredEvent(e, visitKeyOf(e.key)));
  const visitors: TouchedVisitor[] = [...states.values()].map((s) => ({
    siteId: s.siteId,
    timezone: timezones.get(s.siteId) ?? 'UTC',
    visitorId: s.visitorId,
    before: s.before satisfies VisitorState,
    after: s.after satisfies VisitorState,
  }));

  // 5. write the facts, and meanwhile compute the deltas (pure): this JavaScript runs while the database
  //    works on the inserts, each pause of computeDeltas sending the next statement
  const facts = (async () => {
    await sql.insertEvents(fresh, visitKeyOf);
    await sql.insertProps(fresh.filter((e) => Object.keys(e.data.props).length > 0));
    await sql.deleteVisits(derived.removed);
    await sql.insertVisits(derived.changed.filter((c) => c.before === undefined).map((c) => c.after));
    await sql.replaceVisits(derived.changed.filter((c) => c.before !== undefined).map((c) => c.after));
    const moves = derived.removed.map((v) => ({ siteId: v.siteId, from: v.visitKey, to: derived.moves.get(v.visitKey) ?? v.visitKey }));
    await sql.moveEvents(moves.filter((m) => m.from !== m.to));
  })();
  facts.catch(() => undefined); // awaited below; a failure while the deltas are computed is not unhandled
  let deltas: RollupDelta[];
  try {
    deltas = await computeDeltas(
      { events: fresh, changed: derived.changed, removed: derived.removed, timezones, visitors, minuteFloor: opts.minuteFloor },
      yieldToIo,
    );
  } finally {
    // never leave a statement running past the flush (its transaction ends when this returns or throws)
    await facts.catch(() => undefined);
  }
  await facts;

  // 6. write the rollups and sketches
  await sql.addRollups(deltas);
  await sql.addSketches(sketchAdds(fresh, opts.minuteFloor));
  return { written: fresh.length, duplicates, visits: derived.changed.length, rollupRows: deltas.length };
}
