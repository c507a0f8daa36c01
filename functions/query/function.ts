/** The query function for the Functions Framework entry (functions/index.ts) and main.ts. */
import type { FunctionFactory } from '../lib/function';
import { createDatabase } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import type { QueryConfig } from './config';
import { readConfig } from './config';
import { createQueryHandler, type QueryHandler } from './handler';

/**
 * Opens the database and builds the handler over it. Only the embedded SQLite default migrates here;
 * on MySQL the migration Job owns the schema, and `/readyz` stays 503 (`schema`) until it has run.
 */
export async function openQuery(config: QueryConfig, logger: Logger): Promise<{ handler: QueryHandler; close(): Promise<void> }> {
  const db = createDatabase({ url: config.databaseUrl });
  if (config.databaseUrl.startsWith('sqlite:')) await db.migrate();
  return {
    handler: createQueryHandler({ db, logger, cors: config.cors, webRoot: config.webRoot, statementTimeoutMs: config.statementTimeoutMs }),
    close: () => db.close(),
  };
}

export const createFunction: FunctionFactory = async (env) => {
  const config = readConfig(env);
  const { handler, close } = await openQuery(config, createLogger({ name: 'query', level: config.logLevel }));
  return { handle: (req, res) => handler.listener(req, res), ready: () => handler.ready(), close };
};
