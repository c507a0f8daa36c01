/**
 * Acceptance (issues 12, 13): two aggregate runners, each a process of its own, consume the enriched topic
 * in parallel (one consumer group, four partitions) while a seeded tracker-shaped run is fed at a bounded
 * rate; one of them is SIGKILLed mid-run — visits are open, its last flush may be half done and its offsets
 * are not committed — and started again. What the stats API answers then equals the ground truth exactly
 * (compare.ts). One seeded run of 100,000 events serves both properties (two runners, and a kill), as the
 * single-runner run of pipeline.int.test.ts.
 */
import { readEnrichConfig } from '../../functions/enrich/config';
import type { Enricher } from '../../functions/enrich/core';
import { ENRICH_GROUP_ID, createEnricherFromConfig, startEnrichRunner } from '../../functions/enrich/runner';
import type { Database } from '../../functions/lib/db';
import { createKafkaPublisher, type KafkaPublisher, type RunningConsumer } from '../../functions/lib/kafka';
import { describeWithServices } from '../services';
import { compareWithTruth, formatMismatches } from './compare';
import {
  PIPELINE_SITES,
  SALT_SECRET,
  createWorkload,
  groupMembersWithPartitions,
  prepareDatabase,
  produceRaw,
  runnerStarted,
  spawnAggregateRunner,
  testLogger,
  waitForGroups,
  type RunnerProcess,
  type Workload,
} from './harness';
import { describeTruth } from './truth-features';

const COUNT = Number(process.env.WTM_PARALLEL_EVENTS ?? 100_000);
/** Slow enough that the kill lands while the stream is still flowing. */
const RATE = 3_000;

describeWithServices('two aggregate runners in parallel, one SIGKILLed mid-run and restarted', ['kafka', 'mysql'], (services) => {
  let workload: Workload;
  let db: Database;
  let publisher: KafkaPublisher;
  let enricher: Enricher;
  let enrichDb: Database;
  let enrichRunner: RunningConsumer | undefined;
  const runners: RunnerProcess[] = [];
  const enrichGroup = () => `${services().topicPrefix}.${ENRICH_GROUP_ID}`;
  const aggregateGroup = () => `${services().topicPrefix}.parallel-aggregate`;
  const spawnRunner = () => {
    const s = services();
    const r = spawnAggregateRunner({
      brokers: s.brokers,
      databaseUrl: s.databaseUrl,
      topicPrefix: s.topicPrefix,
      groupId: aggregateGroup(),
    });
    runners.push(r);
    return r;
  };

  beforeAll(async () => {
    const s = services();
    workload = await createWorkload({ seed: 20261201, count: COUNT, days: 3, malformedShare: 0 });
    db = await prepareDatabase(s.databaseUrl);
    const logger = testLogger('pipeline');
    const config = readEnrichConfig(
      { KAFKA_BROKERS: s.brokers.join(','), DATABASE_URL: s.databaseUrl, WTM_SALT_SECRET: SALT_SECRET, WTM_TOPIC_PREFIX: s.topicPrefix },
      { needKafka: true },
    );
    publisher = createKafkaPublisher({ brokers: s.brokers, clientId: 'wtm-enrich', logger, compression: 'gzip' });
    ({ enricher, db: enrichDb } = await createEnricherFromConfig(config, { publisher, logger }));
    enrichRunner = await startEnrichRunner({ brokers: s.brokers, enricher, topic: s.topics.raw, logger, groupId: enrichGroup() });
  }, 300_000);

  afterAll(async () => {
    for (const r of runners) await r.kill().catch(() => undefined);
    await enrichRunner?.stop().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await enrichDb?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }, 120_000);

  it(`counts ${COUNT.toLocaleString('en-US')} events exactly as the ground truth`, async () => {
    const s = services();
    const [a, b] = [spawnRunner(), spawnRunner()];
    await Promise.all([runnerStarted(a), runnerStarted(b)]);
    // both in the group with partitions of their own before the stream starts
    for (let i = 0; (await groupMembersWithPartitions(s.brokers, aggregateGroup())) < 2; i++) {
      if (i > 120) throw new Error('the two aggregate runners never shared the partitions');
      await new Promise((r) => setTimeout(r, 500));
    }
    const fed = produceRaw({ brokers: s.brokers, topic: s.topics.raw, items: workload.recording(), truth: workload.truth, rate: RATE });

    // let both runners store part of the stream, then kill one in the middle of it and start it again
    let storedBefore = 0;
    for (let i = 0; (storedBefore = await countEvents(db)) < COUNT * 0.2; i++) {
      if (i > 600) throw new Error(`only ${storedBefore} events stored after 5 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await a.kill();
    await new Promise((r) => setTimeout(r, 1500));
    const again = spawnRunner();
    await runnerStarted(again);
    const sent = await fed;
    expect(sent.events).toBe(COUNT);
    await waitForGroups(
      s.brokers,
      [
        { label: 'enrich', groupId: enrichGroup(), topic: s.topics.raw },
        { label: 'aggregate', groupId: aggregateGroup(), topic: s.topics.enriched },
      ],
      { timeoutMs: 480_000, progress: () => `enrich ${JSON.stringify(enricher.metrics())}; workload ${workload.describe()}` },
    );
    const storedAfter = await countEvents(db);
    process.stderr.write(`parallel/kill: ${storedBefore} of ${storedAfter} events stored when runner 1 was SIGKILLed\n`);
    // the kill fell inside the run
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(storedAfter);
    expect(b.alive() && again.alive()).toBe(true);

    const mismatches = await compareWithTruth(db, workload.truth.toJSON());
    if (mismatches.length > 0) throw new Error(`${formatMismatches(mismatches)}\nworkload: ${workload.describe()}`);
    const features = describeTruth(workload.truth, PIPELINE_SITES);
    expect(features.personDaysWithSeveralVisits).toBeGreaterThan(20);
    expect(features.visitsAcrossMidnight).toBeGreaterThan(0);
  }, 600_000);
});

/** Stored events (the facts table), to place the kill inside the run. */
async function countEvents(db: Database): Promise<number> {
  const [rows] = await db.sequelize.query('SELECT COUNT(*) AS n FROM events');
  return Number((rows as { n: unknown }[])[0]?.n ?? 0);
}
