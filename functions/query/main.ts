/**
 * Runs the query function alone on a plain node:http server: `npx tsx functions/query/main.ts`
 * (PORT, DATABASE_URL, WTM_CORS_ORIGINS, LOG_LEVEL as in config.ts). The handler answers /healthz
 * and /readyz itself here, as the Functions Framework entry does in a pod.
 */
import { createServer } from 'node:http';
import { errorMessage } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { readConfig } from './config';
import { openQuery } from './function';

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const logger = createLogger({ name: 'query', level: config.logLevel });
  const { handler, close } = await openQuery(config, logger);
  const server = createServer((req, res) => {
    handler.listener(req, res).catch((e: unknown) => {
      logger.error({ err: errorMessage(e) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end('{"error":{"code":"internal","message":"internal error"}}');
    });
  });
  server.listen(config.port, () => logger.info({ port: config.port }, 'query listening'));
  const stop = () => server.close(() => void close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`query: ${errorMessage(e)}\n`);
  process.exit(1);
});
