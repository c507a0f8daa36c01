/**
 * The generate function (Functions Framework `http`): `POST /` with any CloudEvent (e.g. a
 * PingSource tick) or JSON `{count, seed, sites}` generates a burst in the last minute and publishes
 * it — to K_SINK (binary-mode POSTs) when a SinkBinding sets it, else to Kafka. It answers
 * `{generated: n}` only after publishing; 400 with a JSON error on bad input; 503 when publishing fails.
 */
import { z } from 'zod';
import { fromHttp, isEventFormatError, topicNames, type HttpHeaders } from '../../events';
import type { Publisher } from '../lib/bus';
import { errorMessage } from '../lib/errors';
import type { FunctionFactory, Readiness, WtmFunction } from '../lib/function';
import { openGeoIp, type GeoIp } from '../lib/geoip';
import { createKafkaPublisher } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { parseFunctionConfig, parseSites, type GenerateFunctionConfig } from './config';
import { hash32 } from './random';
import { runGeneration } from './run';
import { createSimulator } from './simulator';
import { createSinkPublisher } from './sink-publisher';

const burstSchema = z.strictObject({
  count: z.number().int().min(1).optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  sites: z.array(z.string()).min(1).optional(),
});

export interface BurstRequest {
  count: number;
  seed: number;
  sites: string[] | undefined;
}

class BadRequest extends Error {}

/**
 * Reads a burst request: a CloudEvent (its id seeds the burst, so a redelivered tick makes the same
 * events, which downstream dedupe recognises) or a plain JSON body.
 */
export function parseBurstRequest(
  headers: HttpHeaders,
  body: Buffer,
  c: Pick<GenerateFunctionConfig, 'maxBurst' | 'defaultBurst'>,
): BurstRequest {
  const isCloudEvent =
    Object.keys(headers).some((h) => h.toLowerCase() === 'ce-id') || /cloudevents/i.test(String(headers['content-type'] ?? ''));
  let json: unknown = {};
  let seed: number | undefined;
  if (isCloudEvent) {
    try {
      const env = fromHttp(headers, body);
      seed = hash32(`${env.attributes.source}\n${env.attributes.id}`);
    } catch (e) {
      throw new BadRequest(isEventFormatError(e) ? e.message : errorMessage(e));
    }
  } else if (body.length > 0) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new BadRequest(`body is not JSON: ${errorMessage(e)}`);
    }
  }
  const parsed = burstSchema.safeParse(json);
  if (!parsed.success) throw new BadRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  const count = parsed.data.count ?? c.defaultBurst;
  if (count > c.maxBurst) throw new BadRequest(`count: at most ${c.maxBurst} per burst`);
  return { count, seed: parsed.data.seed ?? seed ?? hash32(body.toString('utf8')), sites: parsed.data.sites };
}

export function createGenerateFunction(deps: {
  config: Readonly<GenerateFunctionConfig>;
  publisher: Publisher & { ready(): Promise<boolean> };
  geoip: GeoIp;
  now?: () => Date;
}): WtmFunction {
  const { config, publisher, geoip } = deps;
  const now = deps.now ?? (() => new Date());
  const log = createLogger({ name: 'generate', level: config.logLevel });
  const topic = topicNames(config.topicPrefix).raw;
  const sendJson = (res: Parameters<WtmFunction['handle']>[1], status: number, body: unknown) => {
    res.status(status).set('content-type', 'application/json').send(JSON.stringify(body));
  };
  return {
    async handle(req, res) {
      if (req.method !== 'POST')
        return sendJson(res, 405, { error: { code: 'method_not_allowed', message: 'POST a CloudEvent or {count, seed, sites}' } });
      let burst: BurstRequest;
      let sites;
      try {
        const body = Buffer.isBuffer(req.rawBody)
          ? req.rawBody
          : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? {}));
        burst = parseBurstRequest(req.headers, body, config);
        sites = parseSites(burst.sites?.join(','), 'sites');
      } catch (e) {
        return sendJson(res, 400, { error: { code: 'invalid_parameter', message: errorMessage(e) } });
      }
      const to = now();
      const started = Date.now();
      try {
        const simulator = createSimulator({
          seed: burst.seed,
          sites,
          from: new Date(to.getTime() - config.windowMs),
          to,
          count: burst.count,
          geoip,
        });
        const done = await runGeneration({ items: simulator, publisher, topic, batchSize: 500, rate: 0 });
        log.info({ generated: done.events, seed: burst.seed, runId: simulator.runId, durationMs: Date.now() - started }, 'burst published');
        sendJson(res, 200, { generated: done.events });
      } catch (e) {
        log.error({ err: errorMessage(e), seed: burst.seed }, 'burst failed');
        sendJson(res, 503, { error: { code: 'unavailable', message: `publishing failed: ${errorMessage(e)}` } });
      }
    },
    async ready(): Promise<Readiness> {
      return (await publisher.ready())
        ? { ok: true }
        : config.sink === undefined
          ? { ok: false, down: ['kafka'], reason: 'kafka does not answer' }
          : { ok: false, down: ['sink'], reason: 'K_SINK does not answer' };
    },
    close: () => publisher.close(),
  };
}

export const createFunction: FunctionFactory = async (env) => {
  const config = parseFunctionConfig(env);
  const logger = createLogger({ name: 'generate', level: config.logLevel });
  const publisher =
    config.sink !== undefined
      ? createSinkPublisher({ sink: config.sink })
      : createKafkaPublisher({ brokers: config.brokers, clientId: 'wtm-generate', logger });
  return createGenerateFunction({ config, publisher, geoip: await openGeoIp() });
};
