/** The statement time limit as each server spells it, and which errors mean "the limit stopped it". */
import { DatabaseError } from 'sequelize';
import { limitStatementTime } from '../../lib/db/dialect';
import { isStatementTimeout } from './reader';

describe('limitStatementTime', () => {
  const sql = '\n  SELECT a FROM rollups WHERE x = :x';
  it.each([
    ['mysql', 1500, 'SELECT /*+ MAX_EXECUTION_TIME(1500) */ a FROM rollups WHERE x = :x'],
    ['mariadb', 1500, 'SET STATEMENT max_statement_time=1.5, max_length_for_sort_data=16384 FOR SELECT a FROM rollups WHERE x = :x'],
    ['mariadb', 0.4, 'SET STATEMENT max_statement_time=0.001, max_length_for_sort_data=16384 FOR SELECT a FROM rollups WHERE x = :x'],
    ['sqlite', 1500, sql],
  ] as const)('%s, %d ms', (server, ms, expected) => {
    expect(limitStatementTime(server, sql, ms).trim()).toBe(expected.trim());
  });
  it('refuses anything but a SELECT (MySQL honours the hint only there)', () => {
    expect(() => limitStatementTime('mysql', 'DELETE FROM rollups', 100)).toThrow(/SELECT/);
  });
});

describe('isStatementTimeout', () => {
  const dbError = (errno: number) => new DatabaseError(Object.assign(new Error('interrupted'), { errno, sql: '', parameters: {} }));
  it.each([
    [3024, true], // MySQL ER_QUERY_TIMEOUT
    [1969, true], // MariaDB ER_STATEMENT_TIMEOUT
    [1205, false], // lock wait timeout: a different problem
  ])('errno %d → %s', (errno, expected) => expect(isStatementTimeout(dbError(errno))).toBe(expected));
  it('is false for anything that is not a database error', () => expect(isStatementTimeout(new Error('x'))).toBe(false));
});
