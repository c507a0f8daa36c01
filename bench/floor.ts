/**
 * The floor of the aggregate stage under DESIGN §9's per-event facts: how fast could any writer that
 * stores one `events` row per event drain the enriched topic on this machine? Each pass consumes the same
 * enriched records (a staged enrich fills the topic once) with the product's kafkajs runner and aggregator,
 * in front of a writer that does less than the product's:
 *
 *   noop_raw       bare kafkajs, eachBatch counts (the raw topic: the pipeline bench's baseline)
 *   noop_enriched  the same on the enriched topic (its batches are gzip'd: the decompression is in it)
 *   decode         the product's runner + aggregator (decode, site lookup), a writer that only counts
 *   events         + the `events` fact rows, and nothing else: group commit, one transaction per flush,
 *                  the product's INSERT statement (bound values, its indexes); no visits, no rollups
 *   full           the product's aggregate stage (bench/harness.ts startAggregate)
 *
 * Rounds interleave the passes (BENCH_FLOOR_ROUNDS, default 3), each database pass on a fresh database, so a
 * noisy machine moves them alike. Every rate's baseline is the same round's noop.raw, as in
 * `pipeline.staged.aggregate`; each pass also reports its CPU per event (bench/cpu.ts).
 *
 *   BENCH_EVENTS=100000 npx tsx bench/floor.ts
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Topics } from '../events';
import { createAggregator } from '../functions/aggregate/aggregator';
import { createGroupCommitBuffer } from '../functions/aggregate/buffer';
import { DEFAULT_FLUSH_SIZE } from '../functions/aggregate/config';
import { startAggregateRunner } from '../functions/aggregate/runner';
import { createStatements } from '../functions/aggregate/statements';
import { DEFAULT_FLUSH_QUIET_MS, toFactEvent, type ResolvedEvent, type Writer, type WriterStats } from '../functions/aggregate/writer';
import { DEMO_SITES } from '../functions/generate/sites';
import { createDatabase, type Database } from '../functions/lib/db';
import { silentLogger } from '../functions/lib/logger';
import { createCachedSiteLookup, createSiteRegistry } from '../functions/sites/registry';
import { runId } from '../test/services';
import { startCpuMeter } from './cpu';
import { figure, main, median, rate, until, type Figure } from './figure';
import {
  benchEnv,
  createScratch,
  drainNoop,
  measured,
  produceWithPublisher,
  seededWorkload,
  startAggregate,
  startEnrich,
  timeoutFor,
  withScratchDatabase,
  type BenchEnv,
  type Pass,
} from './harness';

/** A writer that stores what `store` stores of each flush, behind the product's group-commit buffer. */
function floorWriter(store: (items: ResolvedEvent[]) => Promise<void>): Writer {
  const stats: WriterStats = { flushes: 0, written: 0, duplicates: 0, retries: 0, failedFlushes: 0, dedupeReruns: 0 };
  const buffer = createGroupCommitBuffer<ResolvedEvent>({
    maxBatch: DEFAULT_FLUSH_SIZE,
    intervalMs: 250,
    quietMs: DEFAULT_FLUSH_QUIET_MS,
    flush: async (items) => {
      await store(items);
      stats.flushes++;
      stats.written += items.length;
    },
  });
  return {
    add: (events) => buffer.add(events),
    flush: () => buffer.drain(),
    prune: () => Promise.reject(new Error('not in the floor writer')),
    stats: () => ({ ...stats }),
    close: () => buffer.drain(),
  };
}

/** Only the `events` rows, with the product's statement, one transaction per flush. */
const eventsOnly = (db: Database) => (items: ResolvedEvent[]) =>
  db.sequelize.transaction(async (t) => {
    await createStatements(db.sequelize, db.dialect, t).insertEvents(items.map(toFactEvent), () => '');
  });

