import { createGroupCommitBuffer } from './buffer';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function recorder(flushMs = 30, fail?: (items: number[]) => boolean) {
  const batches: number[][] = [];
  let running = 0;
  let overlapped = false;
  return {
    batches,
    overlapped: () => overlapped,
    flush: async (items: number[]) => {
      running++;
      if (running > 1) overlapped = true;
      batches.push(items);
      await sleep(flushMs);
      running--;
      if (fail?.(items) === true) throw new Error('boom');
    },
  };
}

describe('group-commit buffer', () => {
  it('while a flush runs, everything that arrives goes into the next flush, one flush at a time', async () => {
    const r = recorder(40);
    const b = createGroupCommitBuffer<number>({ maxBatch: 1000, intervalMs: 1000, quietMs: 1, flush: r.flush });
    const first = b.add([0]);
    await sleep(10); // the first flush has started alone (quiet after one add)
    const rest = Array.from({ length: 50 }, (_, i) => b.add([i + 1]));
    await Promise.all([first, ...rest]);
    expect(r.batches).toEqual([[0], Array.from({ length: 50 }, (_, i) => i + 1)]);
    expect(r.overlapped()).toBe(false);
  });

  it('from idle: a burst is flushed once arrivals pause, not after the interval', async () => {
    const r = recorder(1);
    const b = createGroupCommitBuffer<number>({ maxBatch: 1000, intervalMs: 10_000, quietMs: 5, flush: r.flush });
    const t = Date.now();
    await Promise.all([b.add([1]), b.add([2, 3]), b.add([4])]);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(r.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('from idle: at the latest after the interval, even while arrivals never pause', async () => {
    const r = recorder(1);
    const b = createGroupCommitBuffer<number>({ maxBatch: 1000, intervalMs: 30, quietMs: 20, flush: r.flush });
    const adds: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      adds.push(b.add([i]));
      await sleep(8);
    }
    await Promise.all(adds);
    expect(r.batches.length).toBeGreaterThan(1);
    expect(r.batches.length).toBeLessThan(8);
    expect(r.batches[0]!.length).toBeGreaterThan(1);
  });

  it('without quietMs, from idle only size or the interval start a flush', async () => {
    const r = recorder(1);
    const b = createGroupCommitBuffer<number>({ maxBatch: 1000, intervalMs: 60, flush: r.flush });
    const adds = [b.add([1])];
    await sleep(30);
    adds.push(b.add([2]));
    await Promise.all(adds);
    expect(r.batches).toEqual([[1, 2]]);
  });

  it('starts at once on size, and never splits one add', async () => {
    const r = recorder(1);
    const b = createGroupCommitBuffer<number>({ maxBatch: 3, intervalMs: 10_000, quietMs: 10_000, flush: r.flush });
    await Promise.all([b.add([1, 2]), b.add([3, 4, 5, 6]), b.add([7])]);
    expect(r.batches).toEqual([[1, 2], [3, 4, 5, 6], [7]]);
  });

  it('a failed flush rejects only its own adds; drain flushes what is left', async () => {
    const r = recorder(5, (items) => items.includes(2));
    const b = createGroupCommitBuffer<number>({ maxBatch: 1, intervalMs: 10_000, quietMs: 10_000, flush: r.flush });
    const results = await Promise.allSettled([b.add([1]), b.add([2]), b.add([3])]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const late = b.add([4]);
    await b.drain();
    await late;
    expect(b.size()).toBe(0);
    expect(r.batches.flat()).toEqual([1, 2, 3, 4]);
  });
});
