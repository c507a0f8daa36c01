/**
 * Acceptance test of the whole pipeline (issues 3, 12, 13) on its kafkajs adapters: a seeded run of
 * 100,000 tracker-shaped events (no sessionId; pauses past 30 minutes, visits across the sites' midnight,
 * engagement reports, custom events with props) over three sites (New York, Berlin, Kolkata) and five
 * days, with bots and malformed records, is produced to the real Kafka by generate's runner, enriched by
 * the enrich runner, aggregated by the aggregate runner into MariaDB — and what the stats API answers
 * equals the simulator's ground truth (compare.ts: every count and visitors exact per site-day and per
 * dimension value, whole-day ranges exact, 24h within 2 %). Then the whole raw stream is delivered a
 * second time and nothing changes. One seeded run serves every assertion (CI time).
 */
import { ENRICH_GROUP_ID, createEnricherFromConfig, startEnrichRunner } from '../../functions/enrich/runner';
import { readEnrichConfig } from '../../functions/enrich/config';
import { AGGREGATE_GROUP_ID, startAggregateRunner } from '../../functions/aggregate/runner';
import { createAggregateStage, type AggregateStage } from '../../functions/aggregate/stage';
import type { Enricher } from '../../functions/enrich/core';
import type { Database } from '../../functions/lib/db';
import { createKafkaPublisher, type KafkaPublisher, type RunningConsumer } from '../../functions/lib/kafka';
import { describeWithServices } from '../services';
import { compareWithTruth, formatMismatches } from './compare';
import { describeTruth } from './truth-features';
import {
  PIPELINE_SITES,
  SALT_SECRET,
  checkRejected,
  createWorkload,
  prepareDatabase,
  produceRaw,
  readTopic,
  testLogger,
  waitForGroups,
  type Workload,
} from './harness';

/** 100,000 in CI; WTM_PIPELINE_EVENTS makes a quicker local run (at least 100,000 is the acceptance). */
const COUNT = Number(process.env.WTM_PIPELINE_EVENTS ?? 100_000);

