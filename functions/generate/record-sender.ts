/**
 * Produces ready-made records as they are (the malformed ones, which the typed Publisher cannot
 * express). Plain kafkajs producer on the shared client; used by the CLI only, for a handful of records.
 */
import { Partitioners, type Producer } from 'kafkajs';
import type { KafkaOutgoing } from '../../events';
import { createKafkaClient, type KafkaClientOptions } from '../lib/kafka';

export interface RecordSender {
  send(topic: string, records: readonly KafkaOutgoing[]): Promise<void>;
  close(): Promise<void>;
}

export function createRecordSender(opts: KafkaClientOptions): RecordSender {
  let producer: Promise<Producer> | undefined;
  const connected = (): Promise<Producer> =>
    (producer ??= (async () => {
      const p = createKafkaClient(opts).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      return p;
    })());
  return {
    async send(topic, records) {
      const p = await connected();
      await p.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });
    },
    async close() {
      if (producer !== undefined) await (await producer).disconnect();
    },
  };
}
