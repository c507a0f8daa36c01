/**
 * Which statement writes what (ARCHITECTURE.md "Storage v2" tables): every SQL the flush runs, as few
 * large multi-row statements, all inside the flush's transaction. The writes (events, props, visits,
 * rollups, sketches) bind their values: prepared statements on MySQL/MariaDB (lib/db/prepared.ts), in row
 * counts of a fixed set of sizes; SQLite binds Sequelize's replacements itself. The reads and the small
 * DELETE / UPDATE statements use replacements. Reads that feed a delta are locking reads (`FOR UPDATE` on
 * MySQL/MariaDB; SQLite's write transaction serialises), so two writers never both compute from the same
 * stored state.
 */
import { faultPoint } from '../lib/fault';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Dialect } from '../lib/db';
import { forceIndex, type SqlStatement } from '../lib/db/dialect';
import { boundedChunks, preparedRunOf } from '../lib/db/prepared';
import { EVENTS_VISITOR_INDEX, VISITS_PREV_VISITOR_INDEX, VISITS_VISITOR_INDEX } from '../lib/db/migrations/0007-day-visitor-indexes';
import { DAY_MS } from '../lib/time';
import { ROLLUP_COUNTERS } from '../../events/vocabulary';
import type { RollupDelta, SketchAdd } from './deltas';
import { valueKeyOf, type EventKindName, type FactEvent, type StoredEvent, type Visit } from './model';
import { createHll, deserialiseHll } from './hll';

/** Rows per statement: few statements, each well under any packet size. */
export const CHUNK = 1000;

/**
 * Values per `IN (…)` list of a read, DELETE or UPDATE. MariaDB turns a list of 1,000 values or more
 * (`in_predicate_conversion_threshold`) into a semi-join, and on the visits read that semi-join (and an
 * `OR` of two lists on two indexes, at any length past a few hundred) was planned as a scan of the site's
 * whole table, locking every row: the read's cost grew with the table (10 µs per event at 100 k stored
 * events, 37 at 400 k). Shorter lists, one column and one site per statement, stay index lookups.
 */
export const IN_LIST = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const VISIT_COLUMNS = [
  ['site_id', 'siteId'],
  ['visit_key', 'visitKey'],
  ['visitor_id', 'visitorId'],
  ['prev_visitor_id', 'prevVisitorId'],
  ['day', 'day'],
  ['started_at', 'startedAt'],
  ['first_event_key', 'firstEventKey'],
  ['ended_at', 'endedAt'],
  ['last_event_key', 'lastEventKey'],
  ['pageviews', 'pageviews'],
  ['events', 'events'],
  ['entry_page', 'entryPage'],
  ['entry_at', 'entryAt'],
  ['entry_event_key', 'entryEventKey'],
  ['exit_page', 'exitPage'],
  ['exit_at', 'exitAt'],
  ['exit_event_key', 'exitEventKey'],
  ['referrer', 'referrer'],
  ['source', 'source'],
  ['channel', 'channel'],
  ['utm_source', 'utmSource'],
  ['utm_medium', 'utmMedium'],
  ['utm_campaign', 'utmCampaign'],
  ['utm_content', 'utmContent'],
  ['utm_term', 'utmTerm'],
  ['country', 'country'],
  ['browser', 'browser'],
  ['os', 'os'],
  ['device', 'device'],
  ['page_keys', 'pageKeys'],
] as const satisfies readonly (readonly [string, keyof Visit])[];
const NUMERIC_VISIT_FIELDS = new Set<keyof Visit>(['siteId', 'day', 'startedAt', 'endedAt', 'pageviews', 'events', 'entryAt', 'exitAt']);
const VISIT_SELECT = VISIT_COLUMNS.map(([c]) => c).join(',');

function fromVisitRow(row: Record<string, unknown>): Visit {
  const out: Record<string, unknown> = {};
  for (const [column, field] of VISIT_COLUMNS) {
    const v = row[column];
    if (field === 'pageKeys') out[field] = v === null || v === undefined ? null : String(v);
    else out[field] = NUMERIC_VISIT_FIELDS.has(field) ? (v === null || v === undefined ? null : Number(v)) : String(v ?? '');
  }
  return out as unknown as Visit;
}

const EVENT_INSERT_COLUMNS = [
  'site_id',
  'day',
  'event_key',
  'ts',
  'visit_key',
  'visitor_id',
  'kind',
  'bot',
  'name',
  'page',
  'hostname',
  'interactive',
  'engaged_ms',
  'scroll_depth',
  'revenue_amount',
  'revenue_currency',
];

const inList = (n: number) => new Array(n).fill('?').join(',');

