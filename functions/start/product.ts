/**
 * Wires the functions into one running product. Every part is the production one: the enrich core
 * and its batch handler, the aggregate stage (writer, dedupe, rollups, sketches), the query handler
 * with the web bundle; only the transport differs (in-process bus or Kafka) and the storage (SQLite or MySQL).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { QueryTypes } from 'sequelize';
import { topicNames, type CloudEvent, type RawTraffic } from '../../events';
import { createAggregateStage, type AggregateStage } from '../aggregate/stage';
import { startAggregateRunner } from '../aggregate/runner';
import { createEnricher, type Enricher } from '../enrich/core';
import { startEnrichRunner } from '../enrich/runner';
import { createInProcessBus, type Publisher } from '../lib/bus';
import { createDatabase, sequelizeOptions, type Database } from '../lib/db';
import { errorMessage } from '../lib/errors';
import { openGeoIp } from '../lib/geoip';
import { createKafkaPublisher, ensureTopics, type RunningConsumer } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { createQueryHandler } from '../query/handler';
import { parseCorsOrigins } from '../query/http-policy';
import { createCachedSiteLookup } from '../sites/registry';
import { EXAMPLE_SITE, type StartConfig } from './config';
import { createCollectHandler, COLLECT_PATH } from '../collect/http';
import { createStatusLine } from './status';
import { backfill, runLiveTraffic } from './traffic';

export interface RunningProduct {
  url: string;
  port: number;
  /** Where the data lives (a file path or a MySQL host/database). */
  storage: string;
  stop(): Promise<void>;
}

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Raised for problems a user can fix; the message says what to do. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

const DAY_MS = 86_400_000;

function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new StartError(`the data folder ${dir} is not writable (${errorMessage(e)}): choose another with --data <dir>`);
  }
}

