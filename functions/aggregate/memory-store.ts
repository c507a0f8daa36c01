/**
 * Test support: the writer's Statements over in-memory tables, so flushEvents (dedupe, visit derivation,
 * visitor deltas, writes) runs in unit tests without a database. Same contract as statements.ts: what a
 * flush writes is what the next flush reads.
 */
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { zeroCounters } from './deltas';
import type { FactEvent, StoredEvent, Visit } from './model';
import { toStoredEvent } from './model';
import type { Statements } from './statements';
import { DAY_MS } from '../lib/time';

export interface MemoryTables {
  events: Map<string, StoredEvent>;
  visits: Map<string, Visit>;
  props: Map<string, string>;
  /** `${siteId}|${grain}|${dimension}|${bucket}|${value}` → counters */
  rollups: Map<string, Counters>;
  /** `${siteId}|${grain}|${bucket}` → visitorIds */
  sketches: Map<string, Set<string>>;
  legacyProcessed: Set<string>;
}

export function createMemoryTables(): MemoryTables {
  return { events: new Map(), visits: new Map(), props: new Map(), rollups: new Map(), sketches: new Map(), legacyProcessed: new Set() };
}

const ek = (siteId: number, key: string) => `${siteId}|${key}`;

export function createMemoryStatements(db: MemoryTables): Statements {
  return {
    async findStoredEvents(events: readonly FactEvent[]) {
      return new Set(events.filter((e) => db.events.has(ek(e.siteId, e.key))).map((e) => e.key));
    },
    async findLegacyProcessed(keys) {
      return new Set(keys.filter((k) => db.legacyProcessed.has(k)));
    },
    async hasLegacyProcessed() {
      return db.legacyProcessed.size > 0;
    },
    async loadVisitsByIds(ids, alsoPrev) {
      // as the SQL: an id's visits on its day, and (alsoPrev) the visits it is the previous-day id of on the next
      return [...db.visits.values()].filter((v) => {
        const days = ids.get(v.siteId);
        return days?.get(v.day)?.has(v.visitorId) === true || (alsoPrev && days?.get(v.day - DAY_MS)?.has(v.prevVisitorId) === true);
      });
    },
    async loadEventsByVisitor(ids) {
      return [...db.events.values()].filter((e) => ids.get(e.siteId)?.get(e.day)?.has(e.visitorId) === true);
    },
    async insertEvents(events, visitKeyOf) {
      for (const e of events) {
        const k = ek(e.siteId, e.key);
        if (db.events.has(k)) throw new Error(`duplicate event ${k}`);
        db.events.set(k, toStoredEvent(e, visitKeyOf(e.key)));
      }
    },
    async insertProps(events) {
      for (const e of events) for (const [k, v] of Object.entries(e.data.props)) db.props.set(`${ek(e.siteId, e.key)}|${k}`, String(v));
    },
    async insertVisits(visits) {
      for (const v of visits) {
        const k = ek(v.siteId, v.visitKey);
        if (db.visits.has(k)) throw new Error(`duplicate visit ${k}`);
        db.visits.set(k, v);
      }
    },
    async replaceVisits(visits) {
      for (const v of visits) db.visits.set(ek(v.siteId, v.visitKey), v);
    },
    async deleteVisits(visits) {
      for (const v of visits) db.visits.delete(ek(v.siteId, v.visitKey));
    },
    async moveEvents(moves) {
      for (const m of moves) {
        for (const [k, e] of db.events) if (e.siteId === m.siteId && e.visitKey === m.from) db.events.set(k, { ...e, visitKey: m.to });
      }
    },
    async addRollups(deltas) {
      for (const d of deltas) {
        const k = `${d.siteId}|${d.grain}|${d.dimension}|${d.bucket}|${d.value}`;
        const row = db.rollups.get(k) ?? zeroCounters();
        for (const c of ROLLUP_COUNTERS) row[c] += d.counters[c];
        db.rollups.set(k, row);
      }
    },
    async addSketches(adds) {
      for (const a of adds) {
        const k = `${a.siteId}|${a.grain}|${a.bucket}`;
        const s = db.sketches.get(k) ?? new Set<string>();
        for (const v of a.visitorIds) s.add(v);
        db.sketches.set(k, s);
      }
    },
  };
}
