/**
 * The query function's configuration, read once from the environment and frozen. PORT belongs to the
 * Functions Framework (and main.ts); LOG_LEVEL, DATABASE_URL, WTM_QUERY_TIMEOUT_MS and WTM_QUERY_SHARED_VISITS as in ARCHITECTURE.md "Configuration".
 */
import { resolve } from 'node:path';
import { MAX_SHARED_VISITS } from './filtered/kept-visits';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from './queries/reader';
import { parseCorsOrigins, type CorsPolicy } from './http-policy';

export interface QueryConfig {
  databaseUrl: string;
  cors: CorsPolicy;
  logLevel: string;
  /** Folder with `dist/` (the esbuild bundle) and `demo/` (the demo pages). */
  webRoot: string;
  port: number;
  /** WTM_QUERY_TIMEOUT_MS: the longest one stats statement may run before the request answers 503. */
  statementTimeoutMs: number;
  /** WTM_QUERY_SHARED_VISITS: kept visits one chunk of days of a filtered read holds at most (0: SQL alone). */
  maxSharedVisits: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readConfig(env: Readonly<Record<string, string | undefined>>): Readonly<QueryConfig> {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const port = Number(env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer from 0 to 65535');
  const statementTimeoutMs = Number(env.WTM_QUERY_TIMEOUT_MS ?? String(DEFAULT_STATEMENT_TIMEOUT_MS));
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 100 || statementTimeoutMs > 300_000) {
    throw new Error('WTM_QUERY_TIMEOUT_MS must be an integer from 100 to 300000 (milliseconds)');
  }
  const maxSharedVisits = Number(env.WTM_QUERY_SHARED_VISITS ?? String(MAX_SHARED_VISITS));
  if (!Number.isInteger(maxSharedVisits) || maxSharedVisits < 0 || maxSharedVisits > 1_000_000) {
    throw new Error('WTM_QUERY_SHARED_VISITS must be an integer from 0 to 1000000 (visits; 0 answers filtered requests by SQL alone)');
  }
  return Object.freeze({
    databaseUrl: env.DATABASE_URL ?? 'sqlite:.data/wtm.sqlite',
    cors: parseCorsOrigins(env.WTM_CORS_ORIGINS),
    logLevel,
    // The repository's web/ folder; the container image keeps the same layout.
    webRoot: resolve(__dirname, '..', '..', 'web'),
    port,
    statementTimeoutMs,
    maxSharedVisits,
  });
}
