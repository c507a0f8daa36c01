/**
 * Reading result rows without trusting their JS types: mysql2 returns SUM() as a string or decimal and
 * BOOLEAN as 0/1, SQLite returns NULL for a SUM over no rows. Every query file converts through these.
 */
import { QueryTypes } from 'sequelize';
import { ROLLUP_COUNTERS, type Counters, type RollupCounter } from '../../../events/vocabulary';
import type { Database } from '../../lib/db';

/** The additive counters of a rollup row (events/vocabulary.ts, snake_case as in SQL). */
export type { Counters, RollupCounter };

export type Row = Record<string, unknown>;

/** Runs one SELECT with bound (named) replacements, without a time limit (see reader.ts for the bounded one). */
export async function select(db: Database, sql: string, replacements: Record<string, unknown>): Promise<Row[]> {
  return db.sequelize.query<Row>(sql, { replacements, type: QueryTypes.SELECT });
}

export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(v));
  if (!Number.isFinite(n)) throw new TypeError('a numeric column holds a non-number');
  return n;
}

export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v === null || v === undefined ? '' : String(v);
}

export function bool(v: unknown): boolean {
  return v === true || num(v) !== 0;
}

export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new TypeError('a sketch column holds no bytes');
}

export const ZERO_COUNTERS: Readonly<Counters> = Object.freeze(
  Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters,
);

/** Reads every counter from columns named `<prefix><counter>`; a column the statement did not select counts 0. */
export function counters(row: Row, prefix = ''): Counters {
  return Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, num(row[`${prefix}${c}`])])) as Counters;
}

/** `SUM(col) AS <prefix>col` for every counter, optionally only where `condition` holds. */
export function sumCounters(prefix = '', condition?: string): string {
  return ROLLUP_COUNTERS.map((c) =>
    condition === undefined ? `SUM(${c}) AS ${prefix}${c}` : `SUM(CASE WHEN ${condition} THEN ${c} ELSE 0 END) AS ${prefix}${c}`,
  ).join(', ');
}
