/**
 * Pipeline throughput: generate → Kafka → enrich → Kafka → aggregate → MariaDB with the product's
 * kafkajs runners on the local broker and database, for a fixed seeded workload (BENCH_EVENTS,
 * default 1,000,000 valid raw events of the demo sites).
 *
 *   npx tsx bench/pipeline.ts                 BENCH_EVENTS=100000 npx tsx bench/pipeline.ts
 *   BENCH_EVENTS=50000 BENCH_COMPARE_EVENTS=0 BENCH_CONCURRENT=0 npx tsx bench/pipeline.ts   (baseline + staged only)
 *
 * Three passes over the same events, each on fresh topics (4 partitions) and a fresh database:
 *   1. baseline: the same serialised records (toKafkaMessage bytes) produced with a plain kafkajs
 *      producer (acks=all, no compression, 4 requests in flight), then consumed from the beginning by a
 *      plain consumer whose eachBatch does nothing but count;
 *   2. staged: each product stage alone, so its rate is its own: the generate publisher fills the raw
 *      topic, then enrich drains it, then aggregate drains the enriched topic;
 *   3. concurrent: both runners up first, then the generate publisher; end to end = events / time from
 *      the first publish to the last event stored: the sustained rate of the whole pipeline, where the
 *      three stages share the machine's cores as they would share a node.
 * Consumer rates run from the moment the group is joined (kafkajs' join takes seconds and is not throughput).
 * The staged aggregate also reports CPU µs per event of this process, MariaDB and the broker (bench/cpu.ts):
 * ratio = the share of the wall time per event each one was busy.
 */
import { Kafka, logLevel } from 'kafkajs';
import { toKafkaMessage, type CloudEvent, type KafkaOutgoing, type RawTraffic } from '../events';
import { DEMO_SITES } from '../functions/generate/sites';
import { createTestTopics } from '../test/services';
import { startCpuMeter } from './cpu';
import { startRunnerProcess } from './processes';
import { main, rate, figure, until, type Figure } from './figure';
import {
  benchEnv,
  createScratch,
  drainNoop,
  produceWithPublisher,
  seededWorkload,
  startAggregate,
  startEnrich,
  timeoutFor,
  type BenchEnv,
  type StageOptions,
} from './harness';

async function baseline(
  env: BenchEnv,
  events: readonly CloudEvent<RawTraffic>[],
): Promise<{ produce: number; consume: number; consumeCpu: Figure[] }> {
  const messages: KafkaOutgoing[] = events.map((e) => toKafkaMessage(e));
  const t = await createTestTopics(env.brokers, `wtm.bench.base.${Date.now().toString(36)}`, 4);
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: env.brokers, logLevel: logLevel.NOTHING });
  try {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const started = performance.now();
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += 1000) {
      window.push(producer.send({ topic: t.topics.raw, acks: -1, messages: messages.slice(i, i + 1000) }));
      if (window.length >= 4) await window.shift();
    }
    await Promise.all(window);
    const produceS = (performance.now() - started) / 1000;
    await producer.disconnect();

    const consumed = await drainNoop(env, t.topics.raw, messages.length, 'baseline.kafkajs_consume_noop');
    return { produce: messages.length / produceS, consume: consumed.rate, consumeCpu: consumed.cpu };
  } finally {
    await t.drop();
  }
}

export interface PipelineResult {
  figures: Figure[];
  /** End-to-end events/s of the concurrent pass (freshness runs at half of it). */
  endToEnd: number;
}