/** The salt secret of the embedded default: WTM_SALT_SECRET, else a random one kept beside the data. */
function saltSecretOf(config: StartConfig): string {
  if (config.saltSecret !== undefined) return config.saltSecret;
  const file = resolve(config.dataDir, 'salt.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function describeStorage(url: string): string {
  const o = sequelizeOptions(url);
  return o.kind === 'sqlite' ? String(o.storage) : `MySQL ${o.host}:${o.port}/${o.database}`;
}

async function openDatabase(url: string): Promise<Database> {
  const db = createDatabase({ url });
  try {
    await db.migrate();
  } catch (e) {
    await db.close().catch(() => undefined);
    const where = describeStorage(url);
    throw new StartError(
      `could not open the database (${where}): ${errorMessage(e)}${url.startsWith('sqlite') ? '' : ' — is MySQL running and DATABASE_URL right?'}`,
    );
  }
  return db;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new StartError(
          e.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use: stop what uses it or choose another with --port <n>`
            : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      );
    });
    server.listen(port, host, () => {
      const addr = server.address();
      resolveListen(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

export async function startProduct(config: StartConfig, io: Io): Promise<RunningProduct> {
  const logger = createLogger({ name: 'wtm', level: config.logLevel, destination: undefined });
  const topics = topicNames(config.topicPrefix);
  if (config.databaseUrl.startsWith('sqlite')) prepareDataDir(config.dataDir);
  else prepareDataDir(config.dataDir); // the salt secret and demo token still live there
  const db = await openDatabase(config.databaseUrl);
  const cleanups: (() => Promise<unknown>)[] = [() => db.close()];
  const fail = async (e: unknown): Promise<never> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw e;
  };

  try {
    const geoip = await openGeoIp();
    // -- sites: the demo sites are registered (idempotently) so their events count
    const stageForSites = await createAggregateStage({ db, topics, logger, migrate: false, publisher: undefined });
    const registry = stageForSites.registry;
    await stageForSites.close();
    for (const s of config.sites) await registry.add({ hostname: s.hostname, timezone: s.timezone, isPublic: s.isPublic });
    // Real sites (--site) and the demo "example site" page count what the tracker sends to /api/event.
    for (const s of [...config.realSites, { hostname: EXAMPLE_SITE, timezone: 'UTC' }]) {
      if (!config.sites.some((d) => d.hostname === s.hostname))
        await registry.add({ hostname: s.hostname, timezone: s.timezone, isPublic: true });
    }
    const privateSites = config.sites.filter((s) => !s.isPublic).map((s) => s.hostname);
    const tokenFile = resolve(config.dataDir, 'demo-token');
    let demoToken: string | undefined;
    if (privateSites.length > 0) {
      demoToken = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
      if (demoToken === undefined || !(await registry.verifyToken(privateSites[0]!, demoToken))) {
        demoToken = await registry.createToken(privateSites[0]!, 'npm start demo');
        writeFileSync(tokenFile, `${demoToken}\n`, { mode: 0o600 });
      }
    }

    // -- transport
    let publisher: Publisher;
    let inProcess: ReturnType<typeof createInProcessBus> | undefined;
    if (config.kafkaBrokers !== undefined) {
      try {
        await withTimeout(ensureTopics(config.kafkaBrokers, [topics.raw, topics.enriched, topics.rejected], 4, { logger }), 20_000);
      } catch (e) {
        throw new StartError(`could not reach Kafka at ${config.kafkaBrokers.join(',')} (KAFKA_BROKERS): ${errorMessage(e)}`);
      }
      const kafka = createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-start', logger });
      cleanups.push(() => kafka.close());
      publisher = kafka;
    } else {
      inProcess = createInProcessBus({ onError: (topic, e) => logger.warn({ topic, err: errorMessage(e) }, 'batch failed, retrying') });
      publisher = inProcess;
    }

    // -- enrich and aggregate: the production cores
    const enricher: Enricher = createEnricher({
      sites: createCachedSiteLookup(registry, { ttlMs: 60_000 }),
      geo: geoip,
      saltSecret: saltSecretOf(config),
      now: () => new Date(),
      publisher,
      topics,
      logger,
    });
    const stage: AggregateStage = await createAggregateStage({ db, publisher, topics, logger, migrate: false });
    cleanups.push(() => stage.close());
    let rejectedSeen = 0;
    const consumers: RunningConsumer[] = [];
    if (inProcess !== undefined) {
      inProcess.subscribe(topics.raw, enricher.handleBatch);
      inProcess.subscribe(topics.enriched, async (batch) => void (await stage.aggregator.handle(batch)));
      // The embedded default keeps rejected events in memory only long enough to count them.
      inProcess.subscribe(topics.rejected, async (batch) => void (rejectedSeen += batch.length));
    } else {
      const brokers = config.kafkaBrokers!;
      // Another topic prefix (tests, side-by-side installs) gets its own consumer groups too.
      const group = (name: string) => (config.topicPrefix === 'wtm' ? undefined : `${config.topicPrefix}-${name}`);
      consumers.push(await startEnrichRunner({ brokers, enricher, topic: topics.raw, logger, groupId: group('enrich') }));
      consumers.push(await startAggregateRunner({ brokers, topics, aggregator: stage.aggregator, logger, groupId: group('aggregate') }));
      cleanups.push(async () => {
        for (const c of consumers) await c.stop();
      });
    }

    // -- query: API, bundle and demo pages
    const query = createQueryHandler({
      db,
      logger,
      cors: parseCorsOrigins(config.corsOrigins),
      webRoot: resolve(__dirname, '..', '..', 'web'),
    });
    // -- collect on the same port (query serves the tracker at /js/script.js with the other static files)
    const collect = createCollectHandler({ limits: config.collect, logger, publish: (events) => publisher.publish(topics.raw, events) });
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === COLLECT_PATH) {
        void collect.handle(req, res);
        return;
      }
      query.listener(req, res).catch((e: unknown) => {
        logger.error({ err: errorMessage(e) }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"error":{"code":"internal","message":"internal error"}}');
      });
    });
    const port = await listen(server, config.port, config.host);
    cleanups.push(() => new Promise((r) => server.close(r)));
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${shownHost}:${port}/`;
    io.out.write(`WebTrafficMonitor is running: dashboard ${url}  (API ${url}api/v1/sites)\n`);
    io.out.write(`tracker: ${url}js/script.js → ${url}api/event; example site: ${url}example-site.html\n`);
    io.out.write(
      `storage: ${describeStorage(config.databaseUrl)}; transport: ${config.kafkaBrokers === undefined ? 'in-process bus' : `Kafka ${config.kafkaBrokers.join(',')}`}\n`,
    );
    if (demoToken !== undefined) io.out.write(`private demo site ${privateSites[0]}: ${url}?site=${privateSites[0]}&token=${demoToken}\n`);

    // -- traffic: backfill on first start, then live
    const abort = new AbortController();
    let generated = 0;
    const publishRaw = async (events: CloudEvent<RawTraffic>[]) => {
      await publisher.publish(topics.raw, events);
      generated += events.length;
      // Backpressure for the in-process bus: do not run far ahead of enrich and aggregate.
      while (
        inProcess !== undefined &&
        (inProcess.stats()[topics.raw]?.queued ?? 0) + (inProcess.stats()[topics.enriched]?.queued ?? 0) > 20_000
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const status = createStatusLine({
      stream: io.err,
      enabled: config.status,
      read: () => ({
        generated,
        enriched: enricher.metrics().enriched,
        stored: stage.writer.stats().written,
        rejected: Object.values(enricher.metrics().rejected).reduce((a, b) => a + b, 0),
      }),
    });
    cleanups.push(async () => status.stop());
    const trafficDeps = { sites: config.sites, seed: config.seed, geoip, publish: publishRaw };
    const traffic = (async () => {
      const rows = await db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM rollups', { type: QueryTypes.SELECT });
      if (Number(rows[0]?.n ?? 0) === 0 && config.backfillDays > 0) {
        const to = config.backfillEnd ?? Date.now();
        const from = to - config.backfillDays * DAY_MS;
        io.err.write(`first start: simulating ${config.backfillDays} days of history…\n`);
        const events = await backfill(trafficDeps, {
          from,
          to,
          sessionsPerDay: config.backfillSessionsPerDay,
          signal: abort.signal,
          onProgress: (done, count) => status.progress(`backfill ${Math.round(done * 100)}% (${count.toLocaleString('en')} events)`),
        });
        status.progress(undefined);
        io.err.write(`backfill: ${events.toLocaleString('en')} events generated\n`);
      }
      if (config.rate > 0) await runLiveTraffic(trafficDeps, { rate: config.rate, signal: abort.signal });
    })().catch((e: unknown) => {
      if (!abort.signal.aborted) io.err.write(`traffic generation stopped: ${errorMessage(e)}\n`);
    });
    status.start();

    return {
      url,
      port,
      storage: describeStorage(config.databaseUrl),
      async stop() {
        abort.abort();
        await traffic;
        if (inProcess !== undefined) await withTimeout(inProcess.drain(), 30_000).catch(() => undefined);
        // LIFO: status, runners, aggregate (flushes the writer), publisher, database
        for (const c of cleanups.reverse()) await c();
        cleanups.length = 0;
      },
    };
  } catch (e) {
    return fail(e);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolveT, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolveT(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
