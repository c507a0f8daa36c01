/** Visitors of a whole range: the union of its buckets' site-total sketches (daily, or hourly for 24h). */
import type { LocalRange } from './period';
import { getVisitorSketches } from './queries/get-visitor-sketches';
import type { RouteDeps } from './route';

export async function countRangeVisitors(deps: RouteDeps, siteId: number, range: LocalRange): Promise<number> {
  const rows = await getVisitorSketches(deps.db, { siteId, grain: range.grain, dimension: '', from: range.from, to: range.to });
  return deps.visitors.countUnion(rows.map((r) => r.sketch));
}

/** Visitors per bucket (bucket start → count) from the sketch rows of one grain. */
export function visitorsPerBucket(deps: RouteDeps, rows: readonly { bucket: number; sketch: Uint8Array }[]): Map<number, number> {
  const byBucket = new Map<number, Uint8Array[]>();
  for (const r of rows) {
    const list = byBucket.get(r.bucket);
    if (list === undefined) byBucket.set(r.bucket, [r.sketch]);
    else list.push(r.sketch);
  }
  return new Map([...byBucket].map(([b, s]) => [b, deps.visitors.countUnion(s)]));
}
