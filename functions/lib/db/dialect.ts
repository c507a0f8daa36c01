/**
 * Every SQL difference between MySQL/MariaDB and SQLite lives here. MySQL and MariaDB share
 * `ON DUPLICATE KEY UPDATE c = c + VALUES(c)` (MariaDB has no `AS new` row alias); SQLite uses
 * `ON CONFLICT (…) DO UPDATE SET c = c + excluded.c`.
 */
export type DialectKind = 'mysql' | 'sqlite';

export interface SqlStatement {
  sql: string;
  replacements: unknown[];
}

export interface Dialect {
  kind: DialectKind;
  /**
   * Insert rows; on a key conflict add the `add` columns to the stored ones. Rows hold the values of
   * `keys`, then `insertOnly` (written on insert, left alone on conflict), then `add`.
   */
  upsertAdd(
    table: string,
    keys: readonly string[],
    add: readonly string[],
    rows: readonly (readonly unknown[])[],
    insertOnly?: readonly string[],
  ): SqlStatement;
  /** Insert rows; on a key conflict overwrite the `set` columns. */
  upsertReplace(table: string, keys: readonly string[], set: readonly string[], rows: readonly (readonly unknown[])[]): SqlStatement;
  /** Insert rows; a key conflict is an error (a concurrent writer got there first: retry). */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): SqlStatement;
  /** Delete at most `limit` rows matching `where` (MySQL has DELETE … LIMIT; SQLite by rowid). */
  deleteLimit(table: string, where: string, limit: number): string;
  /** Insert rows; on a key conflict keep the stored row. */
  insertIgnore(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): SqlStatement;
  /** `SELECT … FOR UPDATE` on MySQL; SQLite's write transaction already serialises writers. */
  forUpdate: string;
  /** Quote an identifier. */
  id(name: string): string;
  /**
   * CREATE INDEX; a `[column, length]` part is a prefix of a long VARCHAR on MySQL (InnoDB key parts are
   * limited in bytes) and the whole column on SQLite (which has no prefix indexes).
   */
  createIndex(name: string, table: string, columns: readonly (string | readonly [string, number])[]): string;
}

/**
 * Keyset paging: rows after `values` in the order of `columns`, as `a > ? OR (a = ? AND b > ?) …` (every
 * dialect turns this into an index range; row-value comparisons are not optimised everywhere).
 */
export function keysetAfter(columns: readonly string[], values: readonly unknown[]): SqlStatement {
  const parts: string[] = [];
  const replacements: unknown[] = [];
  columns.forEach((c, i) => {
    parts.push(`(${[...columns.slice(0, i).map((p) => `${p} = ?`), `${c} > ?`].join(' AND ')})`);
    replacements.push(...values.slice(0, i), values[i]);
  });
  return { sql: `(${parts.join(' OR ')})`, replacements };
}

function plainInsert(
  id: (n: string) => string,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): SqlStatement {
  const v = values(columns.length, rows);
  return { sql: `INSERT INTO ${id(table)} (${columns.map(id).join(',')}) VALUES ${v.sql}`, replacements: v.replacements };
}

function values(columns: number, rows: readonly (readonly unknown[])[]): { sql: string; replacements: unknown[] } {
  const one = `(${new Array(columns).fill('?').join(',')})`;
  const replacements: unknown[] = [];
  for (const r of rows) {
    if (r.length !== columns) throw new Error(`row has ${r.length} values, expected ${columns}`);
    replacements.push(...r);
  }
  return { sql: new Array(rows.length).fill(one).join(','), replacements };
}