/** The product's runner and aggregator on the enriched topic, in front of a floor writer; resolves at n events. */
async function drainWith(
  env: BenchEnv,
  topics: Topics,
  databaseUrl: string,
  n: number,
  name: string,
  writerOf: (db: Database) => Writer,
): Promise<Pass> {
  const db = createDatabase({ url: databaseUrl });
  const writer = writerOf(db);
  const aggregator = createAggregator({
    writer,
    sites: createCachedSiteLookup(createSiteRegistry(db), { ttlMs: 60_000 }),
    topics,
    logger: silentLogger,
  });
  const consumer = await startAggregateRunner({
    brokers: env.brokers,
    topics,
    aggregator,
    logger: silentLogger,
    groupId: `wtm-floor-${runId()}`,
  });
  try {
    await until('the floor runner joins its group', () => consumer.ready(), 60_000);
    const t = performance.now();
    const cpu = startCpuMeter();
    await until('the floor runner drains the topic', () => writer.stats().written >= n, timeoutFor(n));
    return measured(name, n, t, cpu);
  } finally {
    await consumer.stop();
    await writer.close();
    await db.close();
  }
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const n = Number(env.BENCH_EVENTS ?? 100_000);
  const rounds = Number(env.BENCH_FLOOR_ROUNDS ?? 3);
  const be = benchEnv(env);
  const events = await seededWorkload(n);
  const s = await createScratch(be, DEMO_SITES);
  const figures: Figure[] = [];
  const ratios = new Map<string, number[]>();
  try {
    // fill both topics once: raw by the generate publisher, enriched by the product's enrich runner
    await produceWithPublisher(be, s.topics.raw, events, 'none');
    const enrich = await startEnrich(be, s);
    await until('enrich handles every event', () => enrich.handled() >= n, timeoutFor(n));
    await enrich.stop();
    const enriched = await countEnriched(be, s.topics.enriched);

    for (let r = 1; r <= rounds; r++) {
      const label = `floor.r${r}`;
      const base = await drainNoop(be, s.topics.raw, n, `${label}.noop_raw`);
      figures.push(rate(`${label}.noop_raw`, base.rate, null), ...base.cpu);
      const passes: [string, (name: string) => Promise<Pass>][] = [
        ['noop_enriched', (name) => drainNoop(be, s.topics.enriched, enriched, name)],
        ['decode', (name) => drainWith(be, s.topics, s.databaseUrl, enriched, name, () => floorWriter(async () => undefined))],
        [
          'events',
          (name) =>
            withScratchDatabase(be, DEMO_SITES, (url) => drainWith(be, s.topics, url, enriched, name, (db) => floorWriter(eventsOnly(db)))),
        ],
        ['full', (name) => drainFull(be, s.topics, enriched, name)],
      ];
      for (const [name, pass] of passes) {
        const p = await pass(`${label}.${name}`);
        const f = rate(`${label}.${name}`, p.rate, base.rate);
        figures.push(f, ...p.cpu);
        ratios.set(name, [...(ratios.get(name) ?? []), f.ratio ?? 0]);
      }
    }
  } finally {
    await s.drop();
  }
  // the median round's ratio of each pass: what the rounds say together
  for (const [name, rs] of ratios) figures.push(figure(`floor.median.${name}`, median(rs), 'ratio', null, 3));
  return figures;
}

/** The product's aggregate stage, as the staged pipeline pass starts it, on a fresh database. */
function drainFull(env: BenchEnv, topics: Topics, n: number, name: string): Promise<Pass> {
  return withScratchDatabase(env, DEMO_SITES, async (url) => {
    const agg = await startAggregate(env, { topics, prefix: `floor-${runId()}`, databaseUrl: url, drop: async () => undefined });
    try {
      const t = performance.now();
      const cpu = startCpuMeter();
      await until('aggregate stores every event', () => agg.handled() >= n, timeoutFor(n));
      return measured(name, n, t, cpu);
    } finally {
      await agg.stop();
    }
  });
}

/** Records on the enriched topic (the events enrich kept: the seeded workload has no rejects, but count). */
async function countEnriched(env: BenchEnv, topic: string): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-floor', brokers: env.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

if (require.main === module) main(() => run());
