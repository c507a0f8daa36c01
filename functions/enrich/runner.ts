/**
 * The kafkajs adapter of enrich: consumes the raw topic (group `wtm-enrich`) and hands each
 * sub-batch to the enricher, which publishes enriched and rejected events before the offsets commit.
 * Also builds the enricher's real dependencies from the config (shared with the HTTP function).
 */
import { topicNames } from '../../events';
import type { Publisher } from '../lib/bus';
import { createDatabase, type Database } from '../lib/db';
import { openGeoIp } from '../lib/geoip';
import { runConsumer, type RunningConsumer } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import { createCachedSiteLookup, createSiteRegistry } from '../sites/registry';
import type { EnrichConfig } from './config';
import { createEnricher, type Enricher } from './core';

export const ENRICH_GROUP_ID = 'wtm-enrich';

export interface EnrichRunnerOptions {
  brokers: readonly string[];
  enricher: Pick<Enricher, 'handleBatch'>;
  /** The raw topic to consume. */
  topic: string;
  logger: Logger;
  groupId?: string;
  fromBeginning?: boolean;
  maxBatch?: number;
  /** Partitions handled at once (default 4): their publishes coalesce into fewer, larger produce requests. */
  partitionsConsumedConcurrently?: number;
  /** The group's session timeout (runConsumer's `sessionTimeoutMs`; WTM_KAFKA_SESSION_TIMEOUT_MS). */
  sessionTimeoutMs?: number;
}

export function startEnrichRunner(opts: EnrichRunnerOptions): Promise<RunningConsumer> {
  return runConsumer({
    brokers: opts.brokers,
    clientId: 'wtm-enrich',
    groupId: opts.groupId ?? ENRICH_GROUP_ID,
    topic: opts.topic,
    handler: opts.enricher.handleBatch,
    logger: opts.logger,
    fromBeginning: opts.fromBeginning ?? true,
    maxBatch: opts.maxBatch ?? 500,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 4,
    sessionTimeoutMs: opts.sessionTimeoutMs,
  });
}

/** The enricher over the real site registry (DATABASE_URL) and the shipped GeoIP database. */
export async function createEnricherFromConfig(
  config: Readonly<EnrichConfig>,
  deps: { publisher: Publisher; logger: Logger; now?: () => Date },
): Promise<{ enricher: Enricher; db: Database }> {
  const db = createDatabase({ url: config.databaseUrl });
  // A minute's cache: a newly registered site is counted within a minute; removal likewise.
  const sites = createCachedSiteLookup(createSiteRegistry(db), { ttlMs: 60_000 });
  const geo = await openGeoIp();
  const topics = topicNames(config.topicPrefix);
  const enricher = createEnricher({
    sites,
    geo,
    saltSecret: config.saltSecret,
    now: deps.now ?? (() => new Date()),
    publisher: deps.publisher,
    topics,
    logger: deps.logger,
  });
  return { enricher, db };
}
