/**
 * Unique visitors over a range = the count of the union of the HyperLogLog sketches of its buckets.
 * This is the one place that merges sketches, so the query code never depends on the sketch format;
 * the aggregate function owns that format (functions/aggregate/hll.ts).
 */
import { createHllUnion } from '../aggregate/hll';

export interface VisitorCounter {
  /** Estimated distinct visitors of the union of serialised sketches (0 for none). */
  countUnion(sketches: readonly Uint8Array[]): number;
}

/**
 * The production counter over the aggregate function's HyperLogLog sketches (p = 14): merges the
 * serialised bytes straight into one accumulator (no Hll object per stored sketch).
 */
export const hllVisitorCounter: VisitorCounter = {
  countUnion(sketches) {
    if (sketches.length === 0) return 0;
    const union = createHllUnion();
    for (const s of sketches) union.add(s);
    return Math.round(union.count());
  },
};
