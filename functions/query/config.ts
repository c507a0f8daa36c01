/**
 * The query function's configuration, read once from the environment and frozen. PORT belongs to the
 * Functions Framework (and main.ts); LOG_LEVEL and DATABASE_URL as in ARCHITECTURE.md "Configuration".
 */
import { resolve } from 'node:path';
import { parseCorsOrigins, type CorsPolicy } from './http-policy';

export interface QueryConfig {
  databaseUrl: string;
  cors: CorsPolicy;
  logLevel: string;
  /** Folder with `dist/` (the esbuild bundle) and `demo/` (the demo pages). */
  webRoot: string;
  port: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readConfig(env: Readonly<Record<string, string | undefined>>): Readonly<QueryConfig> {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const port = Number(env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer from 0 to 65535');
  return Object.freeze({
    databaseUrl: env.DATABASE_URL ?? 'sqlite:.data/wtm.sqlite',
    cors: parseCorsOrigins(env.WTM_CORS_ORIGINS),
    logLevel,
    // The repository's web/ folder; the container image keeps the same layout.
    webRoot: resolve(__dirname, '..', '..', 'web'),
    port,
  });
}
