/**
 * What the pipeline benchmarks share: a per-run topic prefix and database on the local Kafka and
 * MariaDB (dropped afterwards), the seeded workload, and the product's own stages wired the way
 * their `main.ts` files wire them (kafkajs runners, Kafka publishers, the aggregate stage).
 */
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_FLUSH_SIZE } from '../functions/aggregate/config';
import { toKafkaMessage, type CloudEvent, type EnrichedTraffic, type RawTraffic, type Topics } from '../events';
import { createAggregateStage, type AggregateStage } from '../functions/aggregate/stage';
import { startAggregateRunner } from '../functions/aggregate/runner';
import { createEnricher, type Enricher } from '../functions/enrich/core';
import { createEnricherFromConfig, startEnrichRunner } from '../functions/enrich/runner';
import { runGeneration } from '../functions/generate/run';
import { createSimulator } from '../functions/generate/simulator';
import { DEMO_SITES } from '../functions/generate/sites';
import type { SiteSpec } from '../functions/generate/sites';
import type { Database } from '../functions/lib/db';
import { createDatabase } from '../functions/lib/db';
import { unpatchMysql2Execute } from '../functions/lib/db/mysql2-patch';
import { openGeoIp } from '../functions/lib/geoip';
import { createKafkaPublisher, type Compression, type KafkaPublisher, type RunningConsumer } from '../functions/lib/kafka';
import { silentLogger } from '../functions/lib/logger';
import { createCachedSiteLookup, createSiteRegistry } from '../functions/sites/registry';
import { inboundFromKafka } from '../functions/lib/bus';
import { createTestDatabase, createTestTopics, runId } from '../test/services';
import { startCpuMeter, type CpuMeter } from './cpu';
import { until, type Figure } from './figure';

export interface BenchEnv {
  brokers: string[];
  mysqlServerUrl: string;
}

export function benchEnv(env: Readonly<Record<string, string | undefined>> = process.env): BenchEnv {
  // A/B of the statement encoder (ARCHITECTURE.md "The statement encoder in front of mysql2's")
  if (env.BENCH_MYSQL2_ENCODER === 'mysql2') unpatchMysql2Execute();
  return {
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim()),
    mysqlServerUrl: env.DATABASE_URL?.startsWith('mysql') === true ? env.DATABASE_URL : 'mysql://root@127.0.0.1:3306/',
  };
}

export interface Scratch {
  topics: Topics;
  prefix: string;
  databaseUrl: string;
  /** Drops the topics and the database. */
  drop(): Promise<void>;
}

/** Topics `wtm.bench.<id>.*` (4 partitions, as in production) and an empty migrated database with the sites registered. */
export async function createScratch(env: BenchEnv, sites: readonly SiteSpec[], partitions = 4): Promise<Scratch> {
  const id = runId();
  const t = await createTestTopics(env.brokers, `wtm.bench.${id}`, partitions);
  const d = await createScratchDatabase(env, sites, id);
  return {
    topics: t.topics,
    prefix: t.prefix,
    databaseUrl: d.url,
    async drop() {
      await t.drop();
      await d.drop();
    },
  };
}

/** An empty migrated database `wtm_bench_<id>` with the sites registered. */
export async function createScratchDatabase(
  env: BenchEnv,
  sites: readonly SiteSpec[],
  id = runId(),
): Promise<{ url: string; drop(): Promise<void> }> {
  const d = await createTestDatabase(env.mysqlServerUrl, `wtm_bench_${id}`);
  const db = createDatabase({ url: d.url });
  try {
    await db.migrate();
    const registry = createSiteRegistry(db);
    for (const s of sites) await registry.add({ hostname: s.hostname, timezone: s.timezone, isPublic: true });
  } finally {
    await db.close();
  }
  return d;
}

/** `fn` on a scratch database of its own (createScratchDatabase), dropped afterwards. */
export async function withScratchDatabase<T>(env: BenchEnv, sites: readonly SiteSpec[], fn: (url: string) => Promise<T>): Promise<T> {
  const d = await createScratchDatabase(env, sites);
  try {
    return await fn(d.url);
  } finally {
    await d.drop();
  }
}

