/**
 * The query function's only way to run a stats SELECT: every statement carries the configured time limit
 * (functions/lib/db/dialect.ts limitStatementTime), so no request can keep a connection busy for long. A
 * statement that hits the limit becomes a StatementTimeoutError, which the handler answers with 503 JSON.
 */
import { DatabaseError, QueryTypes } from 'sequelize';
import type { Database } from '../../lib/db';
import { limitStatementTime, type SqlServer } from '../../lib/db/dialect';
import { selectArrays } from '../../lib/db/select-arrays';
import { select, str, type Row } from './rows';

/** 5 s: far above a dashboard answer (tens of ms), far below a proxy's request timeout. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

export interface Reader {
  /** One bounded SELECT with named replacements. */
  select(sql: string, replacements: Record<string, unknown>): Promise<Row[]>;
  /** The same with sequelize `bind` values (`$name`: prepared statements), as the filtered queries use. */
  selectBound?(sql: string, bind: Record<string, unknown>): Promise<Row[]>;
  /** One bounded SELECT with named replacements, rows as arrays in column order (large answers: lib/db/select-arrays.ts). */
  selectArrays?(sql: string, replacements: Record<string, unknown>): Promise<unknown[][]>;
}

/** A statement ran longer than the limit and the server stopped it (transient: a 503, retry or ask for less). */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
  constructor(readonly limitMs: number) {
    super(`the statement ran longer than ${limitMs} ms and was stopped`);
  }
}

/** MySQL ER_QUERY_TIMEOUT (MAX_EXECUTION_TIME) and MariaDB ER_STATEMENT_TIMEOUT (max_statement_time). */
const TIMEOUT_ERRNOS = new Set([3024, 1969]);

export function isStatementTimeout(e: unknown): boolean {
  // Sequelize wraps the driver's error; selectArrays' mysql2 errors come as they are
  const errno =
    e instanceof DatabaseError ? (e.parent as { errno?: unknown } | undefined)?.errno : (e as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && TIMEOUT_ERRNOS.has(errno);
}

/** Which server answers: MariaDB says so in VERSION(); asked once per reader. */
async function serverOf(db: Database): Promise<SqlServer> {
  if (db.dialect.kind === 'sqlite') return 'sqlite';
  const rows = await select(db, 'SELECT VERSION() AS v', {});
  return /mariadb/i.test(str(rows[0]?.v)) ? 'mariadb' : 'mysql';
}

export function createReader(db: Database, opts: { statementTimeoutMs: number }): Reader {
  let server: Promise<SqlServer> | undefined;
  /** Runs `sql` with the server's statement time limit, its timeout error as StatementTimeoutError. */
  const bounded = async <T>(sql: string, run: (limited: string) => Promise<T>): Promise<T> => {
    server ??= serverOf(db).catch((e: unknown) => {
      server = undefined; // a failed probe (database down) is asked again next time
      throw e;
    });
    const limited = limitStatementTime(await server, sql, opts.statementTimeoutMs);
    try {
      return await run(limited);
    } catch (e) {
      if (isStatementTimeout(e)) throw new StatementTimeoutError(opts.statementTimeoutMs);
      throw e;
    }
  };
  return {
    select: (sql, replacements) => bounded(sql, (limited) => select(db, limited, replacements)),
    selectArrays: (sql, replacements) => bounded(sql, (limited) => selectArrays(db, limited, replacements)),
    selectBound: (sql, bind) => bounded(sql, (limited) => db.sequelize.query<Row>(limited, { bind, type: QueryTypes.SELECT })),
  };
}
