/**
 * The aggregate writer: a group-commit buffer (buffer.ts) in front of flushes (flush.ts), each ONE
 * transaction, retried whole on a deadlock, lock wait, duplicate key from a concurrent writer or lost
 * connection (bounded backoff); after that every `add` in it rejects with a TransientError, so the caller
 * does not commit offsets (or answers 503) and the events come back. Pruning (prune.ts) runs between
 * flushes, never inside one.
 *
 * Optimistic dedupe: a flush does not first read which of its events are stored already. The events
 * table's primary key is the dedupe record, so a stored one fails the INSERT with a duplicate key; the
 * flush is then rolled back and run again at once with the read, and the flushes of the next minute read
 * first too (redeliveries come in runs: a rebalance or a retried request replays everything uncommitted).
 * Same outcome as reading first every time, without a point read per event when nothing is redelivered.
 */
import { Transaction } from 'sequelize';
import type { CloudEvent, EnrichedTraffic } from '../../events';
import type { Database } from '../lib/db';
import { isDuplicateKeyError, isRetryableDbError } from '../lib/db/retry';
import { TransientError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { SiteInfo } from '../sites/types';
import { createGroupCommitBuffer } from './buffer';
import { faultPoint } from '../lib/fault';
import { flushEvents, type FlushResult } from './flush';
import { eventKey, type FactEvent } from './model';
import { localDayOf } from '../lib/time';
import { DEFAULT_FACT_RETENTION_DAYS, DEFAULT_PRUNE_CHUNK, pruneExpired, RETENTION, type PruneResult } from './prune';
import { createStatements } from './statements';

export type { PruneResult } from './prune';

/** An enriched event and the registered site it belongs to. */
export interface ResolvedEvent {
  event: CloudEvent<EnrichedTraffic>;
  site: SiteInfo;
}

export interface WriterOptions {
  db: Database;
  logger: Logger;
  /** At most this many events per flush (default 5000). */
  maxBatch?: number;
  /** From idle, the longest the first event waits for its flush to start (default 250 ms). */
  flushIntervalMs?: number;
  /**
   * From idle, start as soon as arrivals pause this long (default 2 ms; `undefined`-like 0 = off: wait for size
   * or interval). HTTP requests and Kafka fetches both wait for their flush, so once a burst is in nothing more
   * comes until the flush ends: waiting for the interval would only idle (measured: bench/pipeline staged).
   */
  flushQuietMs?: number;
  /** Attempts per flush before giving up with a TransientError (default 6). */
  attempts?: number;
  /** First retry delay, doubled per attempt, capped at 5 s (default 100 ms). */
  retryDelayMs?: number;
  /** How often to prune (default 10 min; 0 = never, call prune() yourself). */
  pruneIntervalMs?: number;
  /** Rows per DELETE of a prune (default 5000); a prune repeats them until done. */
  pruneChunk?: number;
  /** Facts are kept this many site-days (default 400, minimum 8). */
  factRetentionDays?: number;
  now?: () => number;
}

export interface WriterStats {
  flushes: number;
  written: number;
  duplicates: number;
  retries: number;
  failedFlushes: number;
  /** Flushes that skipped the stored-events read, met a stored event and ran again with it. */
  dedupeReruns: number;
}

export interface Writer {
  /** Resolves once these events are committed (or were already); rejects with TransientError. */
  add(events: readonly ResolvedEvent[]): Promise<void>;
  /** Flushes what is buffered now. */
  flush(): Promise<void>;
  /** Deletes what is past retention (ARCHITECTURE.md "Storage v2"), in bounded chunks until done. */
  prune(): Promise<PruneResult>;
  stats(): WriterStats;
  /** Flushes, stops the timers; later adds reject. */
  close(): Promise<void>;
}

export const DEFAULT_FLUSH_QUIET_MS = 2;

/** After a flush met an event stored already, the flushes of this long read the stored events first. */
export const CHECK_STORED_AFTER_DUPLICATE_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function toFactEvent({ event, site }: ResolvedEvent): FactEvent {
  const time = Date.parse(event.data.timestamp);
  return {
    key: eventKey(event.attributes),
    siteId: site.id,
    timezone: site.timezone,
    time,
    day: localDayOf(time, site.timezone),
    data: event.data,
  };
}

export function createWriter(opts: WriterOptions): Writer {
  const { db, logger } = opts;
  const { sequelize, dialect } = db;
  const log = logger.child({ component: 'aggregate-writer' });
  const attempts = opts.attempts ?? 6;
  const retryDelayMs = opts.retryDelayMs ?? 100;
  const now = opts.now ?? Date.now;
  const factRetentionDays = opts.factRetentionDays ?? DEFAULT_FACT_RETENTION_DAYS;
  const stats: WriterStats = { flushes: 0, written: 0, duplicates: 0, retries: 0, failedFlushes: 0, dedupeReruns: 0 };
  /** Until then flushes read which events are stored before writing (see the header). */
  let checkStoredUntil = -Infinity;
  let closed = false;
  /** The legacy v1 dedupe table still has rows (checked once, and again after each prune; nothing writes it). */
  let legacyDedupe: boolean | undefined;

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

  /** One flush with bounded retries; throws TransientError when it gives up. */
  async function write(items: ResolvedEvent[]): Promise<void> {
    const events = items.map(toFactEvent);
    let skipStoredCheck = now() >= checkStoredUntil;
    for (let attempt = 1; ; attempt++) {
      const started = now();
      try {
        const r: FlushResult = await transaction(async (t) => {
          const sql = createStatements(sequelize, dialect, t);
          legacyDedupe ??= await sql.hasLegacyProcessed();
          const flushed = await flushEvents(sql, events, {
            legacyDedupe,
            minuteFloor: started - RETENTION.minuteBucketsMs,
            skipStoredCheck,
          });
          // Crash tests kill here: every statement ran, COMMIT not sent (nothing of the flush may remain).
          faultPoint('aggregate.before-commit');
          return flushed;
        });
        // ...and here: committed, not acknowledged (the redelivery must be recognised as a duplicate).
        faultPoint('aggregate.after-commit');
        stats.flushes++;
        stats.written += r.written;
        stats.duplicates += r.duplicates;
        if (r.duplicates > 0) checkStoredUntil = now() + CHECK_STORED_AFTER_DUPLICATE_MS;
        log.debug({ size: events.length, ...r, attempt, durationMs: now() - started }, 'flushed');
        return;
      } catch (e) {
        if (skipStoredCheck && isDuplicateKeyError(e)) {
          // a stored (redelivered) event, or a concurrent writer's copy: again at once, reading them first
          skipStoredCheck = false;
          checkStoredUntil = now() + CHECK_STORED_AFTER_DUPLICATE_MS;
          stats.dedupeReruns++;
          attempt--;
          log.debug({ size: events.length, err: errorMessage(e) }, 'flush met stored events, again with the stored-events read');
          continue;
        }
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

  const buffer = createGroupCommitBuffer<ResolvedEvent>({
    maxBatch: opts.maxBatch ?? 5000,
    intervalMs: opts.flushIntervalMs ?? 250,
    quietMs: (opts.flushQuietMs ?? DEFAULT_FLUSH_QUIET_MS) > 0 ? (opts.flushQuietMs ?? DEFAULT_FLUSH_QUIET_MS) : undefined,
    flush: (items) => exclusive(() => write(items)),
  });

  async function prune(): Promise<PruneResult> {
    const started = now();
    const result = await pruneExpired(sequelize, dialect, {
      factRetentionDays,
      chunk: opts.pruneChunk ?? DEFAULT_PRUNE_CHUNK,
      now: started,
    });
    if (legacyDedupe === true) legacyDedupe = undefined; // look again: the prune may have emptied it
    log.info({ ...result, durationMs: now() - started }, 'pruned');
    return result;
  }

  const pruneIntervalMs = opts.pruneIntervalMs ?? 600_000;
  const pruneTimer =
    pruneIntervalMs > 0
      ? setInterval(() => {
          void exclusive(prune).catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'prune failed'));
        }, pruneIntervalMs)
      : undefined;
  pruneTimer?.unref();

  return {
    add(events) {
      if (closed) return Promise.reject(new TransientError('aggregate writer is closed'));
      return buffer.add(events);
    },
    flush: () => buffer.drain(),
    prune: () => exclusive(prune),
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      if (pruneTimer !== undefined) clearInterval(pruneTimer);
      await buffer.drain();
    },
  };
}
