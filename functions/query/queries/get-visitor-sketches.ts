/**
 * Serialised HyperLogLog sketches of one dimension in a bucket range, optionally only for some values
 * (by value_key). Merged by functions/query/visitors.ts; never read raw events for visitors.
 *
 * With value keys, the rows are looked up as points (every bucket of the range × every key) on the
 * primary key (site_id, grain, dimension, bucket, value_key). A bucket range with `value_key IN` would
 * instead read every value's row and BLOB of the range and filter afterwards: for `page` over 90 days
 * that is 180,000 rows (~150 MB of sketches) to keep 900. Buckets are multiples of the grain
 * (lib/time.ts bucketOf), so the list is exact; the API's ranges give at most 744 of them (31 days hourly).
 */
import type { Database } from '../../lib/db';
import { GRAIN_MS, type Grain } from '../../lib/time';
import { bytes, num, select, str } from './rows';

export interface SketchRow {
  bucket: number;
  valueKey: string;
  sketch: Uint8Array;
}

export interface SketchQuery {
  siteId: number;
  grain: Grain;
  /** '' for site totals. */
  dimension: string;
  from: number;
  to: number;
  /** Only these values (non-empty); all values when omitted. */
  valueKeys?: readonly string[];
}

export async function getVisitorSketches(db: Database, q: SketchQuery): Promise<SketchRow[]> {
  if (q.valueKeys !== undefined && q.valueKeys.length === 0) return [];
  const buckets = q.valueKeys === undefined ? [] : bucketsOf(q.grain, q.from, q.to);
  if (q.valueKeys !== undefined && buckets.length === 0) return [];
  const rows = await select(
    db,
    `SELECT bucket, value_key, sketch
     FROM visitor_sketches
     WHERE site_id = :siteId AND grain = :grain AND dimension = :dimension AND ${
       q.valueKeys === undefined ? 'bucket >= :from AND bucket < :to' : 'bucket IN (:buckets) AND value_key IN (:valueKeys)'
     }`,
    { siteId: q.siteId, grain: q.grain, dimension: q.dimension, from: q.from, to: q.to, buckets, valueKeys: q.valueKeys ?? [] },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), valueKey: str(r.value_key), sketch: bytes(r.sketch) }));
}

/** Every bucket start of a grain in [from, to). */
export function bucketsOf(grain: Grain, from: number, to: number): number[] {
  const size = GRAIN_MS[grain];
  const out: number[] = [];
  for (let b = Math.ceil(from / size) * size; b < to; b += size) out.push(b);
  return out;
}
