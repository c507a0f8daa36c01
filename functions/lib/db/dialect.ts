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
  // one array of its final length, filled in place (a flush binds ~27 values per event)
  const replacements: unknown[] = new Array<unknown>(rows.length * columns);
  let i = 0;
  for (const r of rows) {
    if (r.length !== columns) throw new Error(`row has ${r.length} values, expected ${columns}`);
    for (let c = 0; c < columns; c++) replacements[i++] = r[c];
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

/**
 * Case-sensitive text matching for filters and goals, the same on every dialect. MySQL's `_ci`
 * collations fold case (and accents) in `=` and `LIKE`, SQLite's LIKE folds ASCII case, so: MySQL compares
 * the bytes (`CAST(… AS BINARY)`), SQLite uses `=` (binary by default) and GLOB (case-sensitive).
 */
export interface TextMatch {
  /** `expr` as a value whose `=` / `IN` compare byte for byte. */
  exact(expr: string): string;
  /** `expr` equals (byte for byte) one of the bound values of `list` (`(…)`). */
  inList(expr: string, list: string): string;
  /** `expr` matches the bound pattern `param` (made by `pattern`). */
  wildcard(expr: string, param: string): string;
  /** The pattern matching `literals` in order with any characters between them (`['', 'x', '']`: contains x). */
  pattern(literals: readonly string[]): string;
}

export function createTextMatch(kind: DialectKind): TextMatch {
  if (kind === 'mysql') {
    return {
      exact: (expr) => `CAST(${expr} AS BINARY)`,
      // The collation's IN first: it can use an index and is cheap; the byte test runs on what it lets through.
      inList: (expr, list) => `(${expr} IN ${list} AND CAST(${expr} AS BINARY) IN ${list})`,
      wildcard: (expr, param) => `CAST(${expr} AS BINARY) LIKE ${param} ESCAPE '!'`,
      pattern: (parts) => parts.map((s) => s.replace(/[!%_]/g, (c) => `!${c}`)).join('%'),
    };
  }
  return {
    exact: (expr) => expr,
    inList: (expr, list) => `${expr} IN ${list}`,
    wildcard: (expr, param) => `${expr} GLOB ${param}`,
    // GLOB has no escape character: a literal *, ?, [ or ] is written as a one-character class.
    pattern: (parts) => parts.map((s) => s.replace(/[*?[\]]/g, (c) => `[${c}]`)).join('*'),
  };
}

/** Which server runs the SQL: MySQL 8 and MariaDB share a dialect but spell a statement time limit differently. */
export type SqlServer = 'mysql' | 'mariadb' | 'sqlite';

/**
 * MariaDB sorts with the row's columns in the sort buffer only while they fit in `max_length_for_sort_data`
 * (default 1024 bytes); past it, it sorts row ids and reads every row again by primary key. A GROUP BY with
 * COUNT(DISTINCT …) of 37,620 filtered visits took 290 ms that way and 90 ms with the columns sorted along
 * (bench/filters.ts). 16 KiB holds a 2,048-character page. MySQL 8 always sorts the columns along (the
 * variable is ignored since 8.0.20), so only MariaDB needs it.
 */
export const MARIADB_SORT_DATA_BYTES = 16_384;

/**
 * One SELECT bounded to `ms` of execution time. MySQL 8: the `MAX_EXECUTION_TIME` optimizer hint (read-only
 * SELECTs only; error 3024). MariaDB: `SET STATEMENT max_statement_time=<seconds> FOR` (error 1969), with the
 * sort setting above. SQLite has no server-side limit: the statement is returned unchanged (the embedded
 * database serves one process).
 */
export function limitStatementTime(server: SqlServer, sql: string, ms: number): string {
  const select = /^\s*SELECT\b/i;
  if (!select.test(sql)) throw new Error('only a SELECT can be time-limited');
  const limit = Math.max(1, Math.floor(ms));
  if (server === 'mysql') return sql.replace(select, `SELECT /*+ MAX_EXECUTION_TIME(${limit}) */`);
  if (server === 'mariadb')
    return `SET STATEMENT max_statement_time=${limit / 1000}, max_length_for_sort_data=${MARIADB_SORT_DATA_BYTES} FOR ${sql.trimStart()}`;
  return sql;
}

/**
 * An index the statement must use for a table (`FROM t <hint> alias`): MySQL/MariaDB `FORCE INDEX`, where the
 * optimizer's cost model misjudges a covering index (measured in bench/filters.ts) or plans a long `IN` list as
 * a scan (the aggregate's visitor-day reads); SQLite's planner chooses well on its own, so nothing there.
 */
export function forceIndex(kind: DialectKind, index: string): string {
  if (!/^[a-z0-9_]+$/.test(index)) throw new Error('an index name is a plain identifier');
  return kind === 'mysql' ? `FORCE INDEX (${index})` : '';
}
