import { Kafka, logLevel } from 'kafkajs';
import {
  createRawEvent,
  decodeEnriched,
  decodeRejected,
  fromKafkaMessage,
  toKafkaMessage,
  type EnrichedTraffic,
  type RawTraffic,
  type RejectedTraffic,
} from '../../events';
import { describeWithServices } from '../../test/services';
import { openGeoIp } from '../lib/geoip';
import { createKafkaPublisher } from '../lib/kafka';
import { silentLogger } from '../lib/logger';
import type { SiteLookup } from '../sites/types';
import { createEnrichCore, createEnricher, type Outcome } from './core';
import { startEnrichRunner } from './runner';
import { inboundFromKafka } from '../lib/bus';

const NOW = new Date();
const sites: SiteLookup = {
  getSite: async (h) => (h === 'example.com' ? { id: 1, hostname: h, timezone: 'UTC', isPublic: true } : undefined),
};

function rawData(i: number): RawTraffic {
  return {
    kind: 'pageview',
    site: 'example.com',
    url: `https://example.com/p/${i % 7}`,
    referrer: i % 3 === 0 ? 'https://www.google.com/' : '',
    timestamp: new Date(NOW.getTime() - i * 1000).toISOString(),
    userAgent: i % 10 === 0 ? 'curl/8.5.0' : 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    ip: i % 2 === 0 ? '8.8.8.8' : '2a00:1450:4001:82b::200e',
    sessionId: `s${i % 5}`,
  };
}

interface Read {
  enriched: Map<string, EnrichedTraffic>;
  rejected: RejectedTraffic[];
}

/** Reads both output topics from the beginning until `enough` holds; answers what was read by then. */
async function readOutputs(brokers: string[], topics: string[], enough: (r: Read) => boolean): Promise<Read> {
  const r: Read = { enriched: new Map(), rejected: [] };
  const consumer = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `reader-${Date.now()}-${Math.random()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const read = await new Promise<Read>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const env = fromKafkaMessage(message);
        if (env.attributes.type.includes('enriched')) r.enriched.set(env.attributes.id, decodeEnriched(env).data);
        else r.rejected.push(decodeRejected(env).data);
        if (enough(r)) resolve({ enriched: new Map(r.enriched), rejected: [...r.rejected] });
      },
    });
  });
  await consumer.disconnect();
  return read;
}

/** One record handed to the enricher and published: where it came from and what it became. */
interface Handled {
  where: string;
  outcome: Outcome;
}

describeWithServices('enrich runner on Kafka', ['kafka'], (services) => {
  it('enriches good events exactly as the core does and rejects bad ones with their original payload', async () => {
    const { brokers, topics } = services();
    const geo = await openGeoIp();
    const n = 60;
    const good = Array.from({ length: n }, (_, i) => createRawEvent({ id: `ok-${i}`, data: rawData(i) }));
    const unknownSite = createRawEvent({ id: 'unknown', data: { ...rawData(1), site: 'nope.org', url: 'https://nope.org/' } });
    const bad = [
      { key: null, value: Buffer.from('not json at all'), headers: { 'x-test': 'garbage' } },
      {
        ...toKafkaMessage(good[0]!),
        value: Buffer.from('{"kind":"pageview"}'),
        headers: { ...toKafkaMessage(good[0]!).headers, ce_id: 'bad-data' },
      },
      toKafkaMessage(unknownSite),
    ];
    const producer = new Kafka({ clientId: 'producer', brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const records = [...good.map((e) => toKafkaMessage(e)), ...bad];
    // the same raw records twice: enriched ids must be identical
    await producer.send({ topic: topics.raw, messages: records });
    await producer.send({ topic: topics.raw, messages: records });
    await producer.disconnect();

    const publisher = createKafkaPublisher({ brokers, clientId: 'enrich-test', logger: silentLogger });
    const deps = { sites, geo, saltSecret: 'integration-secret-123', now: () => NOW };
    const enricher = createEnricher({ ...deps, publisher, topics, logger: silentLogger });
    // Consumption is at least once: a consumer restart or a rebalance between a sub-batch's publish
    // and its commit hands those records over again (seen on a loaded CI box). Every delivery is
    // recorded, so the test can tell each record's outcome from the redelivered copies.
    const handled: Handled[] = [];
    const runner = await startEnrichRunner({
      brokers,
      enricher: {
        handleBatch: async (batch) => {
          const outcomes = await enricher.process(batch);
          batch.forEach((b, i) => handled.push({ where: b.where, outcome: outcomes[i]! }));
        },
      },
      topic: topics.raw,
      logger: silentLogger,
      groupId: `enrich-${topics.raw}`,
      maxBatch: 20,
    });
    try {
      // every record of the raw topic handed over and published, none skipped
      const distinct = () => new Map(handled.map((h) => [h.where, h.outcome]));
      for (let i = 0; i < 2400 && distinct().size < 2 * records.length; i++) await new Promise((r) => setTimeout(r, 50));
      const perRecord = [...distinct().values()];
      expect(perRecord).toHaveLength(2 * records.length);
      const redelivered = handled.length - perRecord.length;
      if (redelivered > 0) console.log(`enrich runner: ${redelivered} records handed over again (at least once)`);
      // once per record: exactly the good, bot and bad records that were produced
      const enrichedOnce = perRecord.filter((o) => o.kind === 'enriched');
      expect(enrichedOnce).toHaveLength(2 * n);
      expect(enrichedOnce.filter((o) => o.bot)).toHaveLength((2 * n) / 10);
      const reasonsOnce = perRecord.flatMap((o) => (o.kind === 'rejected' ? [o.reason] : [])).sort();
      expect(reasonsOnce).toEqual([
        'invalid_cloudevent',
        'invalid_cloudevent',
        'invalid_data',
        'invalid_data',
        'unknown_site',
        'unknown_site',
      ]);
      // the enricher's metrics count every published delivery, the redelivered ones too
      const everyDelivery = handled.map((h) => h.outcome);
      expect(enricher.metrics()).toMatchObject({
        enriched: everyDelivery.filter((o) => o.kind === 'enriched').length,
        bots: everyDelivery.filter((o) => o.kind === 'enriched' && o.bot).length,
      });

      const rejectedDeliveries = everyDelivery.filter((o) => o.kind === 'rejected');
      const out = await readOutputs(
        brokers,
        [topics.enriched, topics.rejected],
        (r) => r.enriched.size >= n && r.rejected.length >= rejectedDeliveries.length,
      );
      // every good event arrived exactly as the pure core computes it
      const expectCore = createEnrichCore(deps);
      for (const e of good) {
        const o = await expectCore(inboundFromKafka(toKafkaMessage(e), 'expected'));
        if (o.kind !== 'enriched') throw new Error('expected enriched');
        expect(out.enriched.get(o.event.attributes.id)).toEqual(o.event.data);
      }
      expect(out.enriched.size).toBe(n); // duplicates (and redeliveries) collapse onto the same ids
      // every rejection published, each with its reason and the original payload
      expect(out.rejected.map((r) => r.reason).sort()).toEqual(rejectedDeliveries.map((o) => o.reason).sort());
      const garbage = out.rejected.find((r) => r.original.body === 'not json at all');
      expect(garbage?.original.headers['x-test']).toBe('garbage');
      expect(JSON.stringify([...out.enriched.values()])).not.toContain('8.8.8.8');
    } finally {
      await runner.stop();
      await publisher.close();
    }
  }, 180_000);
});
