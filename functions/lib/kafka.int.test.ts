import { createRawEvent, decodeRaw, type CloudEvent, type RawTraffic } from '../../events';
import { describeWithServices } from '../../test/services';
import type { Inbound } from './bus';
import { createKafkaPublisher, ensureTopics, runConsumer, type RunningConsumer } from './kafka';
import { silentLogger } from './logger';

function rawEvent(i: number): CloudEvent<RawTraffic> {
  return createRawEvent({
    id: `evt-${i}`,
    data: {
      kind: 'pageview',
      site: 'example.com',
      url: `https://example.com/page/${i}`,
      timestamp: '2026-01-01T00:00:00Z',
      userAgent: 'Mozilla/5.0',
      ip: `10.0.0.${i % 250}`,
    },
  });
}

/** Resolves once `predicate` holds, polling; the suite timeout bounds it. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 50));
}

describeWithServices('kafkajs adapter', ['kafka'], (services) => {
  const consumers: RunningConsumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
  }, 60_000);

  it('publishes and consumes every event at least once; a failing handler gets the same records again', async () => {
    const { brokers, topics } = services();
    const publisher = createKafkaPublisher({ brokers, clientId: 'test-pub', logger: silentLogger, compression: 'gzip' });
    const n = 120;
    // two concurrent publishes share one produce request
    await Promise.all([
      publisher.publish(
        topics.raw,
        Array.from({ length: n / 2 }, (_, i) => rawEvent(i)),
      ),
      publisher.publish(
        topics.raw,
        Array.from({ length: n / 2 }, (_, i) => rawEvent(i + n / 2)),
      ),
    ]);
    expect(await publisher.ready()).toBe(true);
    await publisher.close();

    const seen = new Map<string, number>();
    let failures = 0;
    const handler = async (batch: readonly Inbound[]) => {
      const ids = batch.map((m) => decodeRaw(m.decode()).attributes.id);
      // the first three calls fail: more than `attempts`, so kafkajs itself must redeliver once
      if (failures < 3) {
        failures++;
        throw new Error('simulated outage');
      }
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    };
    consumers.push(
      await runConsumer({
        brokers,
        clientId: 'test-consumer',
        groupId: `g-${topics.raw}`,
        topic: topics.raw,
        handler,
        logger: silentLogger,
        fromBeginning: true,
        maxBatch: 25,
        attempts: 2,
        retryDelayMs: 10,
      }),
    );
    await until(() => seen.size === n);
    expect(failures).toBe(3);
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: n }, (_, i) => `evt-${i}`).sort());
    expect(await consumers[0]!.ready()).toBe(true);
  }, 120_000);

  it('commits only handled batches: a new member of the group continues after them', async () => {
    const { brokers } = services();
    const topic = `${services().topicPrefix}.commit`;
    await ensureTopics(brokers, [topic], 2);
    await ensureTopics(brokers, [topic], 2); // idempotent
    const publisher = createKafkaPublisher({ brokers, clientId: 'test-pub', logger: silentLogger });
    await publisher.publish(
      topic,
      Array.from({ length: 40 }, (_, i) => rawEvent(i)),
    );
    const first = new Set<string>();
    const groupId = `g-${topic}`;
    const c1 = await runConsumer({
      brokers,
      clientId: 't1',
      groupId,
      topic,
      logger: silentLogger,
      fromBeginning: true,
      handler: async (batch) => batch.forEach((m) => first.add(decodeRaw(m.decode()).attributes.id)),
    });
    await until(() => first.size === 40);
    await c1.stop();

    await publisher.publish(
      topic,
      Array.from({ length: 10 }, (_, i) => rawEvent(100 + i)),
    );
    await publisher.close();
    const second: string[] = [];
    consumers.push(
      await runConsumer({
        brokers,
        clientId: 't2',
        groupId,
        topic,
        logger: silentLogger,
        fromBeginning: true,
        handler: async (batch) => batch.forEach((m) => second.push(decodeRaw(m.decode()).attributes.id)),
      }),
    );
    await until(() => second.length >= 10);
    expect(second.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `evt-${100 + i}`).sort());
  }, 120_000);
});
