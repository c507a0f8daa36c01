import { Kafka, logLevel } from 'kafkajs';
import { toKafkaMessage } from '/work/wt/aggregate/events';
import { benchEnv, createScratch, seededWorkload, enrichInProcess, startAggregate } from '/work/wt/aggregate/bench/harness';
import { DEMO_SITES } from '/work/wt/aggregate/functions/generate/sites';
import { until } from '/work/wt/aggregate/bench/figure';
async function go() {
  const n = Number(process.env.BENCH_EVENTS ?? 40000);
  const env = benchEnv(process.env);
  const s = await createScratch(env, DEMO_SITES);
  try {
    const enriched = await enrichInProcess(s, await seededWorkload(n));
    const kafka = new Kafka({ clientId: 'p', brokers: env.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const msgs = enriched.map((e) => toKafkaMessage(e));
    for (let i = 0; i < msgs.length; i += 1000) await producer.send({ topic: s.topics.enriched, messages: msgs.slice(i, i + 1000).map((m) => ({ ...m, key: m.key ?? undefined })) });
    await producer.disconnect();
    console.log('produced', msgs.length);
    const agg = await startAggregate(env, s);
    const t = performance.now();
    await until('stored', () => agg.handled() >= msgs.length, 600_000);
    const secs = (performance.now() - t) / 1000;
    console.log(`aggregate ${Math.round(msgs.length / secs)} ev/s, ${agg.eventsPerFlush()} per flush`, JSON.stringify(agg.stage.writer.stats()));
    await agg.stop();
  } finally {
    await s.drop();
  }
  process.exit(0);
}
void go();
