/**
 * The database adapter: a Sequelize instance from DATABASE_URL (MySQL 8 / MariaDB 10.11 in production,
 * SQLite for the embedded default), migrations by umzug (never `sync()`), and the dialect module.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import { createDialect, type Dialect } from './dialect';
import { getSchemaStatus, runMigrations, type SchemaStatus } from './migrate';

export interface Database {
  sequelize: Sequelize;
  dialect: Dialect;
  /**
   * Applies pending migrations under the migration lock (see migrate.ts). Only `npm run migrate`,
   * `npm start` and the SQLite default call this; serving functions call `schemaStatus()`.
   */
  migrate(): Promise<void>;
  /** Which of this build's migrations are applied (reads only). */
  schemaStatus(): Promise<SchemaStatus>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `mysql://user:pass@host:port/db`, `mariadb://…` (served by mysql2), `sqlite:path/to/file.sqlite` or `sqlite::memory:` */
  url: string;
  pool?: { max: number };
  logging?: (sql: string) => void;
}

/** Parses DATABASE_URL into Sequelize options; throws a clear error on anything else. */
export function sequelizeOptions(url: string): Options & { kind: 'mysql' | 'sqlite' } {
  if (url.startsWith('sqlite:')) {
    const storage = url.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:';
    return { kind: 'sqlite', dialect: 'sqlite', storage };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`DATABASE_URL is not a URL: expected mysql://user:password@host:3306/database or sqlite:path`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new Error(`DATABASE_URL scheme "${u.protocol}" is not supported: use mysql://… or sqlite:…`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('DATABASE_URL names no database: mysql://user@host:3306/<database>');
  return {
    kind: 'mysql',
    dialect: 'mysql',
    host: u.hostname,
    port: u.port === '' ? 3306 : Number(u.port),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
    dialectOptions: { supportBigNumbers: true, bigNumberStrings: false, decimalNumbers: true, connectTimeout: 10_000 },
    timezone: '+00:00',
  };
}

export function createDatabase(opts: DatabaseOptions): Database {
  const { kind, ...options } = sequelizeOptions(opts.url);
  if (kind === 'sqlite' && options.storage !== ':memory:' && options.storage !== undefined) {
    mkdirSync(dirname(options.storage), { recursive: true });
  }
  const sequelize = new Sequelize({
    ...options,
    logging: opts.logging ?? false,
    pool: kind === 'sqlite' ? { max: 1, min: 0 } : { max: opts.pool?.max ?? 8, min: 0, idle: 10_000, acquire: 30_000 },
  });
  const dialect = createDialect(kind);
  let prepared: Promise<void> | undefined;
  return {
    sequelize,
    dialect,
    async migrate() {
      if (kind === 'sqlite') {
        // WAL lets the query API read while aggregate writes; NORMAL sync is durable across process crashes.
        await sequelize.query('PRAGMA journal_mode = WAL');
        await sequelize.query('PRAGMA synchronous = NORMAL');
        await sequelize.query('PRAGMA busy_timeout = 5000');
      }
      prepared ??= runMigrations(sequelize, { kind }).then(() => undefined);
      // A failed run may be retried by the caller (the database was briefly away).
      prepared.catch(() => (prepared = undefined));
      await prepared;
    },
    schemaStatus: () => getSchemaStatus(sequelize),
    close: () => sequelize.close(),
  };
}

export type { Dialect } from './dialect';
export type { SchemaStatus } from './migrate';
