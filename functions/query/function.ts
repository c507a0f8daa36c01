/** The query function for the Functions Framework entry (functions/index.ts) and main.ts. */
import type { FunctionFactory } from '../lib/function';
import { createDatabase } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import type { QueryConfig } from './config';
import { readConfig } from './config';
import { createQueryHandler, type QueryHandler } from './handler';

/** Opens the database (applying pending migrations) and builds the handler over it. */
export async function openQuery(config: QueryConfig, logger: Logger): Promise<{ handler: QueryHandler; close(): Promise<void> }> {
  const db = createDatabase({ url: config.databaseUrl });
  // The schema is owned by migrations; applying pending ones here makes the embedded SQLite default usable.
  await db.migrate();
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
