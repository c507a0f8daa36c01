/**
 * Building SQL over the facts with bound parameters only: every value goes through `Binds.add`, which
 * returns a `$pN` placeholder (sequelize `bind`: mysql2 prepared statements, SQLite bound values). Column
 * names and operators come from fixed maps in this folder, never from the request.
 */
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/db';
import { selectArrays } from '../../lib/db/select-arrays';
import type { Reader } from '../queries/reader';

export class Binds {
  private n = 0;
  readonly values: Record<string, unknown> = {};
  /** `$`: sequelize `bind` placeholders; `:`: named replacements (see kept-visits.ts for why both). */
  constructor(private readonly prefix: '$' | ':' = '$') {}
  /** A placeholder bound to `value`. */
  add(value: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `${this.prefix}${name}`;
  }
  /** `(…)` of placeholders for an IN list (non-empty). */
  list(values: readonly unknown[]): string {
    if (values.length === 0) throw new RangeError('an IN list needs at least one value');
    return `(${values.map((v) => this.add(v)).join(', ')})`;
  }
}

export type Row = Record<string, unknown>;

/** Runs one SELECT with bound values, through the time-limited reader when there is one (queries/reader.ts). */
export type BoundSelect = (sql: string, bind: Record<string, unknown>) => Promise<Row[]>;

export function boundSelectOf(db: Database, read?: Reader): BoundSelect {
  if (read?.selectBound !== undefined) return (sql, bind) => read.selectBound!(sql, bind);
  return (sql, bind) => db.sequelize.query<Row>(sql, { bind, type: QueryTypes.SELECT });
}

/** A SELECT with `:name` replacements whose rows come as arrays in column order (large answers). */
export type ArraySelect = (sql: string, replacements: Record<string, unknown>) => Promise<unknown[][]>;

export function arraySelectOf(db: Database, read?: Reader): ArraySelect {
  if (read?.selectArrays !== undefined) return (sql, replacements) => read.selectArrays!(sql, replacements);
  return (sql, replacements) => selectArrays(db, sql, replacements);
}

export async function selectBound(ctx: { select: BoundSelect }, sql: string, binds: Binds): Promise<Row[]> {
  return ctx.select(sql, binds.values);
}

/** The same row readers as the unfiltered queries (mysql2 and SQLite return numbers in several shapes). */
export { num, str } from '../queries/rows';

/** A LIMIT/OFFSET integer written into the SQL (prepared statements refuse bound LIMITs on some servers). */
export function intLiteral(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('LIMIT/OFFSET must be a non-negative integer');
  return String(n);
}