/**
 * The fixed seeded workload: `count` valid raw events (5 % bots, the simulator's default) of the demo
 * sites over the 7 days before yesterday's UTC midnight (inside enrich's 400-day bound whatever the date).
 */
export async function seededWorkload(count: number, sites: readonly SiteSpec[] = DEMO_SITES, seed = 8): Promise<CloudEvent<RawTraffic>[]> {
  const geoip = await openGeoIp();
  const to = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
  const from = new Date(to.getTime() - 7 * 86_400_000);
  const out: CloudEvent<RawTraffic>[] = [];
  for (const item of createSimulator({ seed, sites, from, to, count, geoip })) if (item.type === 'event') out.push(item.event);
  return out;
}

export interface StageOptions {
  /** Compression of the enrich publisher (production: gzip, see functions/enrich/main.ts). */
  enrichCompression?: Compression;
  enrichMaxBatch?: number;
  aggregateMaxBatch?: number;
  flushIntervalMs?: number;
  /** Connection pool of the aggregate stage's database. */
  aggregatePool?: number;
  /** kafkajs partitionsConsumedConcurrently of both runners (undefined = the runners' defaults). */
  partitionsConcurrently?: number;
}

export interface RunningEnrich {
  enricher: Enricher;
  consumer: RunningConsumer;
  /** Valid + rejected events enrich has published. */
  handled(): number;
  stop(): Promise<void>;
}

export async function startEnrich(env: BenchEnv, s: Scratch, o: StageOptions = {}): Promise<RunningEnrich> {
  const publisher = createKafkaPublisher({
    brokers: env.brokers,
    clientId: 'wtm-enrich',
    logger: silentLogger,
    compression: o.enrichCompression ?? 'gzip',
  });
  const { enricher, db } = await createEnricherFromConfig(
    {
      kafkaBrokers: env.brokers,
      databaseUrl: s.databaseUrl,
      saltSecret: 'bench-secret-0123456789abcdef',
      topicPrefix: s.prefix,
      sink: undefined,
      logLevel: 'warn',
    },
    { publisher, logger: silentLogger },
  );
  const consumer = await startEnrichRunner({
    brokers: env.brokers,
    enricher,
    topic: s.topics.raw,
    logger: silentLogger,
    groupId: `wtm-enrich-${s.prefix}`,
    maxBatch: o.enrichMaxBatch,
    partitionsConsumedConcurrently: o.partitionsConcurrently,
  });
  await until('enrich joins its group', () => consumer.ready(), 60_000);
  return {
    enricher,
    consumer,
    handled: () => {
      const m = enricher.metrics();
      return m.enriched + Object.values(m.rejected).reduce((a, b) => a + b, 0);
    },
    async stop() {
      await consumer.stop();
      await publisher.close();
      await db.close();
    },
  };
}

export interface RunningAggregate {
  stage: AggregateStage;
  consumer: RunningConsumer;
  /** Events stored (duplicates included: they were handled too). */
  handled(): number;
  /** Events per writer flush so far. */
  eventsPerFlush(): number;
  stop(): Promise<void>;
}

export async function startAggregate(env: BenchEnv, s: Scratch, o: StageOptions = {}): Promise<RunningAggregate> {
  const publisher: KafkaPublisher = createKafkaPublisher({ brokers: env.brokers, clientId: 'wtm-aggregate', logger: silentLogger });
  let db: Database | string = s.databaseUrl;
  if (o.aggregatePool !== undefined) db = createDatabase({ url: s.databaseUrl, pool: { max: o.aggregatePool } });
  const stage = await createAggregateStage({
    db,
    publisher,
    topics: s.topics,
    logger: silentLogger,
    writer: { maxBatch: o.aggregateMaxBatch ?? DEFAULT_FLUSH_SIZE, flushIntervalMs: o.flushIntervalMs ?? 250, pruneIntervalMs: 0 },
  });
  const consumer = await startAggregateRunner({
    brokers: env.brokers,
    topics: s.topics,
    aggregator: stage.aggregator,
    logger: silentLogger,
    groupId: `wtm-aggregate-${s.prefix}`,
    maxBatch: o.aggregateMaxBatch,
    partitionsConsumedConcurrently: o.partitionsConcurrently,
  });
  await until('aggregate joins its group', () => consumer.ready(), 60_000);
  return {
    stage,
    consumer,
    handled: () => {
      const w = stage.writer.stats();
      return w.written + w.duplicates;
    },
    eventsPerFlush: () => {
      const w = stage.writer.stats();
      return w.flushes === 0 ? 0 : (w.written + w.duplicates) / w.flushes;
    },
    async stop() {
      await consumer.stop();
      await stage.close();
      if (typeof db !== 'string') await db.close();
      await publisher.close();
    },
  };
}