export async function runPipeline(
  env: BenchEnv,
  events: readonly CloudEvent<RawTraffic>[],
  o: StageOptions & {
    label?: string;
    staged?: boolean;
    concurrent?: boolean;
    /** The concurrent pass again with each runner in its own process, as deployed (bench/processes.ts). */
    processes?: boolean;
    /** Staged pass without the aggregate stage (for settings that only touch enrich). */
    skipAggregate?: boolean;
    baseline?: { produce: number; consume: number };
  } = {},
): Promise<PipelineResult> {
  const n = events.length;
  const label = o.label === undefined ? 'pipeline' : `pipeline.${o.label}`;
  const base: { produce: number; consume: number; consumeCpu?: Figure[] } = o.baseline ?? (await baseline(env, events));
  const figures: Figure[] = [];
  if (o.baseline === undefined) {
    figures.push(
      rate(`${label}.baseline.kafkajs_produce`, base.produce, null),
      rate(`${label}.baseline.kafkajs_consume_noop`, base.consume, null),
      ...(base.consumeCpu ?? []).map((f) => ({ ...f, name: `${label}.${f.name}` })),
    );
  }
  if (o.staged !== false) {
    const s = await createScratch(env, DEMO_SITES);
    try {
      let t = performance.now();
      await produceWithPublisher(env, s.topics.raw, events, 'none');
      figures.push(rate(`${label}.staged.produce`, n / ((performance.now() - t) / 1000), base.produce));
      const enrich = await startEnrich(env, s, o);
      t = performance.now();
      await until('enrich handles every event', () => enrich.handled() >= n, timeoutFor(n));
      figures.push(rate(`${label}.staged.enrich`, n / ((performance.now() - t) / 1000), base.consume));
      await enrich.stop();
      if (o.skipAggregate === true) return { figures, endToEnd: 0 };
      const agg = await startAggregate(env, s, o);
      t = performance.now();
      const cpu = startCpuMeter();
      await until('aggregate stores every event', () => agg.handled() >= n, timeoutFor(n));
      figures.push(
        rate(`${label}.staged.aggregate`, n / ((performance.now() - t) / 1000), base.consume),
        figure(`${label}.staged.aggregate.events_per_flush`, agg.eventsPerFlush(), 'events', null),
        ...cpu.figures(`${label}.staged.aggregate`, n),
      );
      await agg.stop();
    } finally {
      await s.drop();
    }
  }
  let endToEnd = 0;
  if (o.concurrent !== false) {
    const s = await createScratch(env, DEMO_SITES);
    try {
      const enrich = await startEnrich(env, s, o);
      const agg = await startAggregate(env, s, o);
      const t = performance.now();
      let producedAt = 0;
      let enrichedAt = 0;
      const produced = produceWithPublisher(env, s.topics.raw, events, 'none').then(() => (producedAt = performance.now()));
      void until('enrich', () => enrich.handled() >= n, timeoutFor(n)).then(
        () => (enrichedAt = performance.now()),
        () => undefined,
      );
      await until('aggregate stores every event', () => agg.handled() >= n, timeoutFor(n));
      const storedAt = performance.now();
      await produced;
      const secs = (x: number) => (x - t) / 1000;
      endToEnd = n / secs(storedAt);
      figures.push(
        rate(`${label}.concurrent.produce`, n / secs(producedAt), base.produce),
        rate(`${label}.concurrent.enrich`, n / secs(enrichedAt), base.consume),
        rate(`${label}.concurrent.aggregate`, n / secs(storedAt), base.consume),
        // baseline end to end: the same records produced, then consumed, by bare kafkajs
        rate(`${label}.end_to_end`, endToEnd, 1 / (1 / base.produce + 1 / base.consume)),
      );
      await enrich.stop();
      await agg.stop();
    } finally {
      await s.drop();
    }
  }
  if (o.processes === true) {
    const s = await createScratch(env, DEMO_SITES);
    const enrich = startRunnerProcess('enrich', env.brokers, s);
    const aggregate = startRunnerProcess('aggregate', env.brokers, s);
    try {
      await until('both runner processes join their groups', () => enrich.joined() && aggregate.joined(), 120_000);
      const cpu = startCpuMeter({ enrich: enrich.pid, aggregate: aggregate.pid });
      const t = performance.now();
      await produceWithPublisher(env, s.topics.raw, events, 'none');
      await until('the aggregate process stores every event', () => aggregate.stored() >= n, timeoutFor(n));
      const rateOf = n / ((performance.now() - t) / 1000);
      figures.push(
        rate(`${label}.processes.end_to_end`, rateOf, 1 / (1 / base.produce + 1 / base.consume)),
        ...cpu.figures(`${label}.processes`, n).map((f) => ({ ...f, name: f.name.replace(/\.cpu\.node(?=$|\.)/, '.cpu.producer') })),
      );
    } finally {
      await Promise.all([enrich.stop(), aggregate.stop()]);
      await s.drop();
    }
  }
  return { figures, endToEnd };
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const n = Number(env.BENCH_EVENTS ?? 1_000_000);
  const compareN = Number(env.BENCH_COMPARE_EVENTS ?? 20_000);
  const be = benchEnv(env);
  const t = performance.now();
  const events = await seededWorkload(n);
  const generate = n / ((performance.now() - t) / 1000);
  const stagedN = Math.min(n, Number(env.BENCH_STAGED_EVENTS ?? n));
  const figures = [figure('pipeline.workload.events', n, 'events', null, 0), rate('pipeline.workload.simulate', generate, null)];
  const concurrent = env.BENCH_CONCURRENT !== '0';
  // the concurrent pass once more with each runner in its own process (BENCH_PROCESSES=0: not)
  const processes = concurrent && env.BENCH_PROCESSES !== '0';
  if (stagedN === n) figures.push(...(await runPipeline(be, events, { concurrent, processes })).figures);
  else {
    // the long concurrent run on every event; the staged pass (each stage alone) on the first BENCH_STAGED_EVENTS
    figures.push(...(await runPipeline(be, events, { staged: false, processes })).figures);
    figures.push(figure('pipeline.slice.workload.events', stagedN, 'events', null, 0));
    figures.push(...(await runPipeline(be, events.slice(0, stagedN), { label: 'slice', concurrent: false })).figures);
  }
  if (compareN > 0) {
    // Before/after of the speed changes, on the first BENCH_COMPARE_EVENTS of the same workload, in this run.
    const slice = events.slice(0, compareN);
    const base = await baseline(be, slice);
    figures.push(
      rate('pipeline.compare.baseline.kafkajs_produce', base.produce, null),
      rate('pipeline.compare.baseline.kafkajs_consume_noop', base.consume, null),
      ...(await runCompare(be, slice, base, [
        { label: 'compare.partitions_1', options: { partitionsConcurrently: 1 } },
        { label: 'compare.partitions_4', options: { partitionsConcurrently: 4 } },
        { label: 'compare.partitions_4_flush_20000', options: { partitionsConcurrently: 4, aggregateMaxBatch: 20_000 } },
      ])),
      ...(
        await runPipeline(be, slice, {
          label: 'compare.enrich_publish_none',
          enrichCompression: 'none',
          baseline: base,
          concurrent: false,
          skipAggregate: true,
        })
      ).figures,
    );
    // the default (gzip) enrich publisher is in partitions_4 above
  }
  return figures;
}

/** Before/after of one setting on a smaller slice of the same workload, staged only (each stage alone). */
export async function runCompare(
  env: BenchEnv,
  events: readonly CloudEvent<RawTraffic>[],
  baseline: { produce: number; consume: number },
  variants: readonly { label: string; options: StageOptions }[],
): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const v of variants)
    out.push(...(await runPipeline(env, events, { ...v.options, label: v.label, baseline, concurrent: false })).figures);
  return out;
}

if (require.main === module) main(() => run());
