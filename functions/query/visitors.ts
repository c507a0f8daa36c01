/**
 * Unique visitors over a range = the count of the union of the HyperLogLog sketches of its buckets.
 * This is the one place that merges sketches, so the query code never depends on the sketch format;
 * the aggregate function owns that format (functions/aggregate/hll.ts).
 */
import { deserialiseHll, type Hll } from '../aggregate/hll';

export interface VisitorCounter {
  /** Estimated distinct visitors of the union of serialised sketches (0 for none). */
  countUnion(sketches: readonly Uint8Array[]): number;
}

/** The operations of a mergeable sketch, as the HLL module provides them. */
export interface SketchOps<S> {
  deserialise(bytes: Uint8Array): S;
  /** Union of two sketches (may reuse `into`). */
  merge(into: S, other: S): S;
  count(sketch: S): number;
}

export function createVisitorCounter<S>(ops: SketchOps<S>): VisitorCounter {
  return {
    countUnion(sketches) {
      if (sketches.length === 0) return 0;
      let acc = ops.deserialise(sketches[0]!);
      for (let i = 1; i < sketches.length; i++) acc = ops.merge(acc, ops.deserialise(sketches[i]!));
      return Math.round(ops.count(acc));
    },
  };
}

/** The production counter over the aggregate function's HyperLogLog sketches (p = 14). */
export const hllVisitorCounter: VisitorCounter = createVisitorCounter<Hll>({
  deserialise: deserialiseHll,
  merge(into, other) {
    into.merge(other);
    return into;
  },
  count: (s) => s.count(),
});