describeWithServices('pipeline through Kafka into MariaDB (kafkajs runners)', ['kafka', 'mysql'], (services) => {
  let workload: Workload;
  let db: Database;
  let publisher: KafkaPublisher;
  let enricher: Enricher;
  let enrichDb: Database;
  let stage: AggregateStage;
  const consumers: RunningConsumer[] = [];
  // group ids are cluster-wide: the suite's own, so no other process joins its groups
  const enrichGroup = () => `${services().topicPrefix}.${ENRICH_GROUP_ID}`;
  const aggregateGroup = () => `${services().topicPrefix}.${AGGREGATE_GROUP_ID}`;
  const groups = () => {
    const { topics } = services();
    return [
      { label: 'enrich', groupId: enrichGroup(), topic: topics.raw },
      { label: 'aggregate', groupId: aggregateGroup(), topic: topics.enriched },
    ];
  };
  const progress = () =>
    `enrich ${JSON.stringify(enricher.metrics())}, aggregate writer ${JSON.stringify(stage.writer.stats())}; workload ${workload.describe()}`;

  beforeAll(async () => {
    const s = services();
    workload = await createWorkload({ seed: 20261128, count: COUNT, days: 5, malformedShare: 0.01 });
    db = await prepareDatabase(s.databaseUrl);
    const logger = testLogger('pipeline');
    // The runners as main.ts wires them, with the suite's topics and database.
    const config = readEnrichConfig(
      { KAFKA_BROKERS: s.brokers.join(','), DATABASE_URL: s.databaseUrl, WTM_SALT_SECRET: SALT_SECRET, WTM_TOPIC_PREFIX: s.topicPrefix },
      { needKafka: true },
    );
    publisher = createKafkaPublisher({ brokers: s.brokers, clientId: 'wtm-enrich', logger, compression: 'gzip' });
    ({ enricher, db: enrichDb } = await createEnricherFromConfig(config, { publisher, logger }));
    stage = await createAggregateStage({
      db: s.databaseUrl,
      publisher,
      topics: s.topics,
      logger,
      // no prune while the suite runs: the simulated days lie up to five days back
      writer: { pruneIntervalMs: 0 },
    });
    consumers.push(await startEnrichRunner({ brokers: s.brokers, enricher, topic: s.topics.raw, logger, groupId: enrichGroup() }));
    consumers.push(
      await startAggregateRunner({ brokers: s.brokers, topics: s.topics, aggregator: stage.aggregator, logger, groupId: aggregateGroup() }),
    );
  }, 300_000);

  afterAll(async () => {
    for (const c of consumers) await c.stop().catch(() => undefined);
    await stage?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await enrichDb?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }, 120_000);

  it(`counts ${COUNT.toLocaleString('en-US')} events exactly as the ground truth`, async () => {
    const s = services();
    const sent = await produceRaw({ brokers: s.brokers, topic: s.topics.raw, items: workload.recording(), truth: workload.truth });
    expect(sent.events).toBe(COUNT);
    await waitForGroups(s.brokers, groups(), { timeoutMs: 480_000, progress });

    const truth = workload.truth.toJSON();
    const started = Date.now();
    const mismatches = await compareWithTruth(db, truth);
    if (mismatches.length > 0) throw new Error(`${formatMismatches(mismatches)}\nworkload: ${workload.describe()}`);
    process.stderr.write(`pipeline: the API matched the truth in ${Date.now() - started} ms\n`);

    // the comparison can fail: one visitor more for one exit page on one day, 1 % fewer bounces on another day
    const wrong = structuredClone(truth);
    const site = Object.values(wrong.sites)[0]!;
    const [day, dims] = Object.entries(site.dayDimensions).find(([, d]) => Object.keys(d.exit_page).length > 0)!;
    const [exit, figures] = Object.entries(dims.exit_page)[0]!;
    figures.visitors++;
    const [otherDay, other] = Object.entries(site.days).find(([d, f]) => d !== day && f.bounces > 100)!;
    other.bounces -= Math.ceil(other.visits / 100);
    const found = await compareWithTruth(db, wrong, { hours: false, window24h: false });
    expect(found.map((m) => `${m.site} ${m.scope} ${m.metric}`).sort()).toEqual(
      [
        `${site.site} day ${day} exit_page ${JSON.stringify(exit === '' ? '(none)' : exit)} visitors`,
        `${site.site} day ${otherDay} bounce_rate`,
        `${site.site} timeseries day ${otherDay} bounce_rate`,
      ].sort(),
    );

    // the workload really covers what the test claims
    expect(Object.keys(truth.sites)).toHaveLength(3);
    for (const site of Object.values(truth.sites)) {
      expect(Object.keys(site.days).length).toBeGreaterThanOrEqual(5);
      expect(site.totals.botEvents).toBeGreaterThan(0);
      expect(site.totals.events).toBeGreaterThan(0);
    }
    const features = describeTruth(workload.truth, PIPELINE_SITES);
    process.stderr.write(`pipeline: ${JSON.stringify(features)}\n`);
    expect(features.personDaysWithSeveralVisits).toBeGreaterThan(100);
    expect(features.visitsAcrossMidnight).toBeGreaterThan(5);
    expect(features.exactWindowGaps).toBeGreaterThan(0);
    expect(features.engagedPageVisitorDays).toBeGreaterThan(5_000);
    expect(truth.malformed.total).toBe(workload.malformed.length);
    expect(Object.keys(truth.malformed.byKind).length).toBeGreaterThanOrEqual(8);
  });

  it('writes every malformed record to the rejected topic with its reason and its payload verbatim, and nothing else', async () => {
    const s = services();
    const rejected = await readTopic(s.brokers, s.topics.rejected);
    const problems = checkRejected(rejected, workload.malformed, { copies: 1, transport: 'kafka' });
    expect(problems).toEqual([]);
    expect(rejected.length).toBe(workload.malformed.length);
    expect(workload.malformed.some((m) => m.reason === 'unknown_site')).toBe(true);
  });

  it('gives the same numbers when the whole raw stream is delivered a second time', async () => {
    const s = services();
    const before = stage.writer.stats();
    // the same seed and options: the same ids, so every event is a duplicate downstream
    await produceRaw({ brokers: s.brokers, topic: s.topics.raw, items: workload.items });
    await waitForGroups(s.brokers, groups(), { timeoutMs: 480_000, progress });
    const after = stage.writer.stats();
    expect(after.written).toBe(before.written);
    const mismatches = await compareWithTruth(db, workload.truth.toJSON());
    if (mismatches.length > 0) throw new Error(`after redelivery: ${formatMismatches(mismatches)}\nworkload: ${workload.describe()}`);
    const rejected = await readTopic(s.brokers, s.topics.rejected);
    expect(checkRejected(rejected, workload.malformed, { copies: 2, transport: 'kafka' })).toEqual([]);
  });
});
