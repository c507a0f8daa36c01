/**
 * Wires the aggregate stage from its parts: database, site registry (cached), writer, aggregator.
 * The kafkajs runner, the HTTP function and `npm start` all build it here, so they behave alike.
 */
import type { Topics } from '../../events';
import type { Publisher } from '../lib/bus';
import { createDatabase, type Database } from '../lib/db';
import type { Readiness } from '../lib/function';
import type { Logger } from '../lib/logger';
import { checkDatabase } from '../lib/readiness';
import { createCachedSiteLookup, createSiteRegistry, type SiteRegistry } from '../sites/registry';
import { createAggregator, type Aggregator } from './aggregator';
import { createWriter, type Writer, type WriterOptions } from './writer';

export interface AggregateStageOptions {
  /** An open database, or a DATABASE_URL to open (and close on `close()`). */
  db: Database | string;
  /** Where rejected events go; without one, `handle` throws EventFormatError for a bad event (HTTP 400). */
  publisher?: Publisher;
  topics: Pick<Topics, 'rejected'>;
  logger: Logger;
  siteCacheTtlMs?: number;
  /** Apply pending migrations first (SQLite / `npm start`; production runs the migration Job). */
  migrate?: boolean;
  writer?: Omit<WriterOptions, 'db' | 'logger'>;
}

export interface AggregateStage {
  aggregator: Aggregator;
  writer: Writer;
  registry: SiteRegistry;
  db: Database;
  /** The database answers and has the schema. */
  ready(): Promise<Readiness>;
  /** Flushes the writer, then closes the database if the stage opened it. */
  close(): Promise<void>;
}

export async function createAggregateStage(opts: AggregateStageOptions): Promise<AggregateStage> {
  const owned = typeof opts.db === 'string';
  const db = typeof opts.db === 'string' ? createDatabase({ url: opts.db }) : opts.db;
  if (opts.migrate === true) await db.migrate();
  const registry = createSiteRegistry(db);
  const writer = createWriter({ ...opts.writer, db, logger: opts.logger });
  const aggregator = createAggregator({
    writer,
    sites: createCachedSiteLookup(registry, { ttlMs: opts.siteCacheTtlMs ?? 30_000 }),
    publisher: opts.publisher,
    topics: opts.topics,
    logger: opts.logger,
  });
  return {
    aggregator,
    writer,
    registry,
    db,
    // The database answers and its schema is this build's (the migration Job ran).
    ready: () => checkDatabase(db),
    async close() {
      await writer.close();
      if (owned) await db.close();
    },
  };
}
