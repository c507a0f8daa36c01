/**
 * Acceptance test of the Knative path (issues 3, 12, 13): the enrich and aggregate Functions Framework
 * functions (their `createFunction`, served by the framework's own express server on loopback)
 * fed the way an unordered KafkaSource feeds them — every record POSTed as a binary-mode CloudEvent
 * (`ce-*` headers), 128 requests in flight, so a person's events reach aggregate in any order, retryable
 * answers retried — with enrich producing to the suite's enriched topic and a second KafkaSource
 * stand-in posting those to aggregate. What the stats API answers over this suite's own database equals
 * the ground truth exactly (compare.ts), as on the kafkajs path. Smaller than the kafkajs run (CI time).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createFunction as createAggregateFunction } from '../../functions/aggregate/function';
import { createFunction as createEnrichFunction } from '../../functions/enrich/function';
import type { Database } from '../../functions/lib/db';
import type { WtmFunction } from '../../functions/lib/function';
import { describeWithServices } from '../services';
import { compareWithTruth, formatMismatches } from './compare';
import {
  SALT_SECRET,
  checkRejected,
  createWorkload,
  prepareDatabase,
  produceRaw,
  readTopic,
  startKafkaSourceBridge,
  type BridgeStats,
  waitForGroups,
  type Workload,
} from './harness';

const COUNT = 20_000;
/** raw → enrich: enrich is stateless, so its source may be unordered too. */
const IN_FLIGHT = 128;
/**
 * enriched → aggregate is `unordered` (knative/base/kafka-sources.yaml): aggregate answers once its
 * micro-batch is stored (group commit), so it needs many events in flight.
 */
const AGGREGATE_IN_FLIGHT = 128;

async function serve(name: string, fn: WtmFunction): Promise<{ url: string; server: Server }> {
  ff.http(name, (req, res) => fn.handle(req, res));
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describeWithServices('pipeline over HTTP as Knative delivers it (enrich and aggregate functions)', ['kafka', 'mysql'], (services) => {
  let workload: Workload;
  let db: Database;
  const fns: WtmFunction[] = [];
  const servers: Server[] = [];
  const bridges: { stats: BridgeStats; stop(): Promise<void> }[] = [];
  const groups = () => {
    const { topicPrefix, topics } = services();
    return [
      { label: 'KafkaSource raw → enrich', groupId: `${topicPrefix}.kafkasource-enrich`, topic: topics.raw },
      { label: 'KafkaSource enriched → aggregate', groupId: `${topicPrefix}.kafkasource-aggregate`, topic: topics.enriched },
    ];
  };

  beforeAll(async () => {
    const s = services();
    workload = await createWorkload({ seed: 7, count: COUNT, days: 3, malformedShare: 0.01 });
    db = await prepareDatabase(s.databaseUrl);
    // The environment the Knative Services give the functions (knative/), with this suite's topics and database.
    const env = {
      KAFKA_BROKERS: s.brokers.join(','),
      DATABASE_URL: s.databaseUrl,
      WTM_SALT_SECRET: SALT_SECRET,
      WTM_TOPIC_PREFIX: s.topicPrefix,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    fns.push(await createEnrichFunction(env), await createAggregateFunction(env));
    const [enrich, aggregate] = [await serve('pipelineEnrich', fns[0]!), await serve('pipelineAggregate', fns[1]!)];
    servers.push(enrich.server, aggregate.server);
    const [toEnrich, toAggregate] = groups();
    bridges.push(
      await startKafkaSourceBridge({
        brokers: s.brokers,
        topic: toEnrich!.topic,
        groupId: toEnrich!.groupId,
        url: enrich.url,
        concurrency: IN_FLIGHT,
      }),
      await startKafkaSourceBridge({
        brokers: s.brokers,
        topic: toAggregate!.topic,
        groupId: toAggregate!.groupId,
        url: aggregate.url,
        concurrency: AGGREGATE_IN_FLIGHT,
      }),
    );
  }, 300_000);

  afterAll(async () => {
    for (const b of bridges) await b.stop().catch(() => undefined);
    for (const s of servers) await new Promise((r) => s.close(r));
    for (const f of fns) await f.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }, 120_000);

  it(`counts ${COUNT.toLocaleString('en-US')} events exactly as the ground truth`, async () => {
    const s = services();
    const started = Date.now();
    const sent = await produceRaw({ brokers: s.brokers, topic: s.topics.raw, items: workload.recording(), truth: workload.truth });
    expect(sent.events).toBe(COUNT);
    await waitForGroups(s.brokers, groups(), {
      timeoutMs: 480_000,
      progress: () => `bridges ${JSON.stringify(bridges.map((b) => ({ ...b.stats, deadLettered: b.stats.deadLettered.length })))}`,
    });
    process.stderr.write(`knative path: ${COUNT} events + ${workload.malformed.length} malformed in ${Date.now() - started} ms\n`);

    const mismatches = await compareWithTruth(db, workload.truth.toJSON());
    if (mismatches.length > 0) throw new Error(`${formatMismatches(mismatches)}\nworkload: ${workload.describe()}`);
  });

  it('rejects the malformed records with their reasons; only invalid JSON bodies go to the dead-letter sink', async () => {
    const s = services();
    const dead = bridges.flatMap((b) => b.stats.deadLettered);
    // Known issue (see the report of issue 3): the Functions Framework's body parser answers 400 to a
    // binary-mode request whose application/json body is not JSON, before enrich sees it, so Knative
    // dead-letters it (KafkaSink into the rejected topic, with knativeerror* extensions) instead of
    // enrich writing a rejected event with reason invalid_json.
    const invalidJson = workload.malformed.filter((m) => m.kind === 'invalid_json');
    if (dead.length > 0)
      process.stderr.write(
        `knative path: ${dead.length} records dead-lettered (status ${[...new Set(dead.map((d) => d.status))].join(',')})\n`,
      );
    expect(dead.every((d) => d.status === 400)).toBe(true);
    expect(dead.length === 0 || dead.length === invalidJson.length).toBe(true);
    const rejected = await readTopic(s.brokers, s.topics.rejected);
    const expected = dead.length === 0 ? workload.malformed : workload.malformed.filter((m) => m.kind !== 'invalid_json');
    expect(checkRejected(rejected, expected, { copies: 1, transport: 'http' })).toEqual([]);
  });
});
