/**
 * The kafkajs adapter end to end on real Kafka and MariaDB: enriched records (each produced twice)
 * plus a malformed one and one for an unregistered site → rollups equal the oracle, the two bad
 * records land on the rejected topic with their reasons.
 */
import { Kafka, logLevel } from 'kafkajs';
import { QueryTypes } from 'sequelize';
import { decodeRejected, fromKafkaMessage, toKafkaMessage, type RejectedTraffic } from '../../events';
import { describeWithServices } from '../../test/services';
import { createKafkaPublisher } from '../lib/kafka';
import { silentLogger } from '../lib/logger';
import { buildEvents, FIXTURE_SITES, oracle } from './fixtures';
import { eventKey } from './model';
import { startAggregateRunner } from './runner';
import { createAggregateStage } from './stage';

jest.setTimeout(300_000);

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describeWithServices('aggregate runner on Kafka and MariaDB', ['kafka', 'mysql'], (services) => {
  it('stores every enriched record once and rejects the bad ones', async () => {
    const { brokers, topics, databaseUrl } = services();
    const events = buildEvents({ seed: 11, sessions: 150 });
    const want = oracle(events, (e) => eventKey(e.attributes));
    const publisher = createKafkaPublisher({ brokers, clientId: 'test', logger: silentLogger });
    const stage = await createAggregateStage({
      db: databaseUrl,
      migrate: true,
      publisher,
      topics,
      logger: silentLogger,
      writer: { pruneIntervalMs: 0 },
    });
    for (const s of FIXTURE_SITES) await stage.registry.add({ ...s, isPublic: true });
    const consumer = await startAggregateRunner({
      brokers,
      topics,
      aggregator: stage.aggregator,
      logger: silentLogger,
      groupId: `agg-${Date.now()}`,
    });
    const producer = new Kafka({ clientId: 'test-raw', brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const unknown = {
      ...events[0]!,
      attributes: { ...events[0]!.attributes, id: 'unknown-site' },
      data: { ...events[0]!.data, site: 'nowhere.example' },
    };
    const messages = [...events, ...events].map((e) => toKafkaMessage(e));
    messages.push({ ...messages[0]!, value: Buffer.from('{"site":"shop.example"}') }, toKafkaMessage(unknown));
    await producer.send({ topic: topics.enriched, messages });
    await producer.disconnect();

    const totals = async () =>
      (
        await stage.db.sequelize.query<{ pv: number; ev: number; bots: number; visits: number }>(
          "SELECT SUM(pageviews) AS pv, SUM(events) AS ev, SUM(bot_events) AS bots, SUM(visits) AS visits FROM rollups WHERE grain = 'd' AND dimension = ''",
          { type: QueryTypes.SELECT },
        )
      )[0]!;
    const expected = [...want.rollups]
      .filter(([k]) => k.includes('|d||'))
      .reduce((s, [, r]) => ({ pv: s.pv + r.pageviews, ev: s.ev + r.events, bots: s.bots + r.bot_events, visits: s.visits + r.visits }), {
        pv: 0,
        ev: 0,
        bots: 0,
        visits: 0,
      });
    await until('all events stored', async () => stage.writer.stats().written === events.length);
    const got = await totals();
    expect({ pv: Number(got.pv), ev: Number(got.ev), bots: Number(got.bots), visits: Number(got.visits) }).toEqual(expected);

    const rejected: RejectedTraffic[] = [];
    const reader = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${Date.now()}` });
    await reader.connect();
    await reader.subscribe({ topic: topics.rejected, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void rejected.push(decodeRejected(fromKafkaMessage(message)).data) });
    await until('two rejected records', async () => rejected.length >= 2);
    await reader.disconnect();
    expect(rejected.map((r) => r.reason).sort()).toEqual(['invalid_data', 'unknown_site']);

    await consumer.stop();
    await stage.close();
    await publisher.close();
  });
});
