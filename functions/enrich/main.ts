/**
 * `tsx functions/enrich/main.ts`: runs enrich as a kafkajs consumer of the raw topic, without Knative.
 * Stops cleanly on SIGTERM/SIGINT (the in-flight batch finishes and commits).
 */
import { topicNames } from '../../events';
import { ConfigError } from '../lib/config';
import { createKafkaPublisher, ensureTopics } from '../lib/kafka';
import { readSessionTimeout } from '../lib/runner-config';
import { createLogger } from '../lib/logger';
import { readEnrichConfig } from './config';
import { createEnricherFromConfig, startEnrichRunner } from './runner';

async function main(): Promise<void> {
  const config = readEnrichConfig(process.env, { needKafka: true });
  const logger = createLogger({ name: 'enrich', level: config.logLevel });
  const topics = topicNames(config.topicPrefix);
  await ensureTopics(config.kafkaBrokers, [topics.raw, topics.enriched, topics.rejected], 4, { logger });
  const publisher = createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-enrich', logger, compression: 'gzip' });
  const { enricher, db } = await createEnricherFromConfig(config, { publisher, logger });
  const consumer = await startEnrichRunner({
    brokers: config.kafkaBrokers,
    enricher,
    topic: topics.raw,
    logger,
    sessionTimeoutMs: readSessionTimeout(process.env),
  });
  const report = setInterval(() => logger.info({ metrics: enricher.metrics() }, 'enrich metrics'), 30_000);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    clearInterval(report);
    await consumer.stop();
    await publisher.close();
    await db.close();
    logger.info({ metrics: enricher.metrics() }, 'stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`enrich: ${e instanceof ConfigError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
