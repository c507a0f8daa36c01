import { createRawEvent } from '../../events';
import { createInProcessBus } from './bus';

const event = (i: number) =>
  createRawEvent({
    id: `e${i}`,
    data: {
      kind: 'pageview',
      site: 'a.example',
      url: 'https://a.example/',
      timestamp: new Date(0).toISOString(),
      userAgent: 'x',
      ip: '81.2.69.160',
    },
  });

describe('in-process bus backpressure', () => {
  it('a publisher waits while a subscribed topic is full, and goes on once a batch is taken', async () => {
    const bus = createInProcessBus({ maxQueued: 10 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    bus.subscribe(
      't',
      async (batch) => {
        seen.push(batch.length);
        await gate;
      },
      { maxBatch: 4 },
    );
    await bus.publish(
      't',
      Array.from({ length: 10 }, (_, i) => event(i)),
    );
    let done = false;
    const blocked = bus.publish('t', [event(10)]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(bus.stats().t).toMatchObject({ queued: 10 });
    release();
    await blocked;
    expect(done).toBe(true);
    await bus.drain();
    expect(bus.stats().t).toMatchObject({ published: 11, delivered: 11, queued: 0 });
  });

  it('a topic nobody reads yet does not block its publisher', async () => {
    const bus = createInProcessBus({ maxQueued: 2 });
    await bus.publish('later', [event(1), event(2), event(3)]);
    expect(bus.stats().later).toMatchObject({ queued: 3 });
  });
});
