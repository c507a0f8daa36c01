/**
 * Which database failures are worth retrying the whole transaction for: deadlocks, lock-wait
 * timeouts, a concurrent writer inserting the same key first, SQLite's busy/locked, and lost or
 * refused connections. Anything else (a bug, a missing table) will not heal by retrying.
 */
const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK', // 1213
  'ER_LOCK_WAIT_TIMEOUT', // 1205
  'ER_DUP_ENTRY', // 1062: another writer inserted the same key first; the retry reads it
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

const RETRYABLE_NAMES = new Set([
  'SequelizeUniqueConstraintError',
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeHostNotReachableError',
  'SequelizeTimeoutError',
]);

function field(e: unknown, name: string): unknown {
  return e !== null && typeof e === 'object' && name in e ? (e as Record<string, unknown>)[name] : undefined;
}

/** Whether `test` holds for the error or one of the errors it wraps (Sequelize's `parent`/`original`, `cause`). */
function anyCause(e: unknown, test: (cur: unknown) => boolean): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && depth < 4; depth++) {
    if (test(cur)) return true;
    cur = field(cur, 'parent') ?? field(cur, 'original') ?? field(cur, 'cause');
  }
  return false;
}

export function isRetryableDbError(e: unknown): boolean {
  return anyCause(e, (cur) => {
    const name = field(cur, 'name');
    const code = field(cur, 'code');
    if (typeof name === 'string' && RETRYABLE_NAMES.has(name)) return true;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    const message = field(cur, 'message');
    return typeof message === 'string' && /SQLITE_BUSY|SQLITE_LOCKED|database is locked/.test(message);
  });
}

/**
 * A write met a key that is already stored (MySQL/MariaDB 1062, SQLite's UNIQUE / PRIMARY KEY constraint):
 * a redelivered event, or a concurrent writer's copy. Retrying the transaction after reading what is stored heals it.
 */
export function isDuplicateKeyError(e: unknown): boolean {
  return anyCause(e, (cur) => {
    if (field(cur, 'name') === 'SequelizeUniqueConstraintError' || field(cur, 'code') === 'ER_DUP_ENTRY') return true;
    const message = field(cur, 'message');
    return typeof message === 'string' && /UNIQUE constraint failed|SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)/.test(message);
  });
}
