/**
 * The HTTP adapter of collect over plain node:http objects, shared by the Functions Framework function
 * (function.ts) and `npm start` (functions/start). It routes `POST /api/event` (and the CORS preflight),
 * reads the body as a stream with a hard limit (413 from Content-Length before reading, or as soon as
 * the stream passes the limit — a huge body is never buffered), takes the client's IP and user agent
 * from the connection, asks the core, publishes, and answers:
 *
 *   202 ok                 accepted (also bots and unknown sites: enrich counts and drops them);
 *                          `x-plausible-dropped: 1` when collect itself drops it (no user agent)
 *   204                    CORS preflight
 *   400 not_an_event | invalid_json | invalid_encoding
 *   404 / 405              other paths / methods
 *   408 body_timeout       the body did not arrive within WTM_COLLECT_BODY_TIMEOUT_MS
 *   413 payload_too_large  over WTM_COLLECT_MAX_BODY_BYTES
 *   415 unsupported_media_type   a content type other than text/plain or application/json, a charset
 *                          other than UTF-8, or any Content-Encoding (no decompression: no zip bombs)
 *   429 rate_limited       past the client's token bucket (Retry-After in seconds)
 *   503 unavailable        Kafka (or K_SINK) did not take the event in time; logged, retry later
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent, RawTraffic } from '../../events';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { createRateLimiter, type RateLimiter } from '../lib/rate-limit';
import { clientIp, rateLimitKey } from './client-ip';
import type { CollectLimits } from './config';
import { decideCollect, firstLanguage, type DropReason } from './core';
import { CollectError, isCollectError } from './errors';

export const COLLECT_PATH = '/api/event';

/** Publishes raw events durably (resolves once Kafka or the sink has them). */
export type PublishRaw = (events: readonly CloudEvent<RawTraffic>[]) => Promise<void>;

export interface CollectHandlerDeps {
  limits: CollectLimits;
  publish: PublishRaw;
  logger: Logger;
  now?: () => Date;
  newId?: () => string;
  /** Monotonic clock of the rate limiter (ms). */
  monotonicNow?: () => number;
}

export interface CollectMetrics {
  requests: number;
  accepted: number;
  /** Events dropped by collect itself, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  /** Refused requests by error code. */
  refused: Partial<Record<string, number>>;
}

export interface CollectHandler {
  /** Handles one request; never rejects (every failure becomes a response). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  metrics(): CollectMetrics;
}

/**
 * The Content-Type the request arrived with when something moved it aside before the body parsers of
 * a framework could see it (function.ts does so under the Functions Framework).
 */
const movedContentType = new WeakMap<IncomingMessage, string | undefined>();

/** Hides the request's Content-Type from later body parsers (they skip a body without one) and keeps it for collect. */
export function deferBodyParsing(req: IncomingMessage): void {
  if (movedContentType.has(req)) return;
  movedContentType.set(req, req.headers['content-type']);
  delete req.headers['content-type'];
}

function contentTypeOf(req: IncomingMessage): string | undefined {
  return movedContentType.has(req) ? movedContentType.get(req) : req.headers['content-type'];
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
} as const;

const NO_HEADERS: Record<string, string> = Object.freeze({});
const ACCEPTED_HEADERS = Object.entries({
  ...CORS_HEADERS,
  'Content-Type': 'text/plain; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Length': '2',
}).flat();

/** text/plain (the tracker: no preflight), application/json (server-side senders), or none; UTF-8 only. */
function contentTypeProblem(ct: string | undefined): string | undefined {
  if (ct === undefined || ct.trim() === '') return undefined;
  const [type = '', ...params] = ct.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'text/plain' && type !== 'application/json')
    return `content type "${type.slice(0, 60)}" is not text/plain or application/json`;
  for (const p of params) {
    const [k, v = ''] = p.split('=').map((s) => s.trim());
    if (k === 'charset' && v.replace(/"/g, '') !== 'utf-8' && v.replace(/"/g, '') !== 'utf8')
      return `charset "${v.slice(0, 30)}" is not UTF-8`;
  }
  return undefined;
}

/** A refused body is read and thrown away for at most this long / this much before the connection is cut. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * After refusing a request whose body is still coming: once the answer is out, half-close (FIN, so the
 * client stops sending) and read and discard what still arrives, then cut. Closing a socket with unread
 * data makes the kernel send a reset, and the client may lose the answer (the "lingering close" of web
 * servers). Nothing is kept; past LINGER_MS or LINGER_BYTES the socket is destroyed.
 */
function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  if (req.readableEnded) return;
  let discarded = 0;
  const socket = req.socket;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  res.once('finish', () => socket.end());
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) cut();
  });
  req.resume();
}

/**
 * Reads the body up to `max` bytes. Rejects with CollectError 413 as soon as it passes the limit, 408
 * when it is too slow, 400 when the client goes away mid-body.
 */