/** Groups by site (and by another key), so each statement is one index range of one site. */
function bySite<T>(items: readonly T[], site: (t: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const t of items) {
    const s = site(t);
    const list = out.get(s);
    if (list === undefined) out.set(s, [t]);
    else list.push(t);
  }
  return out;
}

/**
 * Visitor ids by site, then by their day: a visitor id is a hash under one site-local day's salt, so its
 * rows in `events` and `visits` have that day, and a visit whose prev_visitor_id is that id has the next
 * (migration 0007: the lookups go through `(site_id, day, visitor_id)` and `(site_id, day, prev_visitor_id)`).
 */
export type VisitorIdsByDay = ReadonlyMap<number, ReadonlyMap<number, ReadonlySet<string>>>;

export interface Statements {
  /** Event keys of `events` already in the events table (PK lookups grouped by site-day). */
  findStoredEvents(events: readonly FactEvent[]): Promise<Set<string>>;
  /** Event keys in the legacy v1 dedupe table. */
  findLegacyProcessed(keys: readonly string[]): Promise<Set<string>>;
  /** Whether the legacy dedupe table still has rows. */
  hasLegacyProcessed(): Promise<boolean>;
  /**
   * Visits whose visitor_id is one of `ids` (on the ids' day), or (`alsoPrev`) whose prev_visitor_id is (on
   * the day after), per site (locked).
   */
  loadVisitsByIds(ids: VisitorIdsByDay, alsoPrev: boolean): Promise<Visit[]>;
  /** Stored events of these visitors on the ids' day, per site (locked). */
  loadEventsByVisitor(ids: VisitorIdsByDay): Promise<StoredEvent[]>;
  insertEvents(events: readonly FactEvent[], visitKeyOf: (key: string) => string): Promise<void>;
  insertProps(events: readonly FactEvent[]): Promise<void>;
  insertVisits(visits: readonly Visit[]): Promise<void>;
  replaceVisits(visits: readonly Visit[]): Promise<void>;
  deleteVisits(visits: readonly Visit[]): Promise<void>;
  /** `UPDATE events SET visit_key` from every removed visit to the one its events now belong to. */
  moveEvents(moves: readonly { siteId: number; from: string; to: string }[]): Promise<void>;
  addRollups(deltas: readonly RollupDelta[]): Promise<void>;
  addSketches(adds: readonly SketchAdd[]): Promise<void>;
}