export function createDialect(kind: DialectKind): Dialect {
  const id = kind === 'mysql' ? (n: string) => `\`${n}\`` : (n: string) => `"${n}"`;
  const cols = (names: readonly string[]) => names.map(id).join(',');
  if (kind === 'mysql') {
    return {
      kind,
      id,
      forUpdate: ' FOR UPDATE',
      createIndex: (name, table, columns) =>
        `CREATE INDEX ${id(name)} ON ${id(table)} (${columns.map((c) => (typeof c === 'string' ? id(c) : `${id(c[0])}(${Math.floor(c[1])})`)).join(',')})`,
      insert: (table, columns, rows) => plainInsert(id, table, columns, rows),
      deleteLimit: (table, where, limit) => `DELETE FROM ${id(table)} WHERE ${where} LIMIT ${Math.floor(limit)}`,
      upsertAdd(table, keys, add, rows, insertOnly = []) {
        const v = values(keys.length + insertOnly.length + add.length, rows);
        const set = add.map((c) => `${id(c)} = ${id(c)} + VALUES(${id(c)})`).join(',');
        return {
          sql: `INSERT INTO ${id(table)} (${cols([...keys, ...insertOnly, ...add])}) VALUES ${v.sql} ON DUPLICATE KEY UPDATE ${set}`,
          replacements: v.replacements,
        };
      },
      upsertReplace(table, keys, set, rows) {
        const v = values(keys.length + set.length, rows);
        const s = set.map((c) => `${id(c)} = VALUES(${id(c)})`).join(',');
        return {
          sql: `INSERT INTO ${id(table)} (${cols([...keys, ...set])}) VALUES ${v.sql} ON DUPLICATE KEY UPDATE ${s}`,
          replacements: v.replacements,
        };
      },
      insertIgnore(table, columns, rows) {
        const v = values(columns.length, rows);
        const first = id(columns[0]!);
        return {
          sql: `INSERT INTO ${id(table)} (${cols(columns)}) VALUES ${v.sql} ON DUPLICATE KEY UPDATE ${first} = ${first}`,
          replacements: v.replacements,
        };
      },
    };
  }
  return {
    kind,
    id,
    forUpdate: '',
    createIndex: (name, table, columns) =>
      `CREATE INDEX ${id(name)} ON ${id(table)} (${columns.map((c) => id(typeof c === 'string' ? c : c[0])).join(',')})`,
    insert: (table, columns, rows) => plainInsert(id, table, columns, rows),
    deleteLimit: (table, where, limit) =>
      `DELETE FROM ${id(table)} WHERE rowid IN (SELECT rowid FROM ${id(table)} WHERE ${where} LIMIT ${Math.floor(limit)})`,
    upsertAdd(table, keys, add, rows, insertOnly = []) {
      const v = values(keys.length + insertOnly.length + add.length, rows);
      const set = add.map((c) => `${id(c)} = ${id(c)} + excluded.${id(c)}`).join(',');
      return {
        sql: `INSERT INTO ${id(table)} (${cols([...keys, ...insertOnly, ...add])}) VALUES ${v.sql} ON CONFLICT (${cols(keys)}) DO UPDATE SET ${set}`,
        replacements: v.replacements,
      };
    },
    upsertReplace(table, keys, set, rows) {
      const v = values(keys.length + set.length, rows);
      const s = set.map((c) => `${id(c)} = excluded.${id(c)}`).join(',');
      return {
        sql: `INSERT INTO ${id(table)} (${cols([...keys, ...set])}) VALUES ${v.sql} ON CONFLICT (${cols(keys)}) DO UPDATE SET ${s}`,
        replacements: v.replacements,
      };
    },
    insertIgnore(table, columns, rows) {
      const v = values(columns.length, rows);
      return { sql: `INSERT INTO ${id(table)} (${cols(columns)}) VALUES ${v.sql} ON CONFLICT DO NOTHING`, replacements: v.replacements };
    },
  };
}

/** Which server runs the SQL: MySQL 8 and MariaDB share a dialect but spell a statement time limit differently. */
export type SqlServer = 'mysql' | 'mariadb' | 'sqlite';

/**
 * One SELECT bounded to `ms` of execution time. MySQL 8: the `MAX_EXECUTION_TIME` optimizer hint (read-only
 * SELECTs only; error 3024). MariaDB: `SET STATEMENT max_statement_time=<seconds> FOR` (error 1969). SQLite has
 * no server-side limit: the statement is returned unchanged (the embedded database serves one process).
 */
export function limitStatementTime(server: SqlServer, sql: string, ms: number): string {
  const select = /^\s*SELECT\b/i;
  if (!select.test(sql)) throw new Error('only a SELECT can be time-limited');
  const limit = Math.max(1, Math.floor(ms));
  if (server === 'mysql') return sql.replace(select, `SELECT /*+ MAX_EXECUTION_TIME(${limit}) */`);
  if (server === 'mariadb') return `SET STATEMENT max_statement_time=${limit / 1000} FOR ${sql.trimStart()}`;
  return sql;
}