function readBody(req: IncomingMessage, res: ServerResponse, max: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: CollectError | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err !== undefined) {
        lingerThenClose(req, res);
        reject(err);
      } else resolve(body ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish(new CollectError('payload_too_large', `the body is larger than ${max} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, Buffer.concat(chunks, size));
    const onError = (e: Error) => finish(new CollectError('invalid_json', `the body could not be read: ${e.message.slice(0, 100)}`));
    const onAborted = () => finish(new CollectError('invalid_json', 'the client closed the connection before the body ended'));
    const timer = setTimeout(() => finish(new CollectError('body_timeout', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    t.unref();
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export function createCollectHandler(deps: CollectHandlerDeps): CollectHandler {
  const { limits, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const limiter: RateLimiter | undefined =
    limits.rateLimit === undefined
      ? undefined
      : createRateLimiter({ ...limits.rateLimit, ...(deps.monotonicNow === undefined ? {} : { now: deps.monotonicNow }) });
  const m: CollectMetrics = { requests: 0, accepted: 0, dropped: {}, refused: {} };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = NO_HEADERS) => {
    if (res.headersSent || res.writableEnded) return;
    if (status === 202 && body === 'ok' && headers === NO_HEADERS) {
      // The answer to nearly every request: one prepared header list (no per-request object to build).
      res.writeHead(202, ACCEPTED_HEADERS);
      res.end('ok');
      return;
    }
    res.writeHead(status, {
      ...CORS_HEADERS,
      'Content-Type': body === 'ok' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(body);
  };

  const refuse = (res: ServerResponse, e: CollectError, headers: Record<string, string> = {}) => {
    m.refused[e.code] = (m.refused[e.code] ?? 0) + 1;
    const error = { code: e.code, message: e.message.slice(0, 500), ...(e.problems.length > 0 ? { problems: e.problems } : {}) };
    send(res, e.status, JSON.stringify({ error }), headers);
  };

  async function process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== COLLECT_PATH) {
      refuse(res, new CollectError('not_found', `POST events to ${COLLECT_PATH}`));
      return;
    }
    if (req.method === 'OPTIONS') {
      send(res, 204, '');
      return;
    }
    if (req.method !== 'POST') {
      refuse(res, new CollectError('method_not_allowed', `${COLLECT_PATH} takes POST`), { Allow: 'POST, OPTIONS' });
      return;
    }
    // A refusal before or while the body is read lingers (reads and discards a bounded amount) and
    // then cuts the connection; `Connection: close` would make Node reset it with the answer unread.
    const refuseUnread = (e: CollectError, headers: Record<string, string> = {}) => {
      lingerThenClose(req, res);
      refuse(res, e, headers);
    };
    const declared = header(req, 'content-length');
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
      refuseUnread(new CollectError('payload_too_large', `the body is ${declared} bytes, limit ${limits.maxBodyBytes}`));
      return;
    }
    const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], limits.trustedProxies);
    if (ip === undefined) {
      // The socket is already gone: nobody to answer.
      res.destroy();
      return;
    }
    if (limiter !== undefined) {
      const d = limiter.take(rateLimitKey(ip));
      if (!d.allowed) {
        refuseUnread(new CollectError('rate_limited', 'too many events from this client, slow down'), {
          'Retry-After': String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))),
        });
        return;
      }
    }
    const ctProblem = contentTypeProblem(contentTypeOf(req));
    if (ctProblem !== undefined) {
      refuseUnread(
        new CollectError('unsupported_media_type', `${ctProblem}; send the event as JSON with Content-Type text/plain or application/json`),
      );
      return;
    }
    const encoding = header(req, 'content-encoding');
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      refuseUnread(new CollectError('unsupported_media_type', 'compressed bodies are not accepted (events are small)'));
      return;
    }
    let body: Buffer;
    // A framework that read the body already (its parsers saw a Content-Type) left it as rawBody.
    const preread = (req as IncomingMessage & { rawBody?: unknown }).rawBody;
    try {
      if (Buffer.isBuffer(preread)) {
        if (preread.length > limits.maxBodyBytes)
          throw new CollectError('payload_too_large', `the body is larger than ${limits.maxBodyBytes} bytes`);
        body = preread;
      } else body = req.readableEnded ? Buffer.alloc(0) : await readBody(req, res, limits.maxBodyBytes, limits.bodyTimeoutMs);
    } catch (e) {
      if (isCollectError(e)) refuse(res, e);
      else throw e;
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      refuse(res, new CollectError('invalid_encoding', 'the body is not valid UTF-8'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      refuse(res, new CollectError('invalid_json', `the body is not JSON: ${errorMessage(e).slice(0, 120)}`));
      return;
    }
    const language = firstLanguage(header(req, 'accept-language'));
    const decision = decideCollect(
      json,
      { ip, userAgent: header(req, 'user-agent'), ...(language === undefined ? {} : { language }) },
      { now, newId },
    );
    if (decision.kind === 'drop') {
      m.dropped[decision.reason] = (m.dropped[decision.reason] ?? 0) + decision.events;
      logger.debug({ reason: decision.reason }, 'event dropped');
      send(res, 202, 'ok', { 'x-plausible-dropped': '1' });
      return;
    }
    try {
      await withTimeout(deps.publish(decision.events), limits.publishTimeoutMs);
    } catch (e) {
      logger.warn({ err: errorMessage(e), events: decision.events.length }, 'publish failed, answering 503');
      refuse(res, new CollectError('unavailable', 'the event could not be stored right now, retry later'), { 'Retry-After': '5' });
      return;
    }
    m.accepted += decision.events.length;
    send(res, 202, 'ok');
  }

  return {
    async handle(req, res) {
      m.requests++;
      try {
        await process(req, res);
      } catch (e) {
        if (isCollectError(e)) {
          refuse(res, e);
          return;
        }
        logger.error({ err: errorMessage(e) }, 'collect request failed');
        send(res, 500, '{"error":{"code":"internal","message":"internal error"}}');
      }
    },
    metrics: () => structuredClone(m),
  };
}
