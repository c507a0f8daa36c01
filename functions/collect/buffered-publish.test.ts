import type { CloudEvent, RawTraffic } from '../../events';
import { silentLogger } from '../lib/logger';
import { createBufferedPublish } from './buffered-publish';

const ev = (i: number) => ({ attributes: { id: `e${i}` }, data: {} }) as unknown as CloudEvent<RawTraffic>;

describe('createBufferedPublish', () => {
  it('publishes in order, in batches, and keeps failed batches until they go through', async () => {
    const published: string[] = [];
    let fail = 2;
    const b = createBufferedPublish({
      logger: silentLogger,
      maxEvents: 100,
      maxBatch: 3,
      retryDelayMs: 1,
      publish: async (events) => {
        if (fail-- > 0) throw new Error('broker down');
        published.push(...events.map((e) => e.attributes.id));
      },
    });
    for (let i = 0; i < 7; i++) expect(b.offer([ev(i)])).toBe(true);
    expect(await b.flush(5_000)).toBe(0);
    expect(published).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  });

  it('refuses what does not fit while the broker is down, and reports what flush could not send', async () => {
    const b = createBufferedPublish({
      logger: silentLogger,
      maxEvents: 3,
      retryDelayMs: 5,
      publish: async () => {
        throw new Error('broker down');
      },
    });
    expect(b.offer([ev(1), ev(2)])).toBe(true);
    expect(b.offer([ev(3), ev(4)])).toBe(false);
    expect(b.offer([ev(3)])).toBe(true);
    expect(b.size()).toBe(3);
    expect(await b.flush(50)).toBe(3);
  });
});
