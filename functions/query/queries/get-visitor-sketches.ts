/**
 * Serialised HyperLogLog sketches of site totals (dimension '') in a bucket range of hour or minute grain.
 * Storage v2 keeps sketches only there: for ranges that cut through a day (`24h`, realtime), where the exact
 * per-bucket visitors of the rollups cannot be added up (one visitor in two hours is one visitor).
 * Merged by functions/query/visitors.ts. A range of whole days never comes here.
 */
import type { Grain } from '../../lib/time';
import { bytes, num } from './rows';
import type { Reader } from './reader';

export interface SketchRow {
  bucket: number;
  sketch: Uint8Array;
}

export async function getVisitorSketches(
  read: Reader,
  q: { siteId: number; grain: Exclude<Grain, 'd'>; from: number; to: number },
): Promise<SketchRow[]> {
  const rows = await read.select(
    `SELECT bucket, sketch
     FROM visitor_sketches
     WHERE site_id = :siteId AND grain = :grain AND dimension = '' AND bucket >= :from AND bucket < :to`,
    q,
  );
  return rows.map((r) => ({ bucket: num(r.bucket), sketch: bytes(r.sketch) }));
}
