/**
 * `tsx functions/aggregate/main.ts`: the aggregate stage as a kafkajs consumer (no Knative needed).
 * Reads its config once, consumes the enriched topic, writes to DATABASE_URL, rejects to the
 * rejected topic; on SIGTERM/SIGINT stops consuming, flushes, and exits.
 */
import { topicNames } from '../../events';
import { createKafkaPublisher } from '../lib/kafka';
import { readSessionTimeout } from '../lib/runner-config';
import { createLogger } from '../lib/logger';
import { readAggregateConfig } from './config';
import { startAggregateRunner } from './runner';
import { createAggregateStage } from './stage';

async function main(): Promise<void> {
  const config = readAggregateConfig(process.env, { needKafka: true });
  const logger = createLogger({ name: 'aggregate', level: config.logLevel });
  const topics = topicNames(config.topicPrefix);
  const publisher = createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-aggregate', logger });
  const stage = await createAggregateStage({
    db: config.databaseUrl,
    publisher,
    topics,
    logger,
    siteCacheTtlMs: config.siteCacheTtlMs,
    migrate: config.databaseUrl.startsWith('sqlite:'),
    writer: { maxBatch: config.flushSize, flushIntervalMs: config.flushIntervalMs, factRetentionDays: config.factRetentionDays },
  });
  const consumer = await startAggregateRunner({
    brokers: config.kafkaBrokers,
    topics,
    aggregator: stage.aggregator,
    logger,
    maxBatch: config.flushSize,
    sessionTimeoutMs: readSessionTimeout(process.env),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: flushing and closing');
    consumer
      .stop()
      .then(() => stage.close())
      .then(() => publisher.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`aggregate: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
