/**
 * The Functions Framework adapter of collect (`FUNCTION_TARGET=collect`): the public ingest. Publishes
 * raw events with a kafkajs producer (or POSTs them to K_SINK) and answers as http.ts describes.
 *
 * The framework runs body parsers (limit 1 GB, with gzip inflation) before any function sees a
 * request. For an internet-facing endpoint that is a memory and zip-bomb hazard, so this module
 * subscribes to Node's `http.server.request.start` diagnostics channel (published before the
 * request reaches Express) and moves the Content-Type aside: every parser skips a body without
 * one, and http.ts reads the stream itself, bounded. The image's bounded server (lib/http-server.ts)
 * hands `/api/event` to the handler directly (`direct`, before the body is read), past Express, whose
 * middleware costs more than collect's own work, and reads any other request's body itself.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { topicNames } from '../../events';
import { errorMessage } from '../lib/errors';
import { isBoundedServer } from '../lib/http-server';
import type { FunctionFactory, Readiness, WtmFunction } from '../lib/function';
import { createKafkaPublisher, type KafkaPublisher } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import type { Publisher } from '../lib/bus';
import { createSinkPublisher } from '../enrich/sink-publisher';
import { readCollectConfig } from './config';
import { createBufferedPublish, type BufferedPublish } from './buffered-publish';
import { COLLECT_PATH, createCollectHandler, deferBodyParsing, type PublishRaw } from './http';

const REQUEST_START = 'http.server.request.start';

function onRequestStart(message: unknown): void {
  if (typeof message !== 'object' || message === null || !('request' in message)) return;
  // Under the image's bounded server no body parser runs first: collect's direct route reads its body
  // itself, and the server reads every other request's body within its bound.
  if ('server' in message && isBoundedServer(message.server)) return;
  deferBodyParsing((message as { request: IncomingMessage }).request);
}

export const createFunction: FunctionFactory = async (env) => {
  const config = readCollectConfig(env);
  const logger = createLogger({ name: 'collect', level: config.logLevel });
  const topics = topicNames(config.topicPrefix);
  let kafka: KafkaPublisher | undefined;
  let publisher: Publisher;
  if (config.sink !== undefined) publisher = createSinkPublisher(config.sink);
  else {
    // No compression: collect's batches are small and its latency is what a browser waits for.
    kafka = createKafkaPublisher({ brokers: config.kafkaBrokers, clientId: 'wtm-collect', logger, compression: 'none' });
    publisher = kafka;
  }
  const toKafka: PublishRaw = (events) => publisher.publish(topics.raw, events);
  let buffer: BufferedPublish | undefined;
  let publish = toKafka;
  if (config.ack === 'buffered') {
    const b = createBufferedPublish({ publish: toKafka, logger, maxEvents: config.bufferEvents });
    buffer = b;
    publish = async (events) => {
      if (!b.offer(events)) throw new Error(`the buffer of ${config.bufferEvents} events is full`);
    };
  }
  const collect = createCollectHandler({ limits: config, logger, publish });
  subscribe(REQUEST_START, onRequestStart);
  const report = setInterval(() => logger.info({ metrics: collect.metrics() }, 'collect metrics'), 60_000);
  report.unref();
  logger.info(
    {
      maxBodyBytes: config.maxBodyBytes,
      rateLimit: config.rateLimit ?? 'off',
      ack: config.ack,
      trustedProxies: config.trustedProxies.text || 'none',
      publishTo: config.sink ?? topics.raw,
    },
    'collect ready to accept events',
  );
  const fn: WtmFunction = {
    handle: (req, res) => collect.handle(req as IncomingMessage, res as ServerResponse),
    // The image's bounded server hands /api/event (POST and the CORS preflight) straight to the handler.
    direct: {
      accepts: (req) => (req.url ?? '').split('?')[0] === COLLECT_PATH,
      handle: (req, res) => collect.handle(req, res),
    },
    async ready(): Promise<Readiness> {
      if (kafka === undefined) return { ok: true };
      try {
        return (await kafka.ready()) ? { ok: true } : { ok: false, down: ['kafka'], reason: 'kafka: no broker answers' };
      } catch (e) {
        return { ok: false, down: ['kafka'], reason: `kafka: ${errorMessage(e)}` };
      }
    },
    async close() {
      clearInterval(report);
      unsubscribe(REQUEST_START, onRequestStart);
      if (buffer !== undefined) {
        const left = await buffer.flush(20_000);
        if (left > 0) logger.error({ events: left }, 'buffered events could not be published before shutdown');
      }
      await publisher.close();
      logger.info({ metrics: collect.metrics() }, 'collect closed');
    },
  };
  return fn;
};
