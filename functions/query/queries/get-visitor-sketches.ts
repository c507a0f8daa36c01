/**
 * Serialised HyperLogLog sketches of one dimension in a bucket range, optionally only for some values
 * (by value_key). Merged by functions/query/visitors.ts; never read raw events for visitors.
 */
import type { Database } from '../../lib/db';
import type { Grain } from '../../lib/time';
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
  const rows = await select(
    db,
    `SELECT bucket, value_key, sketch
     FROM visitor_sketches
     WHERE site_id = :siteId AND grain = :grain AND dimension = :dimension AND bucket >= :from AND bucket < :to
     ${q.valueKeys === undefined ? '' : 'AND value_key IN (:valueKeys)'}`,
    { siteId: q.siteId, grain: q.grain, dimension: q.dimension, from: q.from, to: q.to, valueKeys: q.valueKeys ?? [] },
  );
  return rows.map((r) => ({ bucket: num(r.bucket), valueKey: str(r.value_key), sketch: bytes(r.sketch) }));
}
