/** The query function for the Functions Framework entry (functions/index.ts) and main.ts. */
import type { IncomingMessage } from 'node:http';
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
    handler: createQueryHandler({
      db,
      logger,
      cors: config.cors,
      webRoot: config.webRoot,
      statementTimeoutMs: config.statementTimeoutMs,
      maxSharedVisits: config.maxSharedVisits,
    }),
    close: () => db.close(),
  };
}

const hasNoBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';

export const createFunction: FunctionFactory = async (env) => {
  const config = readConfig(env);
  const { handler, close } = await openQuery(config, createLogger({ name: 'query', level: config.logLevel }));
  return {
    handle: (req, res) => handler.listener(req, res),
    // Query needs nothing of Express: the image's bounded server hands it every request without a body
    // directly (lib/function.ts `direct`); one with a body is read within the server's bound first.
    direct: { accepts: hasNoBody, handle: (req, res) => handler.listener(req, res) },
    ready: () => handler.ready(),
    close,
  };
};
