/**
 * The Functions Framework (Knative) adapter of enrich: `POST /` with one raw CloudEvent, binary mode
 * (as KafkaSource delivers it, `ce-*` headers) or structured mode.
 *
 * Knative delivery: 2xx = done, 5xx = retried, 400 = dead-letter sink. So a bad event is written to
 * the rejected topic by us and answered 200 (with the reason); only transient failures answer 503.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { inboundFromHttp, type Publisher } from '../lib/bus';
import { errorMessage } from '../lib/errors';
import type { FunctionFactory, Readiness, WtmFunction } from '../lib/function';
import { createKafkaPublisher, type KafkaPublisher } from '../lib/kafka';
import { createLogger, type Logger } from '../lib/logger';
import { checkDatabase, combineReadiness } from '../lib/readiness';
import { readEnrichConfig } from './config';
import type { Enricher } from './core';
import { createEnricherFromConfig } from './runner';
import { createSinkPublisher } from './sink-publisher';

/** The parts of an Express request/response the adapter uses (Functions Framework passes Express objects). */
export interface HttpRequestLike {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
  body?: unknown;
}
export interface HttpResponseLike {
  status(code: number): this;
  json(body: unknown): unknown;
}

function bodyBytes(req: HttpRequestLike): Buffer {
  if (req.rawBody !== undefined) return req.rawBody;
  // Without rawBody (not under the Functions Framework) fall back to what a body parser left.
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body);
  return Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body));
}

let requestSeq = 0;

/** Handles one request against an enricher: 202 enriched, 200 rejected (with reason), 503 transient, 404/405 otherwise. */
export async function handleEnrichRequest(
  enricher: Pick<Enricher, 'process'>,
  logger: Logger,
  req: HttpRequestLike,
  res: HttpResponseLike,
): Promise<void> {
  if (req.path !== '/' && req.path !== '') {
    res.status(404).json({ error: { code: 'not_found', message: 'POST a CloudEvent to /' } });
    return;
  }
  if (req.method !== 'POST') {
    res.status(405).json({ error: { code: 'method_not_allowed', message: 'POST a CloudEvent to /' } });
    return;
  }
  const where = `http#${++requestSeq}`;
  const inbound = inboundFromHttp(req.headers, bodyBytes(req), where);
  try {
    const [outcome] = await enricher.process([inbound]);
    if (outcome === undefined) throw new Error('no outcome');
    if (outcome.kind === 'enriched') res.status(202).json({ status: 'enriched', id: outcome.event.attributes.id, bot: outcome.bot });
    else res.status(200).json({ status: 'rejected', reason: outcome.reason, id: outcome.event.attributes.id });
  } catch (e) {
    logger.warn({ where, err: errorMessage(e) }, 'transient failure, asking for redelivery');
    res.status(503).json({ error: { code: 'unavailable', message: 'a dependency is unavailable, retry later' } });
  }
}

export const createFunction: FunctionFactory = async (env) => {
  const config = readEnrichConfig(env, { needKafka: false });
  const logger = createLogger({ name: 'enrich', level: config.logLevel });
  let kafka: KafkaPublisher | undefined;
  let publisher: Publisher;
  if (config.sink !== undefined) publisher = createSinkPublisher(config.sink);
  else {
    kafka = createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-enrich-http', logger, compression: 'gzip' });
    publisher = kafka;
  }
  const { enricher, db } = await createEnricherFromConfig(config, { publisher, logger });
  const fn: WtmFunction = {
    handle: (req: Request, res: Response) => handleEnrichRequest(enricher, logger, req, res),
    async ready(): Promise<Readiness> {
      // The site registry's tables must be there: the migration Job creates them, enrich never does.
      const database = await checkDatabase(db);
      const broker: Readiness =
        kafka === undefined || (await kafka.ready()) ? { ok: true } : { ok: false, down: ['kafka'], reason: 'kafka: no broker answers' };
      return combineReadiness(database, broker);
    },
    async close() {
      await publisher.close();
      await db.close();
    },
  };
  return fn;
};
