/**
 * `node --import tsx test/pipeline/aggregate-process.ts '<json>'`: the aggregate runner as main.ts wires it,
 * in a process of its own, but with the suite's consumer group (main.ts uses the fixed `wtm-aggregate`,
 * which other suites on the shared broker could join). Options come as one JSON argument, not env.
 * SIGKILL kills it mid-flush (what the kill suite wants); SIGTERM stops it cleanly.
 */
import { topicNames } from '../../events';
import { startAggregateRunner } from '../../functions/aggregate/runner';
import { createAggregateStage } from '../../functions/aggregate/stage';
import { createKafkaPublisher } from '../../functions/lib/kafka';
import { createLogger } from '../../functions/lib/logger';

interface Options {
  brokers: string[];
  databaseUrl: string;
  topicPrefix: string;
  groupId: string;
  flushSize: number;
  sessionTimeoutMs: number;
  logLevel: string;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as Options;
  const logger = createLogger({ name: 'aggregate', level: o.logLevel });
  const topics = topicNames(o.topicPrefix);
  const publisher = createKafkaPublisher({ brokers: o.brokers, clientId: 'wtm-aggregate', logger });
  const stage = await createAggregateStage({
    db: o.databaseUrl,
    publisher,
    topics,
    logger,
    writer: { maxBatch: o.flushSize, pruneIntervalMs: 0 },
  });
  const consumer = await startAggregateRunner({
    brokers: o.brokers,
    topics,
    aggregator: stage.aggregator,
    logger,
    groupId: o.groupId,
    maxBatch: o.flushSize,
    sessionTimeoutMs: o.sessionTimeoutMs,
  });
  process.stdout.write('aggregate runner consuming\n');
  process.once('SIGTERM', () => {
    void consumer
      .stop()
      .then(() => stage.close())
      .then(() => publisher.close())
      .then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`aggregate-process: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
