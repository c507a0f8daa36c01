import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { createKeyPartitioner, murmur2 } from './partitioner';

const kafkajsMurmur2 = createRequire(__filename)('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer) => number;

describe('the key partitioner', () => {
  it("hashes as kafkajs's (and Java's) murmur2, for every length and byte", () => {
    for (let length = 0; length < 70; length++) {
      for (let i = 0; i < 30; i++) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
    // Kafka's own test vectors (UtilsTest.testMurmur2)
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
  });

  it("places keyed records where kafkajs's DefaultPartitioner does, and leaves the rest to it", () => {
    const partitionMetadata: PartitionMetadata[] = Array.from({ length: 12 }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    const ours = createKeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 2000; i++) {
      const key = i % 2 === 0 ? randomBytes(16).toString('base64url') : randomBytes(i % 40);
      const message = { key, value: 'v' };
      expect(ours({ topic: 't', partitionMetadata, message })).toBe(theirs({ topic: 't', partitionMetadata, message }));
    }
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 5 } })).toBe(5);
    const keyless = new Set(Array.from({ length: 24 }, () => ours({ topic: 't', partitionMetadata, message: { value: 'v' } })));
    expect(keyless.size).toBe(12); // round robin, as kafkajs
  });
});