export function createStatements(sequelize: Sequelize, dialect: Dialect, t: Transaction): Statements {
  // faultPoint: the crash tests may kill the process between any two statements of the flush.
  const run = (sql: string, replacements: unknown[]) => {
    faultPoint('aggregate.statement');
    return sequelize.query(sql, { replacements, transaction: t });
  };
  const select = <R extends object>(sql: string, replacements: unknown[]) => {
    faultPoint('aggregate.statement');
    return sequelize.query<R>(sql, { replacements, transaction: t, type: QueryTypes.SELECT });
  };
  const prepared = preparedRunOf(t, dialect.kind);
  /** A multi-row write, its values bound (see the header). */
  const write = async (s: SqlStatement): Promise<void> => {
    if (prepared === undefined) {
      await run(s.sql, s.replacements);
      return;
    }
    faultPoint('aggregate.statement');
    await prepared(s.sql, s.replacements);
  };

  /**
   * Rows of `table` whose `column` holds one of a site-day's ids, for each of `columns` (on the ids' day plus
   * `nextDay` days): one statement per site, day, column and IN_LIST ids, through that column's day-local
   * index (named: the optimizer must not choose a scan).
   */
  async function byIds<R extends object>(
    ids: VisitorIdsByDay,
    select0: string,
    table: string,
    columns: readonly { column: string; index: string; nextDay: 0 | 1 }[],
  ): Promise<R[]> {
    const parts: { siteId: number; day: number; part: string[] }[] = [];
    for (const siteId of [...ids.keys()].sort((a, b) => a - b)) {
      const days = ids.get(siteId)!;
      for (const day of [...days.keys()].sort((a, b) => a - b))
        for (const part of chunks([...days.get(day)!].sort(), IN_LIST)) parts.push({ siteId, day, part });
    }
    const out: R[] = [];
    for (const { column, index, nextDay } of columns) {
      const from = `${select0} FROM ${table} ${forceIndex(dialect.kind, index)} WHERE site_id = ? AND day = ? AND ${column} IN`;
      for (const { siteId, day, part } of parts) {
        const rows = await select<R>(`${from} (${inList(part.length)})${dialect.forUpdate}`, [siteId, day + nextDay * DAY_MS, ...part]);
        for (const row of rows) out.push(row);
      }
    }
    return out;
  }

  return {
    async findStoredEvents(events) {
      const seen = new Set<string>();
      const groups = new Map<string, { siteId: number; day: number; keys: string[] }>();
      for (const e of events) {
        const k = `${e.siteId}|${e.day}`;
        const g = groups.get(k);
        if (g === undefined) groups.set(k, { siteId: e.siteId, day: e.day, keys: [e.key] });
        else g.keys.push(e.key);
      }
      for (const { siteId, day, keys } of groups.values()) {
        for (const part of chunks(keys.sort(), IN_LIST)) {
          const rows = await select<{ event_key: string }>(
            `SELECT event_key FROM events WHERE site_id = ? AND day = ? AND event_key IN (${inList(part.length)})`,
            [siteId, day, ...part],
          );
          for (const r of rows) seen.add(r.event_key);
        }
      }
      return seen;
    },

    async findLegacyProcessed(keys) {
      const seen = new Set<string>();
      for (const part of chunks([...keys].sort(), IN_LIST)) {
        const rows = await select<{ event_key: string }>(
          `SELECT event_key FROM processed_events WHERE event_key IN (${inList(part.length)})`,
          part,
        );
        for (const r of rows) seen.add(r.event_key);
      }
      return seen;
    },

    async hasLegacyProcessed() {
      return (await select('SELECT event_key FROM processed_events LIMIT 1', [])).length > 0;
    },

    async loadVisitsByIds(ids, alsoPrev) {
      const byVisitor = { column: 'visitor_id', index: VISITS_VISITOR_INDEX, nextDay: 0 } as const;
      const byPrev = { column: 'prev_visitor_id', index: VISITS_PREV_VISITOR_INDEX, nextDay: 1 } as const;
      const rows = await byIds<Record<string, unknown>>(
        ids,
        `SELECT ${VISIT_SELECT}`,
        'visits',
        alsoPrev ? [byVisitor, byPrev] : [byVisitor],
      );
      const unique = new Map<string, Visit>();
      for (const r of rows) {
        const v = fromVisitRow(r);
        unique.set(`${v.siteId}|${v.visitKey}`, v);
      }
      return [...unique.values()];
    },

    async loadEventsByVisitor(ids) {
      const rows = await byIds<{
        site_id: number | string;
        day: number | string;
        event_key: string;
        ts: number | string;
        visit_key: string;
        visitor_id: string;
        kind: string;
        bot: number | string | boolean;
        name: string;
        page: string;
        engaged_ms: number | string;
        scroll_depth: number | string | null;
      }>(ids, 'SELECT site_id, day, event_key, ts, visit_key, visitor_id, kind, bot, name, page, engaged_ms, scroll_depth', 'events', [
        { column: 'visitor_id', index: EVENTS_VISITOR_INDEX, nextDay: 0 },
      ]);
      return rows.map((r) => ({
        siteId: Number(r.site_id),
        day: Number(r.day),
        eventKey: r.event_key,
        ts: Number(r.ts),
        visitKey: r.visit_key,
        visitorId: r.visitor_id,
        kind: r.kind as EventKindName,
        bot: Number(r.bot) === 1 || r.bot === true,
        name: r.name,
        page: r.page,
        engagedMs: Number(r.engaged_ms),
        scrollDepth: r.scroll_depth === null ? null : Number(r.scroll_depth),
      }));
    },

    async insertEvents(events, visitKeyOf) {
      // in PK order, the same lock order in every writer; a plain INSERT: a concurrent writer's copy is a duplicate-key retry
      const sorted = [...events].sort((a, b) => a.siteId - b.siteId || a.day - b.day || (a.key < b.key ? -1 : 1));
      for (const part of boundedChunks(sorted, CHUNK)) {
        const s = dialect.insert(
          'events',
          EVENT_INSERT_COLUMNS,
          part.map((e) => {
            const d = e.data;
            return [
              e.siteId,
              e.day,
              e.key,
              e.time,
              visitKeyOf(e.key),
              d.visitorId,
              d.kind,
              d.bot ? 1 : 0,
              d.kind === 'event' ? d.name : '',
              d.path,
              d.hostname,
              d.interactive ? 1 : 0,
              d.kind === 'engagement' ? d.engagementMs : 0,
              d.kind === 'engagement' ? d.scrollDepth : null,
              d.revenue?.amount ?? '',
              d.revenue?.currency ?? '',
            ];
          }),
        );
        await write(s);
      }
    },

    async insertProps(events) {
      const rows: unknown[][] = [];
      for (const e of events) for (const [k, v] of Object.entries(e.data.props)) rows.push([e.siteId, e.day, e.key, k, v]);
      for (const part of boundedChunks(rows, CHUNK)) {
        const s = dialect.insert('event_props', ['site_id', 'day', 'event_key', 'prop_key', 'prop_value'], part);
        await write(s);
      }
    },

    async insertVisits(visits) {
      for (const part of boundedChunks(visits, CHUNK)) {
        const s = dialect.insert(
          'visits',
          VISIT_COLUMNS.map(([c]) => c),
          part.map((v) => VISIT_COLUMNS.map(([, f]) => v[f])),
        );
        await write(s);
      }
    },

    async replaceVisits(visits) {
      for (const part of boundedChunks(visits, CHUNK)) {
        const s = dialect.upsertReplace(
          'visits',
          ['site_id', 'visit_key'],
          VISIT_COLUMNS.slice(2).map(([c]) => c),
          part.map((v) => VISIT_COLUMNS.map(([, f]) => v[f])),
        );
        await write(s);
      }
    },

    async deleteVisits(visits) {
      for (const [siteId, list] of bySite(visits, (v) => v.siteId)) {
        for (const part of chunks(list.map((v) => v.visitKey).sort(), IN_LIST)) {
          await run(`DELETE FROM visits WHERE site_id = ? AND visit_key IN (${inList(part.length)})`, [siteId, ...part]);
        }
      }
    },

    async moveEvents(moves) {
      for (const [siteId, list] of bySite(moves, (m) => m.siteId)) {
        for (const part of chunks(list, IN_LIST)) {
          await run(
            `UPDATE events SET visit_key = CASE visit_key ${part.map(() => 'WHEN ? THEN ?').join(' ')} ELSE visit_key END WHERE site_id = ? AND visit_key IN (${inList(part.length)})`,
            [...part.flatMap((m) => [m.from, m.to]), siteId, ...part.map((m) => m.from)],
          );
        }
      }
    },

    async addRollups(deltas) {
      // in key order: the same lock order in every writer
      const keyed = deltas.map((d) => ({ d, valueKey: valueKeyOf(d.value) }));
      const k = (x: (typeof keyed)[number]) => `${x.d.siteId}|${x.d.grain}|${x.d.dimension}|${x.d.bucket}|${x.valueKey}`;
      const sorted = keyed.map((x) => ({ x, s: k(x) })).sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
      for (const part of boundedChunks(sorted, CHUNK)) {
        const s = dialect.upsertAdd(
          'rollups',
          ['site_id', 'grain', 'dimension', 'bucket', 'value_key'],
          ROLLUP_COUNTERS,
          part.map(({ x }) => [
            x.d.siteId,
            x.d.grain,
            x.d.dimension,
            x.d.bucket,
            x.valueKey,
            x.d.value,
            ...ROLLUP_COUNTERS.map((n) => x.d.counters[n]),
          ]),
          ['value'], // fixed by value_key: written once
        );
        await write(s);
      }
    },

    async addSketches(adds) {
      // site totals only: a handful of rows per flush (hours and minutes touched), read locked, merged, written back
      const sorted = [...adds].sort(
        (a, b) => a.siteId - b.siteId || (a.grain < b.grain ? -1 : a.grain > b.grain ? 1 : 0) || a.bucket - b.bucket,
      );
      for (const part of boundedChunks(sorted, 200)) {
        const where = part.map(() => "(site_id = ? AND grain = ? AND dimension = '' AND bucket = ? AND value_key = ?)").join(' OR ');
        const empty = valueKeyOf('');
        const rows = await select<{ site_id: number | string; grain: string; bucket: number | string; sketch: Buffer }>(
          `SELECT site_id, grain, bucket, sketch FROM visitor_sketches WHERE ${where}${dialect.forUpdate}`,
          part.flatMap((a) => [a.siteId, a.grain, a.bucket, empty]),
        );
        const existing = new Map(rows.map((r) => [`${Number(r.site_id)}|${r.grain}|${Number(r.bucket)}`, r.sketch]));
        const update: unknown[][] = [];
        const insert: unknown[][] = [];
        for (const a of part) {
          const old = existing.get(`${a.siteId}|${a.grain}|${a.bucket}`);
          const hll = old === undefined ? createHll() : deserialiseHll(old);
          for (const v of a.visitorIds) hll.add(v);
          (old === undefined ? insert : update).push([a.siteId, a.grain, '', a.bucket, empty, '', hll.serialise()]);
        }
        const key = ['site_id', 'grain', 'dimension', 'bucket', 'value_key'];
        if (update.length > 0) {
          const s = dialect.upsertReplace('visitor_sketches', key, ['value', 'sketch'], update);
          await write(s);
        }
        if (insert.length > 0) {
          const s = dialect.insert('visitor_sketches', [...key, 'value', 'sketch'], insert);
          await write(s);
        }
      }
    },
  };
}
