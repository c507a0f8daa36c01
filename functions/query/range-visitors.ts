/**
 * Visitors of a whole range of site totals. Whole days: the sum of the day rows' exact visitors (visitorIds are
 * salted per day, so a range's visitors are the sum of its days'), which getSummary already returns. A range that
 * cuts through a day (`24h`, realtime's minutes): the union of its buckets' sketches.
 */
import type { LocalRange } from './period';
import { getVisitorSketches } from './queries/get-visitor-sketches';
import type { RouteDeps } from './route';

export async function countSketchVisitors(deps: RouteDeps, siteId: number, range: LocalRange): Promise<number> {
  if (range.grain === 'd') throw new RangeError('whole days read exact visitors from the day rollups, never a sketch');
  const rows = await getVisitorSketches(deps.read, { siteId, grain: range.grain, from: range.from, to: range.to });
  return deps.visitors.countUnion(rows.map((r) => r.sketch));
}
