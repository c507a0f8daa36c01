import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GZIP_LEVEL } from './kafka';

describe('the gzip codec kafka.ts installs in kafkajs', () => {
  // a batch of text records: compressible like the enriched topic's, with some noise
  const batch = Buffer.from(
    Array.from({ length: 300 }, (_, i) => `{"site":"shop.example","path":"/p/${i % 17}","id":"${randomBytes(8).toString('hex')}"}`).join(
      '',
    ),
  );
  const codec = (
    CompressionCodecs[CompressionTypes.GZIP] as () => {
      compress(encoder: { buffer: Buffer }): Promise<Buffer>;
      decompress(buffer: Buffer): Promise<Buffer>;
    }
  )();

  it(`writes gzip at level ${GZIP_LEVEL}, which any gzip reader reads back`, async () => {
    const packed = await codec.compress({ buffer: batch });
    expect(packed.equals(gzipSync(batch, { level: GZIP_LEVEL }))).toBe(true);
    expect(packed.equals(gzipSync(batch))).toBe(false); // not zlib's default level, which kafkajs's own codec uses
    expect(gunzipSync(packed).equals(batch)).toBe(true);
  });

  it('reads gzip of any level, as kafkajs does', async () => {
    for (const level of [1, 6, 9]) expect((await codec.decompress(gzipSync(batch, { level }))).equals(batch)).toBe(true);
  });
});
