/** The kafkajs adapter: the enriched topic, consumer group `wtm-aggregate`, offsets committed only after storage. */
import type { Topics } from '../../events';
import { runConsumer, type RunningConsumer } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import type { Aggregator } from './aggregator';

export const AGGREGATE_GROUP_ID = 'wtm-aggregate';

export interface AggregateRunnerOptions {
  brokers: readonly string[];
  topics: Pick<Topics, 'enriched'>;
  aggregator: Aggregator;
  logger: Logger;
  groupId?: string;
  /** Records per handler call (default 5000, one flush). Sub-batches of concurrent partitions share flushes. */
  maxBatch?: number;
  fromBeginning?: boolean;
  /**
   * Partitions handled at once (default 4): their sub-batches meet in the writer's buffer and share one
   * flush (one transaction). With 1, each partition's batch waits for its own flush (and for the flush
   * timer when it is smaller than a flush).
   */
  partitionsConsumedConcurrently?: number;
  /** The group's session timeout (runConsumer's `sessionTimeoutMs`; WTM_KAFKA_SESSION_TIMEOUT_MS). */
  sessionTimeoutMs?: number;
}

export function startAggregateRunner(opts: AggregateRunnerOptions): Promise<RunningConsumer> {
  return runConsumer({
    brokers: opts.brokers,
    clientId: 'wtm-aggregate',
    logger: opts.logger,
    groupId: opts.groupId ?? AGGREGATE_GROUP_ID,
    topic: opts.topics.enriched,
    maxBatch: opts.maxBatch ?? 5000,
    fromBeginning: opts.fromBeginning ?? true,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 4,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    handler: async (batch) => {
      await opts.aggregator.handle(batch);
    },
  });
}
