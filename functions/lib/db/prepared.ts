/**
 * Writes with bound parameters on MySQL/MariaDB: the statement runs as a prepared statement on the
 * transaction's own mysql2 connection (binary protocol: each value travels as a typed parameter and is
 * never escaped into SQL text, and the server parses the statement once per connection, not once per
 * flush). Sequelize's `replacements` format every value into the text client-side (its escaper, then
 * mysql2's placeholder scan of the result); for 15 INSERTs of 1,000 events that cost 114 ms of CPU where
 * `execute` costs 77 ms (a micro-run, BENCHMARKS.md "Filters past 100,000 kept visits; aggregate with bound parameters").
 *
 * mysql2 keeps a connection's prepared statements (LRU, 16,000), and the server counts them against
 * `max_prepared_stmt_count` (16,382 for all connections), so callers must use few distinct statement
 * texts: `boundedChunks` cuts a list into a fixed set of sizes.
 */
import type { Transaction } from 'sequelize';
import { patchMysql2Execute } from './mysql2-patch';

// mysql2's statement encoder, made lighter for the values the product binds (mysql2-patch.ts)
patchMysql2Execute();

interface Mysql2Connection {
  execute(sql: string, values: unknown[], cb: (err: Error | null, result: unknown) => void): unknown;
}

/** Runs `sql` with `values` bound, on the transaction's connection; undefined on other dialects. */
export type PreparedRun = (sql: string, values: readonly unknown[]) => Promise<void>;

export function preparedRunOf(t: Transaction, kind: 'mysql' | 'sqlite'): PreparedRun | undefined {
  if (kind !== 'mysql') return undefined;
  const connection = (t as unknown as { connection?: Mysql2Connection }).connection;
  if (connection === undefined || typeof connection.execute !== 'function') return undefined;
  return (sql, values) =>
    new Promise<void>((resolve, reject) =>
      // mysql2 refuses undefined parameters; Sequelize's replacements wrote them as NULL (copied only then)
      connection.execute(
        sql,
        values.includes(undefined) ? values.map((v) => (v === undefined ? null : v)) : (values as unknown[]),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
}

/**
 * `items` in parts of `size` and then the remainder in powers of two (512, 256, … 1), in order: at most
 * 11 distinct row counts, so at most 11 statement texts per kind of write.
 */
export function boundedChunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (; items.length - i >= size; i += size) out.push(items.slice(i, i + size));
  for (let part = 1 << Math.floor(Math.log2(Math.max(1, size - 1))); part >= 1; part >>= 1) {
    if (items.length - i >= part) {
      out.push(items.slice(i, i + part));
      i += part;
    }
  }
  return out;
}
