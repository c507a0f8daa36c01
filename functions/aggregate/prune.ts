/**
 * Retention (ARCHITECTURE.md "Storage v2"): facts (`events`, `event_props`, `visits`) by whole site-days
 * older than the fact retention, the legacy dedupe table after 8 days, minute rollups and sketches after
 * 48 h. Every delete is bounded (`chunk` rows, along a primary key or index prefix), so no statement
 * holds locks for long, and repeated until nothing is left past retention: one call finishes the job.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Dialect } from '../lib/db';
import { DAY_MS, HOUR_MS, localDayOf } from '../lib/time';

/** Dedupe must outlive Kafka's 7-day retention, so facts (the dedupe record) are kept at least 8 days. */
export const MIN_FACT_RETENTION_DAYS = 8;
export const DEFAULT_FACT_RETENTION_DAYS = 400;
export const RETENTION = { legacyProcessedMs: 8 * DAY_MS, minuteBucketsMs: 48 * HOUR_MS } as const;
export const DEFAULT_PRUNE_CHUNK = 5000;

export interface PruneOptions {
  factRetentionDays: number;
  /** Rows per DELETE. */
  chunk: number;
  now: number;
}

export interface PruneResult {
  events: number;
  eventProps: number;
  visits: number;
  processedEvents: number;
  minuteRollups: number;
  minuteSketches: number;
}

export async function pruneExpired(sequelize: Sequelize, dialect: Dialect, opts: PruneOptions): Promise<PruneResult> {
  if (opts.factRetentionDays < MIN_FACT_RETENTION_DAYS) throw new Error(`fact retention must be at least ${MIN_FACT_RETENTION_DAYS} days`);
  const select = <R extends object>(sql: string, replacements: unknown[]) =>
    sequelize.query<R>(sql, { replacements, type: QueryTypes.SELECT });
  /** Deletes in chunks until a chunk comes back short. BULKDELETE: both dialects return the count. */
  const deleteAll = async (table: string, where: string, replacements: unknown[]): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await sequelize.query(dialect.deleteLimit(table, where, opts.chunk), { replacements, type: QueryTypes.BULKDELETE });
      total += n;
      if (n < opts.chunk) return total;
    }
  };
  const result: PruneResult = { events: 0, eventProps: 0, visits: 0, processedEvents: 0, minuteRollups: 0, minuteSketches: 0 };
  const sites = await select<{ id: number | string; timezone: string }>('SELECT id, timezone FROM sites ORDER BY id', []);
  for (const site of sites) {
    const siteId = Number(site.id);
    const cutoff = localDayOf(opts.now, site.timezone) - opts.factRetentionDays * DAY_MS;
    // day by day from the oldest: each delete is a range of one (site_id, day) prefix of the key
    for (const [table, field] of [
      ['event_props', 'eventProps'],
      ['events', 'events'],
      ['visits', 'visits'],
    ] as const) {
      for (;;) {
        const oldest = await select<{ day: number | string | null }>(`SELECT MIN(day) AS day FROM ${dialect.id(table)} WHERE site_id = ?`, [
          siteId,
        ]);
        const day = oldest[0]?.day;
        if (day === null || day === undefined || Number(day) >= cutoff) break;
        result[field] += await deleteAll(table, 'site_id = ? AND day = ?', [siteId, Number(day)]);
      }
    }
    // buckets are site-local (offsets ≤ 14 h), far less than the 48 h kept
    const where = "site_id = ? AND grain = 'm' AND dimension = '' AND bucket < ?";
    result.minuteRollups += await deleteAll('rollups', where, [siteId, opts.now - RETENTION.minuteBucketsMs]);
    result.minuteSketches += await deleteAll('visitor_sketches', where, [siteId, opts.now - RETENTION.minuteBucketsMs]);
  }
  result.processedEvents = await deleteAll('processed_events', 'processed_at < ?', [opts.now - RETENTION.legacyProcessedMs]);
  return result;
}
