/** The Functions Framework function `aggregate` (see functions/index.ts and ARCHITECTURE.md "HTTP surface"). */
import { topicNames } from '../../events';
import type { FunctionFactory } from '../lib/function';
import { createKafkaPublisher } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { readAggregateConfig } from './config';
import { createAggregateHttpHandler } from './http';
import { createAggregateStage } from './stage';

export const createFunction: FunctionFactory = async (env) => {
  const config = readAggregateConfig(env, { needKafka: false });
  const logger = createLogger({ name: 'aggregate', level: config.logLevel });
  const publisher =
    config.kafkaBrokers.length > 0 ? createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-aggregate', logger }) : undefined;
  const stage = await createAggregateStage({
    db: config.databaseUrl,
    publisher,
    topics: topicNames(config.topicPrefix),
    logger,
    siteCacheTtlMs: config.siteCacheTtlMs,
    migrate: config.databaseUrl.startsWith('sqlite:'),
    writer: { maxBatch: config.flushSize, flushIntervalMs: config.flushIntervalMs, factRetentionDays: config.factRetentionDays },
  });
  return {
    handle: createAggregateHttpHandler({ aggregator: stage.aggregator, logger }),
    ready: () => stage.ready(),
    async close() {
      await stage.close();
      await publisher?.close();
    },
  };
};
