/**
 * Migrations run by umzug, recorded in `SequelizeMeta`. Listed explicitly so bundles carry them.
 *
 * Schema changes come from one place: `npm run migrate` (the Kubernetes migration Job) or, for the
 * embedded SQLite default, `npm start` itself. Serving functions only read the schema's version
 * (`getSchemaStatus`) and report unready until the Job has run. Every run takes a lock first, so two
 * concurrent runs (two Jobs, two `npm start`s on one MySQL) apply each migration exactly once: the
 * second waits, then finds nothing pending.
 */
import { Umzug, SequelizeStorage } from 'umzug';
import { QueryTypes, type QueryInterface, type Sequelize, type Transaction } from 'sequelize';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-session-entry-exit-ids';
import * as m0003 from './migrations/0003-storage-v2';
import * as m0004 from './migrations/0004-goals';
import * as m0005 from './migrations/0005-visit-page-keys';
import * as m0006 from './migrations/0006-ascii-keys';
import * as m0007 from './migrations/0007-day-visitor-indexes';

export interface Migration {
  up(qi: QueryInterface): Promise<void>;
  down(qi: QueryInterface): Promise<void>;
}

export const MIGRATIONS: readonly { name: string; migration: Migration }[] = [
  { name: '0001-initial', migration: m0001 },
  { name: '0002-session-entry-exit-ids', migration: m0002 },
  { name: '0003-storage-v2', migration: m0003 },
  { name: '0004-goals', migration: m0004 },
  { name: '0005-visit-page-keys', migration: m0005 },
  { name: '0006-ascii-keys', migration: m0006 },
  { name: '0007-day-visitor-indexes', migration: m0007 },
];

export function createMigrator(sequelize: Sequelize) {
  return new Umzug<QueryInterface>({
    migrations: MIGRATIONS.map(({ name, migration }) => ({
      name,
      up: ({ context }) => migration.up(context),
      down: ({ context }) => migration.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}

export type DbKind = 'mysql' | 'sqlite';

/** The MySQL/MariaDB advisory lock every migration run holds (GET_LOCK names are server-wide, so the database is part of it). */
export function migrationLockName(database: string): string {
  // GET_LOCK names are at most 64 characters.
  return `wtm_migrate:${database}`.slice(0, 64);
}

export class MigrationLockError extends Error {
  override readonly name = 'MigrationLockError';
}

export interface MigrateOptions {
  kind: DbKind;
  /** How long to wait for another run's lock before giving up. */
  lockTimeoutMs?: number;
  direction?: 'up' | 'down';
}

/** Names of the migrations applied by this run (empty when another run had already applied them). */
export async function runMigrations(sequelize: Sequelize, opts: MigrateOptions): Promise<string[]> {
  const lockTimeoutMs = opts.lockTimeoutMs ?? 600_000;
  const migrate = async (): Promise<string[]> => {
    const migrator = createMigrator(sequelize);
    const done = opts.direction === 'down' ? await migrator.down({ to: 0 }) : await migrator.up();
    return done.map((m) => m.name);
  };
  return opts.kind === 'mysql' ? withMysqlLock(sequelize, lockTimeoutMs, migrate) : withSqliteWriteLock(sequelize, lockTimeoutMs, migrate);
}

/**
 * MySQL/MariaDB: `GET_LOCK` is held by a session, not a transaction, and DDL commits implicitly, so the
 * lock lives on one pinned connection (a transaction object that touches no table, hence holds no
 * metadata lock) while umzug runs the migrations on the pool. The server releases the lock if this
 * process dies, so a crashed run never blocks the next one.
 */
async function withMysqlLock<T>(sequelize: Sequelize, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const database = sequelize.getDatabaseName();
  const name = migrationLockName(database);
  const pinned: Transaction = await sequelize.transaction();
  try {
    const [row] = await sequelize.query<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', {
      replacements: [name, Math.ceil(timeoutMs / 1000)],
      type: QueryTypes.SELECT,
      transaction: pinned,
    });
    if (row?.got !== 1) {
      throw new MigrationLockError(`another migration run holds the lock "${name}" for longer than ${timeoutMs} ms`);
    }
    try {
      return await body();
    } finally {
      await sequelize.query('SELECT RELEASE_LOCK(?)', { replacements: [name], type: QueryTypes.SELECT, transaction: pinned });
    }
  } finally {
    await pinned.commit().catch(() => pinned.rollback().catch(() => undefined));
  }
}

const isBusy = (e: unknown): boolean => {
  const text = e instanceof Error ? `${e.message} ${String((e as { parent?: { code?: unknown } }).parent?.code ?? '')}` : String(e);
  return /SQLITE_BUSY|database is locked/i.test(text);
};

/**
 * SQLite: the whole run is one `BEGIN IMMEDIATE` transaction on the connection umzug uses (Sequelize's
 * SQLite default connection), so it holds the database's write lock from the first read of
 * `SequelizeMeta` to the commit: a second process waits (busy timeout, then retries here) and then sees
 * every migration applied. SQLite's DDL is transactional, so a crash leaves no half-applied migration.
 */
async function withSqliteWriteLock<T>(sequelize: Sequelize, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sequelize.query('BEGIN IMMEDIATE');
      break;
    } catch (e) {
      if (!isBusy(e) || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const result = await body();
    await sequelize.query('COMMIT');
    return result;
  } catch (e) {
    await sequelize.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export interface SchemaStatus {
  /** Every migration this build knows is applied. */
  current: boolean;
  applied: string[];
  /** Known to this build, not applied yet: the migration Job has not run. */
  pending: string[];
}

/** Reads `SequelizeMeta` (no lock, no change). A database never migrated has every migration pending. */
export async function getSchemaStatus(sequelize: Sequelize): Promise<SchemaStatus> {
  let applied: string[];
  try {
    const rows = await sequelize.query<{ name: string }>('SELECT name FROM SequelizeMeta', { type: QueryTypes.SELECT });
    applied = rows.map((r) => r.name);
  } catch (e) {
    // No SequelizeMeta table yet; any other failure (connection) is the caller's to report.
    if (!/no such table|doesn't exist|ER_NO_SUCH_TABLE/i.test(e instanceof Error ? e.message : String(e))) throw e;
    applied = [];
  }
  const have = new Set(applied);
  const pending = MIGRATIONS.map((m) => m.name).filter((n) => !have.has(n));
  return { current: pending.length === 0, applied, pending };
}

/** The one log line a serving function writes while the schema is behind. */
export function describePendingSchema(status: SchemaStatus): string {
  return `database schema is behind this build (pending: ${status.pending.join(', ')}): run the migration Job (npm run migrate)`;
}