/** Enriched events for the given raw ones, by enrich's own core in process (no Kafka), sites from the scratch database. */
export async function enrichInProcess(s: Scratch, raw: readonly CloudEvent<RawTraffic>[]): Promise<CloudEvent<EnrichedTraffic>[]> {
  const out: CloudEvent<EnrichedTraffic>[] = [];
  const db = createDatabase({ url: s.databaseUrl });
  try {
    const enricher = createEnricher({
      sites: createCachedSiteLookup(createSiteRegistry(db), { ttlMs: 60_000 }),
      geo: await openGeoIp(),
      saltSecret: 'bench-secret-0123456789abcdef',
      now: () => new Date(),
      publisher: { publish: async () => undefined, close: async () => undefined },
      topics: s.topics,
      logger: silentLogger,
    });
    for (let i = 0; i < raw.length; i += 500) {
      const inbound = raw.slice(i, i + 500).map((e, j) => {
        const m = toKafkaMessage(e);
        return inboundFromKafka({ ...m, key: m.key === null ? null : Buffer.from(m.key) }, `bench@${i + j}`);
      });
      for (const o of await enricher.process(inbound)) if (o.kind === 'enriched') out.push(o.event);
    }
  } finally {
    await db.close();
  }
  return out;
}

/** How long a pass over `n` events may take: 2 ms per event is far beyond any sane rate, so only a hang trips it. */
export const timeoutFor = (n: number): number => 120_000 + n * 2;

/** What a pass that drained a topic measured: events/s, and its CPU figures (`<name>.cpu.*`, bench/cpu.ts). */
export interface Pass {
  rate: number;
  cpu: Figure[];
}

/** The rate and CPU of a pass that drained `n` events since `t`, taken now (before its consumer stops). */
export function measured(name: string, n: number, t: number, meter: CpuMeter): Pass {
  return { rate: n / ((performance.now() - t) / 1000), cpu: meter.figures(name, n) };
}

/**
 * A bare kafkajs consumer (a new group) from the beginning of `topic`, its eachBatch only counting, until it
 * has seen `n` records: the no-op consumer the stages' rates are compared with. Rate and CPU run from the
 * group join (kafkajs' join takes seconds and is not throughput).
 */
export async function drainNoop(env: BenchEnv, topic: string, n: number, name: string): Promise<Pass> {
  const kafka = new Kafka({ clientId: 'bench-noop', brokers: env.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-noop-${runId()}` });
  let joinedAt = 0;
  let cpu = startCpuMeter();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
    cpu = startCpuMeter();
  });
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
      },
    });
    await until('the no-op consumer sees every record', () => seen >= n, timeoutFor(n));
    return measured(name, n, joinedAt, cpu);
  } finally {
    await consumer.disconnect();
  }
}

/** The generate stage as the CLI runs it: batches of 500 through the kafkajs publisher, 8 in flight. */
export async function produceWithPublisher(
  env: BenchEnv,
  topic: string,
  events: readonly CloudEvent<RawTraffic>[],
  compression: Compression,
) {
  const publisher = createKafkaPublisher({ brokers: env.brokers, clientId: 'wtm-generate', logger: silentLogger, compression });
  try {
    await runGeneration({ items: events.map((event) => ({ type: 'event' as const, event })), publisher, topic, batchSize: 500, rate: 0 });
  } finally {
    await publisher.close();
  }
}
