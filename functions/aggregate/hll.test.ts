import { prng, randomHex16 } from './fixtures';
import { createHll, createHllUnion, deserialiseHll, unionHll, SPARSE_MAX, type Hll } from './hll';

/** Random 16-hex visitorIds, like enrich's HMAC output. */
function ids(n: number, seed: number): string[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => randomHex16(r));
}

function sketchOf(items: readonly string[]): Hll {
  const h = createHll();
  for (const i of items) h.add(i);
  return h;
}

const bytes = (h: Hll) => h.serialise().toString('hex');

describe('HyperLogLog', () => {
  it('counts nothing as zero and small sets exactly', () => {
    expect(createHll().count()).toBe(0);
    const few = ids(10, 1);
    const h = sketchOf([...few, ...few]);
    expect(Math.round(h.count())).toBe(10);
    expect(Math.round(sketchOf(ids(100, 2)).count())).toBe(100);
    expect(h.isSparse()).toBe(true);
  });

  it('hashes non-hex items too', () => {
    const h = sketchOf(['a', 'b', 'c', 'a']);
    expect(Math.round(h.count())).toBe(3);
  });

  it('switches to the dense form past SPARSE_MAX entries and keeps counting', () => {
    const all = ids(SPARSE_MAX + 500, 3);
    const h = sketchOf(all);
    expect(h.isSparse()).toBe(false);
    expect(h.serialise().length).toBe(3 + 12288);
    expect(Math.abs(h.count() - all.length) / all.length).toBeLessThan(0.03);
  });

  describe.each([
    ['sparse', 200],
    ['dense', 9000],
  ])('merge laws (%s)', (_name, n) => {
    const [a, b, c] = [ids(n, 10), ids(n, 11), ids(n, 12)].map(sketchOf) as [Hll, Hll, Hll];
    const copy = (h: Hll) => deserialiseHll(h.serialise());
    const merged = (x: Hll, y: Hll) => {
      const out = copy(x);
      out.merge(y);
      return out;
    };

    it('is commutative', () => {
      expect(bytes(merged(a, b))).toBe(bytes(merged(b, a)));
    });
    it('is associative', () => {
      expect(bytes(merged(merged(a, b), c))).toBe(bytes(merged(a, merged(b, c))));
    });
    it('is idempotent', () => {
      expect(bytes(merged(a, a))).toBe(bytes(a));
      expect(bytes(merged(merged(a, b), b))).toBe(bytes(merged(a, b)));
    });
    it('equals the sketch of the union', () => {
      expect(bytes(unionHll([a, b, c]))).toBe(bytes(sketchOf([...ids(n, 10), ...ids(n, 11), ...ids(n, 12)])));
    });
  });

  it('merges a sparse sketch into a dense one and the other way round to the same result', () => {
    const small = sketchOf(ids(50, 20));
    const big = sketchOf(ids(20_000, 21));
    const x = deserialiseHll(small.serialise());
    x.merge(big);
    const y = deserialiseHll(big.serialise());
    y.merge(small);
    expect(bytes(x)).toBe(bytes(y));
    expect(bytes(x)).toBe(bytes(sketchOf([...ids(50, 20), ...ids(20_000, 21)])));
  });

  it('round-trips through serialise/deserialise in both forms', () => {
    for (const n of [0, 7, 3000, 50_000]) {
      const h = sketchOf(ids(n, 30 + n));
      const back = deserialiseHll(h.serialise());
      expect(bytes(back)).toBe(bytes(h));
      expect(back.count()).toBe(h.count());
      expect(back.isSparse()).toBe(h.isSparse());
    }
  });

  describe('createHllUnion (merging serialised bytes) equals unionHll of the deserialised sketches', () => {
    const serialisedOf = (sizes: readonly number[], seed: number) => sizes.map((n, k) => sketchOf(ids(n, seed + k)).serialise());
    const fastUnion = (inputs: readonly Uint8Array[]) => {
      const u = createHllUnion();
      for (const b of inputs) u.add(b);
      return u;
    };
    it.each([
      ['nothing', []],
      ['one sparse sketch', [7]],
      ['sparse sketches that stay sparse', [1, 10, 100, 1000, 5]],
      ['sparse sketches whose union passes SPARSE_MAX', [1000, 1500, 2000, 3000]],
      ['dense first, then sparse', [20_000, 10, 3000]],
      ['sparse first, then dense', [10, 3000, 20_000, 9000]],
      ['dense only', [20_000, 15_000]],
    ])('%s', (_name, sizes) => {
      const inputs = serialisedOf(sizes, 40 + sizes.length);
      // the same sketch again (idempotence) and every input in reverse order
      for (const order of [inputs, [...inputs, ...inputs], [...inputs].reverse()]) {
        const expected = unionHll(order.map(deserialiseHll));
        const fast = fastUnion(order);
        expect(fast.toHll().serialise().toString('hex')).toBe(bytes(expected));
        expect(fast.count()).toBe(expected.count());
      }
    });
    it('accepts sparse entries that are not sorted (keeping the highest rank of an index)', () => {
      const sorted = sketchOf(ids(50, 60)).serialise();
      const entries = Array.from({ length: (sorted.length - 3) / 4 }, (_, k) => sorted.subarray(3 + 4 * k, 7 + 4 * k));
      const shuffled = Buffer.concat([sorted.subarray(0, 3), ...entries.reverse()]);
      expect(fastUnion([shuffled]).toHll().serialise().toString('hex')).toBe(sorted.toString('hex'));
    });
    it('refuses what is not a sketch, like deserialiseHll', () => {
      expect(() => fastUnion([Buffer.from([9, 14, 0])])).toThrow(/version/);
      expect(() => fastUnion([Buffer.from([1, 14, 1, 0])])).toThrow(/dense/);
      expect(() => fastUnion([Buffer.from([1, 14, 0, 1])])).toThrow(/sparse/);
    });
  });

  it('refuses what is not a sketch', () => {
    expect(() => deserialiseHll(Buffer.from([]))).toThrow(/header/);
    expect(() => deserialiseHll(Buffer.from([9, 14, 0]))).toThrow(/version/);
    expect(() => deserialiseHll(Buffer.from([1, 12, 0]))).toThrow(/precision/);
    expect(() => deserialiseHll(Buffer.from([1, 14, 1, 0]))).toThrow(/dense/);
    expect(() => deserialiseHll(Buffer.from([1, 14, 0, 1]))).toThrow(/sparse/);
    expect(() => deserialiseHll(Buffer.from([1, 14, 7]))).toThrow(/encoding/);
  });

  // p = 14: standard error σ = 1.04/√16384 ≈ 0.81%. Single estimates must be within 3σ (2.5%);
  // the mean error over the trials measures bias and must be far smaller.
  describe.each([
    [1_000, 20, 0.002],
    [10_000, 20, 0.025],
    [100_000, 5, 0.025],
    [1_000_000, 1, 0.025],
  ])('error at n = %i (%i trials)', (n, trials, maxSingle) => {
    it(`stays within ${maxSingle * 100}% per estimate, unbiased on average`, () => {
      const errors: number[] = [];
      for (let t = 0; t < trials; t++) {
        const r = prng(1000 * n + t);
        const h = createHll();
        for (let i = 0; i < n; i++) {
          h.add(randomHex16(r));
        }
        errors.push((h.count() - n) / n);
      }
      for (const e of errors) expect(Math.abs(e)).toBeLessThan(maxSingle);
      // σ/√trials is 0.18% for 20 trials and 0.36% for 5: these bounds are > 3 of those, yet catch a biased estimator
      const mean = errors.reduce((s, e) => s + e, 0) / trials;
      if (trials >= 5) expect(Math.abs(mean)).toBeLessThan(trials >= 20 ? 0.006 : 0.012);
    });
  });
});
