/**
 * The micro-batch writer (Plausible's write_buffer, with transactions): events are buffered and
 * flushed on size, on time and on close; each flush is ONE transaction that
 *   1. dedupes on the event key (processed_events; duplicates inside the buffer too),
 *   2. loads the touched sessions (locked: SELECT … FOR UPDATE on MySQL),
 *   3. runs the pure core (rollup.ts),
 *   4. writes sessions, adds rollup deltas (multi-row upserts) and merges visitor sketches.
 * A flush that hits a deadlock, a lock wait, a duplicate key from a concurrent writer or a lost
 * connection is retried whole with bounded backoff; after that every `add` in it rejects with a
 * TransientError, so the caller does not commit offsets (or answers 503) and the events come back.
 *
 * Rows that do not exist yet are written with a plain INSERT (never an upsert that could overwrite a
 * concurrent writer's row): if another writer inserted the same key first, the duplicate-key error
 * makes this flush retry and read that row.
 */
import { QueryTypes, Transaction } from 'sequelize';
import type { CloudEvent, EnrichedTraffic } from '../../events';
import type { Database } from '../lib/db';
import { isRetryableDbError } from '../lib/db/retry';
import { TransientError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { DAY_MS, HOUR_MS } from '../lib/time';
import type { SiteInfo } from '../sites/types';
import { createHll, deserialiseHll } from './hll';
import { computeRollup, eventKey, sessionMapKey, touchedSessions, type RollupEvent, type SessionRow } from './rollup';

/** An enriched event and the registered site it belongs to. */
export interface ResolvedEvent {
  event: CloudEvent<EnrichedTraffic>;
  site: SiteInfo;
}

export interface WriterOptions {
  db: Database;
  logger: Logger;
  /** Flush when this many events are buffered (default 5000). */
  maxBatch?: number;
  /** ...or when the oldest buffered event has waited this long (default 250 ms). */
  flushIntervalMs?: number;
  /** Attempts per flush before giving up with a TransientError (default 6). */
  attempts?: number;
  /** First retry delay, doubled per attempt, capped at 5 s (default 100 ms). */
  retryDelayMs?: number;
  /** How often to prune old rows (default 10 min; 0 = never, call prune() yourself). */
  pruneIntervalMs?: number;
  /** Rows deleted per table per prune, so a prune stays short (default 5000). */
  pruneLimit?: number;
  now?: () => number;
}

export interface WriterStats {
  flushes: number;
  written: number;
  duplicates: number;
  retries: number;
  failedFlushes: number;
}

export interface PruneResult {
  processedEvents: number;
  minuteRollups: number;
  minuteSketches: number;
  sessions: number;
}

export interface Writer {
  /** Resolves once these events are committed (or were already); rejects with TransientError. */
  add(events: readonly ResolvedEvent[]): Promise<void>;
  /** Flushes what is buffered now. */
  flush(): Promise<void>;
  /** Deletes rows past their retention (see ARCHITECTURE.md "SQL schema"); bounded by pruneLimit. */
  prune(): Promise<PruneResult>;
  stats(): WriterStats;
  /** Flushes, stops the timers; later adds reject. */
  close(): Promise<void>;
}

/** Retention (ARCHITECTURE.md): dedupe keys outlive Kafka's 7-day retention; minutes only feed realtime. */
export const RETENTION = { processedEventsMs: 8 * DAY_MS, minuteBucketsMs: 48 * HOUR_MS, sessionsMs: 2 * DAY_MS } as const;

const SESSION_COLUMNS: readonly (readonly [string, keyof SessionRow])[] = [
  ['site_id', 'siteId'],
  ['session_key', 'sessionKey'],
  ['session_id', 'sessionId'],
  ['visitor_id', 'visitorId'],
  ['started_at', 'startedAt'],
  ['first_event_id', 'firstEventId'],
  ['ended_at', 'endedAt'],
  ['last_event_id', 'lastEventId'],
  ['pageviews', 'pageviews'],
  ['events', 'events'],
  ['entry_page', 'entryPage'],
  ['entry_at', 'entryAt'],
  ['entry_event_id', 'entryEventId'],
  ['exit_page', 'exitPage'],
  ['exit_at', 'exitAt'],
  ['exit_event_id', 'exitEventId'],
  ['referrer', 'referrer'],
  ['source', 'source'],
  ['channel', 'channel'],
  ['utm_source', 'utmSource'],
  ['utm_medium', 'utmMedium'],
  ['utm_campaign', 'utmCampaign'],
  ['country', 'country'],
  ['browser', 'browser'],
  ['os', 'os'],
  ['device', 'device'],
];
const NUMERIC_SESSION_FIELDS = new Set<keyof SessionRow>(['siteId', 'startedAt', 'endedAt', 'pageviews', 'events', 'entryAt', 'exitAt']);
const SESSION_KEY = ['site_id', 'session_key'];
const BUCKET_KEY = ['site_id', 'grain', 'dimension', 'bucket', 'value_key'];
const ROLLUP_COUNTERS = ['pageviews', 'visits', 'bounces', 'duration_ms', 'events', 'bot_events'];

/** Rows per statement: large enough to be few statements, small enough for any packet size. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `(a = ? AND b = ?) OR (…)`: every dialect turns this into index ranges (row-value IN is not everywhere). */
function whereKeys(columns: readonly string[], count: number): string {
  const one = `(${columns.map((c) => `${c} = ?`).join(' AND ')})`;
  return new Array(count).fill(one).join(' OR ');
}

function fromDbSession(row: Record<string, unknown>): SessionRow {
  const out: Record<string, unknown> = {};
  for (const [column, field] of SESSION_COLUMNS) {
    const v = row[column];
    out[field] = NUMERIC_SESSION_FIELDS.has(field) ? (v === null || v === undefined ? null : Number(v)) : String(v ?? '');
  }
  return out as unknown as SessionRow;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sorted by a string key computed once per row (a comparator that builds both keys costs 4× more on 10k rows). */
function sortedByKey<T>(rows: Iterable<T>, key: (r: T) => string): T[] {
  return [...rows]
    .map((r) => ({ k: key(r), r }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.r);
}

interface Pending {
  events: readonly ResolvedEvent[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function createWriter(opts: WriterOptions): Writer {
  const { db, logger } = opts;
  const { sequelize, dialect } = db;
  const log = logger.child({ component: 'aggregate-writer' });
  const maxBatch = opts.maxBatch ?? 5000;
  const flushIntervalMs = opts.flushIntervalMs ?? 250;
  const attempts = opts.attempts ?? 6;
  const retryDelayMs = opts.retryDelayMs ?? 100;
  const pruneLimit = opts.pruneLimit ?? 5000;
  const now = opts.now ?? Date.now;
  const stats: WriterStats = { flushes: 0, written: 0, duplicates: 0, retries: 0, failedFlushes: 0 };

  let buffer: Pending[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // flushes and prunes never overlap: one transaction at a time per writer
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const transaction = <T>(fn: (t: Transaction) => Promise<T>): Promise<T> =>
    // SQLite: take the write lock up front, so two writers never both read and then upgrade
    sequelize.transaction(dialect.kind === 'sqlite' ? { type: Transaction.TYPES.IMMEDIATE } : {}, fn);

  async function writeOnce(events: RollupEvent[], t: Transaction): Promise<{ written: number; duplicates: number }> {
    const q = (sql: string, replacements: unknown[]) => sequelize.query(sql, { replacements, transaction: t });
    const select = <R extends object>(sql: string, replacements: unknown[]) =>
      sequelize.query<R>(sql, { replacements, transaction: t, type: QueryTypes.SELECT });

    // 1. dedupe: in the buffer, then against processed_events
    const byKey = new Map(events.map((e) => [e.key, e]));
    const seen = new Set<string>();
    for (const part of chunks([...byKey.keys()].sort())) {
      const rows = await select<{ event_key: string }>(
        `SELECT event_key FROM processed_events WHERE event_key IN (${part.map(() => '?').join(',')})`,
        part,
      );
      rows.forEach((r) => seen.add(r.event_key));
    }
    const fresh = [...byKey.values()].filter((e) => !seen.has(e.key));
    const duplicates = events.length - fresh.length;
    if (fresh.length === 0) return { written: 0, duplicates };
    const at = now();
    for (const part of chunks(fresh.map((e) => e.key).sort())) {
      const s = dialect.insert(
        'processed_events',
        ['event_key', 'processed_at'],
        part.map((k) => [k, at]),
      );
      await q(s.sql, s.replacements);
    }

    // 2. the touched sessions, locked
    const touched = [...touchedSessions(fresh).values()].sort((a, b) => a.siteId - b.siteId || (a.sessionKey < b.sessionKey ? -1 : 1));
    const stored = new Map<string, SessionRow>();
    for (const part of chunks(touched)) {
      const rows = await select<Record<string, unknown>>(
        `SELECT ${SESSION_COLUMNS.map(([c]) => c).join(',')} FROM sessions WHERE ${whereKeys(SESSION_KEY, part.length)}${dialect.forUpdate}`,
        part.flatMap((s) => [s.siteId, s.sessionKey]),
      );
      for (const r of rows) {
        const s = fromDbSession(r);
        stored.set(sessionMapKey(s.siteId, s.sessionKey), s);
      }
    }

    // 3. the pure core
    const result = computeRollup(fresh, stored);

    // 4a. sessions: replace the locked rows, insert the new ones
    const columns = SESSION_COLUMNS.map(([c]) => c);
    const valuesOf = (s: SessionRow) => SESSION_COLUMNS.map(([, f]) => s[f]);
    const isStored = (s: SessionRow) => stored.has(sessionMapKey(s.siteId, s.sessionKey));
    for (const part of chunks(result.sessions.filter(isStored))) {
      const s = dialect.upsertReplace('sessions', SESSION_KEY, columns.slice(2), part.map(valuesOf));
      await q(s.sql, s.replacements);
    }
    for (const part of chunks(result.sessions.filter((s) => !isStored(s)))) {
      const s = dialect.insert('sessions', columns, part.map(valuesOf));
      await q(s.sql, s.replacements);
    }

    // 4b. rollups: add the deltas, in key order (the same lock order in every writer)
    const keyString = (r: { siteId: number; grain: string; dimension: string; bucket: number; valueKey: string }) =>
      `${r.siteId}|${r.grain}|${r.dimension}|${r.bucket}|${r.valueKey}`;
    const rollups = sortedByKey(result.rollups, keyString);
    for (const part of chunks(rollups)) {
      const s = dialect.upsertAdd(
        'rollups',
        BUCKET_KEY,
        ROLLUP_COUNTERS,
        part.map((r) => [
          r.siteId,
          r.grain,
          r.dimension,
          r.bucket,
          r.valueKey,
          r.value,
          r.pageviews,
          r.visits,
          r.bounces,
          r.durationMs,
          r.events,
          r.botEvents,
        ]),
        ['value'], // fixed by value_key: written once
      );
      await q(s.sql, s.replacements);
    }

    // 4c. sketches: read (locked), merge, write back
    const sketches = sortedByKey(result.sketches, keyString);
    for (const part of chunks(sketches)) {
      const rows = await select<{
        site_id: number;
        grain: string;
        dimension: string;
        bucket: number | string;
        value_key: string;
        sketch: Buffer;
      }>(
        `SELECT site_id, grain, dimension, bucket, value_key, sketch FROM visitor_sketches WHERE ${whereKeys(BUCKET_KEY, part.length)}${dialect.forUpdate}`,
        part.flatMap((k) => [k.siteId, k.grain, k.dimension, k.bucket, k.valueKey]),
      );
      const existing = new Map(
        rows.map((r) => [
          keyString({ siteId: Number(r.site_id), grain: r.grain, dimension: r.dimension, bucket: Number(r.bucket), valueKey: r.value_key }),
          r.sketch,
        ]),
      );
      const update: unknown[][] = [];
      const insert: unknown[][] = [];
      for (const k of part) {
        const old = existing.get(keyString(k));
        const hll = old === undefined ? createHll() : deserialiseHll(old);
        for (const v of k.visitorIds) hll.add(v);
        (old === undefined ? insert : update).push([k.siteId, k.grain, k.dimension, k.bucket, k.valueKey, k.value, hll.serialise()]);
      }
      if (update.length > 0) {
        const s = dialect.upsertReplace('visitor_sketches', BUCKET_KEY, ['value', 'sketch'], update);
        await q(s.sql, s.replacements);
      }
      if (insert.length > 0) {
        const s = dialect.insert('visitor_sketches', [...BUCKET_KEY, 'value', 'sketch'], insert);
        await q(s.sql, s.replacements);
      }
    }
    return { written: fresh.length, duplicates };
  }

  /** One flush with bounded retries; throws TransientError when it gives up. */
  async function write(items: readonly ResolvedEvent[]): Promise<void> {
    const events: RollupEvent[] = items.map(({ event, site }) => ({
      key: eventKey(event.attributes),
      siteId: site.id,
      timezone: site.timezone,
      time: Date.parse(event.data.timestamp),
      data: event.data,
    }));
    for (let attempt = 1; ; attempt++) {
      const started = now();
      try {
        const r = await transaction((t) => writeOnce(events, t));
        stats.flushes++;
        stats.written += r.written;
        stats.duplicates += r.duplicates;
        log.debug({ size: events.length, ...r, attempt, durationMs: now() - started }, 'flushed');
        return;
      } catch (e) {
        const retryable = isRetryableDbError(e);
        if (!retryable || attempt >= attempts) {
          stats.failedFlushes++;
          log.error({ size: events.length, attempt, retryable, err: errorMessage(e) }, 'flush failed, events will be redelivered');
          throw new TransientError(`aggregate flush failed after ${attempt} attempt(s): ${errorMessage(e)}`, { cause: e });
        }
        stats.retries++;
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), 5_000) * (0.5 + Math.random() / 2);
        log.warn({ size: events.length, attempt, retryInMs: Math.round(delay), err: errorMessage(e) }, 'flush failed, retrying');
        await sleep(delay);
      }
    }
  }

  function drainBuffer(): Promise<void> {
    return exclusive(async () => {
      while (buffer.length > 0) {
        let n = 0;
        let size = 0;
        while (n < buffer.length && (n === 0 || size + buffer[n]!.events.length <= maxBatch)) size += buffer[n++]!.events.length;
        const taken = buffer.slice(0, n);
        buffer = buffer.slice(n);
        buffered -= size;
        try {
          await write(taken.flatMap((p) => p.events));
          taken.forEach((p) => p.resolve());
        } catch (e) {
          taken.forEach((p) => p.reject(e));
        }
      }
    });
  }

  const onTimer = () => {
    timer = undefined;
    void drainBuffer();
  };

  const pruneTimer =
    (opts.pruneIntervalMs ?? 600_000) > 0
      ? setInterval(() => {
          void exclusive(prune).catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'prune failed'));
        }, opts.pruneIntervalMs ?? 600_000)
      : undefined;
  pruneTimer?.unref();

  async function prune(): Promise<PruneResult> {
    const t = now();
    const del = async (table: string, where: string, replacements: unknown[]): Promise<number> => {
      // BULKDELETE: both dialects then return the number of deleted rows
      return sequelize.query(dialect.deleteLimit(table, where, pruneLimit), { replacements, type: QueryTypes.BULKDELETE });
    };
    const result: PruneResult = {
      processedEvents: await del('processed_events', 'processed_at < ?', [t - RETENTION.processedEventsMs]),
      minuteRollups: 0,
      minuteSketches: 0,
      sessions: await del('sessions', 'ended_at < ?', [t - RETENTION.sessionsMs]),
    };
    // per site, so the delete walks the primary key (site_id, grain, dimension, bucket) instead of the table;
    // buckets are site-local (offsets ≤ 14 h), far less than the 48 h kept
    const siteIds = await sequelize.query<{ id: number }>('SELECT id FROM sites', { type: QueryTypes.SELECT });
    for (const { id } of siteIds) {
      const where = "site_id = ? AND grain = 'm' AND dimension = '' AND bucket < ?";
      result.minuteRollups += await del('rollups', where, [id, t - RETENTION.minuteBucketsMs]);
      result.minuteSketches += await del('visitor_sketches', where, [id, t - RETENTION.minuteBucketsMs]);
    }
    log.info({ ...result, durationMs: now() - t }, 'pruned');
    return result;
  }

  return {
    add(events) {
      if (closed) return Promise.reject(new TransientError('aggregate writer is closed'));
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        buffer.push({ events, resolve, reject });
        buffered += events.length;
        if (buffered >= maxBatch) {
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          void drainBuffer();
        } else timer ??= setTimeout(onTimer, flushIntervalMs);
      });
    },
    flush: () => drainBuffer(),
    prune: () => exclusive(prune),
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (pruneTimer !== undefined) clearInterval(pruneTimer);
      await drainBuffer();
    },
  };
}
