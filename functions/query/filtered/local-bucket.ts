/**
 * Site-local buckets of a UTC instant column in SQL. The facts keep `day` (site-local) but instants in
 * UTC; an hour or minute bucket needs the zone's offset at each instant. Offsets change only on quarter
 * hours, so the range is cut into segments of one offset each (found by sampling every 15 minutes) and
 * the column becomes `CASE WHEN col < t1 THEN col + o0 … END`, then truncated to the step. Exact across
 * DST changes and in half-hour zones.
 */
import { zoneOffsetMs } from '../../lib/time';
import { intLiteral, type Binds } from './sql';

const QUARTER_MS = 900_000;

export interface OffsetSegment {
  /** First UTC instant of the segment (the first segment starts at -infinity). */
  from: number;
  offset: number;
}

/** The offsets in force over [utcFrom, utcTo), oldest first. */
export function offsetSegments(timeZone: string, utcFrom: number, utcTo: number): OffsetSegment[] {
  const start = Math.floor(utcFrom / QUARTER_MS) * QUARTER_MS;
  const out: OffsetSegment[] = [{ from: -Infinity, offset: zoneOffsetMs(timeZone, start) }];
  for (let t = start + QUARTER_MS; t < utcTo; t += QUARTER_MS) {
    const o = zoneOffsetMs(timeZone, t);
    if (o !== out[out.length - 1]!.offset) out.push({ from: t, offset: o });
  }
  return out;
}

/** SQL for the site-local bucket start (multiple of stepMs) of the UTC instant column `col`. */
export function localBucketSql(col: string, segments: readonly OffsetSegment[], stepMs: number, b: Binds): string {
  let local: string;
  if (segments.length === 1) local = `(${col} + ${b.add(segments[0]!.offset)})`;
  else {
    const whens = segments.slice(1).map((s, i) => `WHEN ${col} < ${b.add(s.from)} THEN ${col} + ${b.add(segments[i]!.offset)}`);
    local = `(CASE ${whens.join(' ')} ELSE ${col} + ${b.add(segments[segments.length - 1]!.offset)} END)`;
  }
  const step = intLiteral(stepMs);
  return `(${local} - (${local} % ${step}))`;
}
