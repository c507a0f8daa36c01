/**
 * Seeded randomness for the simulator: sfc32 (a small, fast, well-tested 128-bit state PRNG) seeded
 * through cyrb128. Never Math.random: the same seed must give the same traffic on every machine.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** Log-normal with the given median and shape sigma. */
  logNormal(median: number, sigma: number): number;
  /** Poisson-distributed count with mean lambda. */
  poisson(lambda: number): number;
  /** An independent stream derived from this seed and a label (e.g. one per session). */
  fork(label: string | number): Random;
}

/** cyrb128: spreads a string over four 32-bit words (the seed of sfc32). */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** A 32-bit hash of a string (stable across runs), for ids and seeds. */
export function hash32(str: string): number {
  return cyrb128(str)[0];
}

export function createRandom(seed: number | string): Random {
  const key = String(seed);
  let [a, b, c, d] = cyrb128(key);
  const next = (): number => {
    // sfc32 (Chris Doty-Humphrey, PractRand)
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // discard the first outputs, which still resemble the seed
  const normal = (): number => {
    // Box-Muller; 1 - next() keeps the log argument in (0, 1]
    return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  };
  const random: Random = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    exponential: (mean) => -Math.log(1 - next()) * mean,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    poisson(lambda) {
      if (lambda <= 0) return 0;
      if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal()));
      // Knuth: multiply uniforms until below e^-lambda
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
    fork: (label) => createRandom(`${key}/${label}`),
  };
  return random;
}

/**
 * Draws indices with the given (unnormalised) weights in O(log n): cumulative sums + binary search.
 */
export interface WeightedPicker<T> {
  pick(random: Random): T;
  readonly items: readonly T[];
  /** Probability of each item, in the order of `items`. */
  readonly probabilities: readonly number[];
}

export function createWeightedPicker<T>(entries: readonly (readonly [T, number])[]): WeightedPicker<T> {
  const items = entries.map(([item]) => item);
  const cumulative: number[] = [];
  let total = 0;
  for (const [, w] of entries) {
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weights must be finite and >= 0, got ${w}`);
    total += w;
    cumulative.push(total);
  }
  if (items.length === 0 || total <= 0) throw new Error('a weighted picker needs at least one positive weight');
  return {
    items,
    probabilities: entries.map(([, w]) => w / total),
    pick(random) {
      const x = random.next() * total;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      return items[lo]!;
    },
  };
}

/** Zipf-like weights 1/rank^s: a few pages take most views, a long tail takes the rest. */
export function zipfWeights(n: number, s: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s));
}
