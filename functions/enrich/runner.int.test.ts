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
import { createEnrichCore, createEnricher } from './core';
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

/** Reads both output topics from the beginning until `enough` holds. */
async function readOutputs(brokers: string[], topics: string[], enough: (r: Read) => boolean): Promise<Read> {
  const r: Read = { enriched: new Map(), rejected: [] };
  const consumer = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `reader-${Date.now()}-${Math.random()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const env = fromKafkaMessage(message);
        if (env.attributes.type.includes('enriched')) r.enriched.set(env.attributes.id, decodeEnriched(env).data);
        else r.rejected.push(decodeRejected(env).data);
        if (enough(r)) resolve();
      },
    });
  });
  await consumer.disconnect();
  return r;
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
    const runner = await startEnrichRunner({
      brokers,
      enricher,
      topic: topics.raw,
      logger: silentLogger,
      groupId: `enrich-${topics.raw}`,
      maxBatch: 20,
    });
    try {
      const out = await readOutputs(
        brokers,
        [topics.enriched, topics.rejected],
        (r) => r.enriched.size >= n && r.rejected.length >= 2 * bad.length,
      );
      // every good event arrived exactly as the pure core computes it
      const expectCore = createEnrichCore(deps);
      for (const e of good) {
        const o = await expectCore(inboundFromKafka(toKafkaMessage(e), 'expected'));
        if (o.kind !== 'enriched') throw new Error('expected enriched');
        expect(out.enriched.get(o.event.attributes.id)).toEqual(o.event.data);
      }
      expect(out.enriched.size).toBe(n); // duplicates collapse onto the same ids
      // records of the 4 partitions come in any order: the outputs can be complete before the last duplicates are counted
      for (let i = 0; i < 200 && enricher.metrics().enriched < 2 * n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(enricher.metrics()).toMatchObject({ enriched: 2 * n, bots: (2 * n) / 10 });
      const reasons = out.rejected.map((r) => r.reason).sort();
      expect(reasons).toEqual(['invalid_cloudevent', 'invalid_cloudevent', 'invalid_data', 'invalid_data', 'unknown_site', 'unknown_site']);
      const garbage = out.rejected.find((r) => r.original.body === 'not json at all');
      expect(garbage?.original.headers['x-test']).toBe('garbage');
      expect(JSON.stringify([...out.enriched.values()])).not.toContain('8.8.8.8');
    } finally {
      await runner.stop();
      await publisher.close();
    }
  }, 180_000);
});
