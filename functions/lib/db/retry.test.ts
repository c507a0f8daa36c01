import { isDuplicateKeyError, isRetryableDbError } from './retry';

describe('isDuplicateKeyError', () => {
  const mysqlDup = Object.assign(new Error("Duplicate entry '1-20000-e01' for key 'PRIMARY'"), { code: 'ER_DUP_ENTRY', errno: 1062 });
  const sqliteDup = new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: events.site_id, events.day, events.event_key');

  it('recognises MySQL/MariaDB 1062, Sequelize unique-constraint errors and SQLite constraint failures, also wrapped', () => {
    expect(isDuplicateKeyError(mysqlDup)).toBe(true);
    expect(isDuplicateKeyError(Object.assign(new Error('Validation error'), { name: 'SequelizeUniqueConstraintError' }))).toBe(true);
    expect(isDuplicateKeyError(sqliteDup)).toBe(true);
    expect(isDuplicateKeyError(new Error('flush failed', { cause: mysqlDup }))).toBe(true);
    expect(isDuplicateKeyError(Object.assign(new Error('query failed'), { parent: sqliteDup }))).toBe(true);
  });

  it('is false for other failures, retryable or not', () => {
    const deadlock = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
    expect(isRetryableDbError(deadlock)).toBe(true);
    expect(isDuplicateKeyError(deadlock)).toBe(false);
    expect(isDuplicateKeyError(Object.assign(new Error('no such table'), { code: 'ER_NO_SUCH_TABLE' }))).toBe(false);
    expect(isDuplicateKeyError(new Error('SQLITE_CONSTRAINT: NOT NULL constraint failed: events.page'))).toBe(false);
    expect(isDuplicateKeyError(undefined)).toBe(false);
  });
});
