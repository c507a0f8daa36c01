/**
 * Freshness: how long after an event is produced it shows in the stats API.
 *
 * The pipeline (kafkajs enrich and aggregate runners with their defaults, local Kafka and MariaDB) runs
 * at a steady BENCH_FRESHNESS_RATE events/s (`npm run bench` passes half the end-to-end rate measured by
 * bench/pipeline) for BENCH_FRESHNESS_SECONDS. Every 100 ms a batch of the seeded workload (one site,
 * timestamps rewritten to the moment of publishing) is published; we note (publish start, cumulative
 * count). A poller asks `GET /api/v1/stats/summary?period=today` (createQueryHandler over node:http) every
 * POLL_MS; pageviews + events + bot_events is every valid event stored. A batch is visible at the first
 * answer whose count covers it: latency = that answer's arrival − the batch's publish start. The error is
 * at most one poll interval plus one query (both reported).
 * Baseline in the same run, same method: a plain kafkajs consumer (no-op) on the raw topic — the time
 * Kafka alone needs to hand the same records to a consumer.
 *
 *   BENCH_FRESHNESS_RATE=500 BENCH_FRESHNESS_SECONDS=30 npx tsx bench/freshness.ts
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { createRawEvent } from '../events';
import { DEMO_SITES } from '../functions/generate/sites';
import { createDatabase } from '../functions/lib/db';
import { createKafkaPublisher } from '../functions/lib/kafka';
import { silentLogger } from '../functions/lib/logger';
import { createQueryHandler } from '../functions/query/handler';
import { figure, main, percentile, sleep, until, type Figure } from './figure';
import { benchEnv, createScratch, seededWorkload, startAggregate, startEnrich } from './harness';

const TICK_MS = 100;
const POLL_MS = 100;

interface Mark {
  at: number;
  cumulative: number;
}

/** For each mark, the first observation (time, count) with count ≥ mark.cumulative: latency in ms. */
function latencies(marks: readonly Mark[], seen: readonly Mark[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const m of marks) {
    while (j < seen.length && (seen[j]!.cumulative < m.cumulative || seen[j]!.at < m.at)) j++;
    if (j === seen.length) break;
    out.push(seen[j]!.at - m.at);
  }
  return out.sort((a, b) => a - b);
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const eventsPerSecond = Number(env.BENCH_FRESHNESS_RATE ?? 300);
  const seconds = Number(env.BENCH_FRESHNESS_SECONDS ?? 30);
  const be = benchEnv(env);
  const site = DEMO_SITES[0]!;
  const total = Math.round(eventsPerSecond * seconds);
  // Engagement events (time on page) are neither pageviews nor events: the summary's count never includes them.
  const workload = (await seededWorkload(total, [site], 33)).filter((e) => e.data.kind !== 'engagement');
  const s = await createScratch(be, [site]);
  const db = createDatabase({ url: s.databaseUrl });
  let http: Server | undefined;
  let stopPolling = async (): Promise<void> => undefined;
  const kafka = new Kafka({ clientId: 'bench-fresh', brokers: be.brokers, logLevel: logLevel.NOTHING });
  const raw = kafka.consumer({ groupId: `bench-fresh-raw-${s.prefix}` });
  try {
    const enrich = await startEnrich(be, s);
    const agg = await startAggregate(be, s);
    const handler = createQueryHandler({ db });
    http = createServer((req, res) => void handler.listener(req, res));
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1/stats/summary?site=${site.hostname}&period=today`;

    let rawSeen = 0;
    const rawObs: Mark[] = [];
    await raw.connect();
    await raw.subscribe({ topic: s.topics.raw, fromBeginning: true });
    let rawJoined = false;
    raw.on(raw.events.GROUP_JOIN, () => (rawJoined = true));
    await raw.run({
      eachBatch: async ({ batch }) => {
        rawSeen += batch.messages.length;
        rawObs.push({ at: performance.now(), cumulative: rawSeen });
      },
    });
    await until('raw consumer joins', () => rawJoined, 60_000);

    const apiObs: Mark[] = [];
    const queryMs: number[] = [];
    let polling = true;
    // A failed poll ends the poller and is rethrown below; the run's own error (if any) wins.
    const poller = (async () => {
      while (polling) {
        const t = performance.now();
        const r = await fetch(url);
        const body = (await r.json()) as { metrics?: { pageviews: number; events: number; bot_events: number } };
        const m = body.metrics;
        if (m !== undefined) apiObs.push({ at: performance.now(), cumulative: m.pageviews + m.events + m.bot_events });
        queryMs.push(performance.now() - t);
        await sleep(POLL_MS);
      }
    })();
    stopPolling = async () => {
      polling = false;
      await poller.catch(() => undefined);
    };

    const publisher = createKafkaPublisher({ brokers: be.brokers, clientId: 'wtm-generate', logger: silentLogger });
    const marks: Mark[] = [];
    const perTick = Math.max(1, Math.round((eventsPerSecond * TICK_MS) / 1000));
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0, tick = 0; i < workload.length; i += perTick, tick++) {
      const ahead = started + tick * TICK_MS - performance.now();
      if (ahead > 0) await sleep(ahead);
      const at = performance.now();
      const stamp = new Date().toISOString();
      const batch = workload
        .slice(i, i + perTick)
        .map((e) => createRawEvent({ id: e.attributes.id, data: { ...e.data, timestamp: stamp } }));
      marks.push({ at, cumulative: i + batch.length });
      inFlight.push(publisher.publish(s.topics.raw, batch));
    }
    await Promise.all(inFlight);
    const achieved = workload.length / ((performance.now() - started) / 1000);
    await until('every event visible in the API', () => (apiObs.at(-1)?.cumulative ?? 0) >= workload.length, 300_000);
    polling = false;
    await poller;
    await publisher.close();
    await enrich.stop();
    await agg.stop();

    const api = latencies(marks, apiObs);
    const kafkaOnly = latencies(marks, rawObs);
    queryMs.sort((a, b) => a - b);
    const out: Figure[] = [
      figure('freshness.rate', achieved, 'events/s', eventsPerSecond, 0),
      figure('freshness.poll_interval', POLL_MS, 'ms', null, 0),
      figure('freshness.summary_query.p50', percentile(queryMs, 0.5), 'ms', null),
    ];
    for (const [q, p] of [
      ['p50', 0.5],
      ['p95', 0.95],
      ['p99', 0.99],
    ] as const) {
      out.push(figure(`freshness.produce_to_api.${q}`, percentile(api, p), 'ms', percentile(kafkaOnly, p), 0));
    }
    return out;
  } finally {
    await stopPolling();
    await raw.disconnect().catch(() => undefined);
    await new Promise<void>((r) => (http === undefined ? r() : http.close(() => r())));
    await db.close();
    await s.drop();
  }
}

if (require.main === module) main(() => run());
