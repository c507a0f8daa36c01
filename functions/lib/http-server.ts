/**
 * The bounded HTTP server of the container image. The Functions Framework (5.0.5, `build/src/server.js`)
 * puts body-parser in front of every function with a fixed `limit: '1024mb'` and no option to change it,
 * so a chunked upload is buffered up to 1 GiB before our code runs (ARCHITECTURE.md "Bounded requests").
 * This server keeps the framework — the request still goes through its Express app, so functions keep
 * the `(req, res)` signature, `req.rawBody` and `req.body` — but reads the body itself first, within a
 * bound, so body-parser finds it already consumed and skips it:
 *
 * - headers: `maxHeaderSize` (Node refuses larger ones with 431 before any handler runs), and
 *   `headersTimeout` for connections that send them slowly;
 * - bodies: a declared `Content-Length` over the bound is refused at once (413, nothing read); a chunked
 *   body is read until it passes the bound, then refused and the connection closed;
 * - a whole request must arrive within `requestTimeoutMs`; idle keep-alive sockets close after
 *   `keepAliveTimeoutMs`; at most `maxConnections` sockets are open at a time, and at most
 *   `maxPendingConnections` of them still waiting for their first request's headers — past that the
 *   oldest waiting one is cut (slowloris: each held socket costs Node ~10 KB, 11 KB on Node 24, and
 *   quick requests such as probes must not queue behind them);
 * - a body declared as JSON that does not parse is our own 400 JSON error;
 * - an optional per-client rate limit (429 with `Retry-After`), never on `/healthz` and `/readyz`.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';
import type { Logger } from './logger';
import type { RateLimiter } from './rate-limit';

export interface HttpLimits {
  maxBodyBytes: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxPendingConnections: number;
}

/** A per-client limiter (lib/rate-limit.ts's token bucket): `take` spends one token of `key` or says how long to wait. */
export type ClientRateLimiter = Pick<RateLimiter, 'take'>;

/** Health probes are never limited: a throttled kubelet would restart a healthy pod. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

export interface BoundedServerOptions {
  limits: HttpLimits;
  logger: Logger;
  rateLimit?: ClientRateLimiter;
  /** Peers whose `X-Forwarded-For` is believed (Knative's ingress); others are the client themselves. */
  trustedProxies?: BlockList;
  /**
   * Takes a request before its body is read, or returns false: for handlers that read the body
   * themselves within bounds of their own (collect's /api/event, with its smaller limit and body
   * timeout) and need nothing of the framework. The rate limit and the declared-length check apply first.
   */
  direct?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Extra fields the Functions Framework's body parsers would have set. */
export interface BodiedRequest extends IncomingMessage {
  rawBody?: Buffer;
  body?: unknown;
}

/** A JSON answer (probes, errors) with the headers every answer of the server carries. */
export function writeJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** An error answer: `{"error":{"code","message"}}`. */
export function sendJson(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  writeJson(res, status, { error: { code, message } }, headers);
}

/** Refuses and closes: the client may still be sending, and we will not read the rest. */
function refuseAndClose(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  res.once('finish', () => req.socket.destroySoon());
  sendJson(res, status, code, message, { Connection: 'close' });
}

/** `application/json`, `application/cloudevents+json`, any `+json`. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type);
}

/**
 * The client's address: the peer, or — when the peer is a trusted proxy — the right-most address of
 * `X-Forwarded-For` that is not itself a trusted proxy (the left-most entries are whatever the client wrote).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted?: BlockList): string {
  const p = normalizeIp(peer ?? '');
  if (trusted === undefined || !isTrusted(trusted, p)) return p;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((s) => normalizeIp(s.trim()))
    .filter((s) => isIP(s) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(trusted, hops[i]!)) return hops[i]!;
  return hops[0] ?? p;
}

function normalizeIp(ip: string): string {
  // IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 client.
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function isTrusted(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** `10.0.0.0/8, 127.0.0.1, fd00::/8` → a BlockList; throws on anything else. */
export function parseTrustedProxies(value: string, name = 'WTM_TRUSTED_PROXIES'): BlockList | undefined {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return undefined;
  const list = new BlockList();
  for (const item of items) {
    const [addr = '', bits] = item.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`${name}: "${item}" is not an IP address or CIDR such as 10.0.0.0/8`);
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too_large' } | { kind: 'aborted' };

/** Reads at most `max` bytes; stops (and drops what it has) as soon as the body passes the bound. */
export function readBoundedBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (r: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        req.pause();
        done({ kind: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onAbort = () => done({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

const BOUNDED = Symbol.for('wtm.boundedServer');

/** True for a server made by createBoundedServer: its requests reach the listener with the body read (`rawBody`). */
export function isBoundedServer(server: unknown): boolean {
  return typeof server === 'object' && server !== null && BOUNDED in server;
}

/** A node:http server that bounds every request before handing it to `listener` (the framework's app). */
export function createBoundedServer(listener: RequestListener, opts: BoundedServerOptions): Server {
  const { limits, logger } = opts;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks headersTimeout/requestTimeout: often enough that slow connections go soon.
      connectionsCheckingInterval: Math.max(250, Math.min(2000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req: BodiedRequest, res) => {
      void handle(req, res).catch((e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'request failed in the bounded server');
        if (!res.headersSent) sendJson(res, 500, 'internal', 'internal error');
        else res.destroy();
      });
    },
  );
  Object.defineProperty(server, BOUNDED, { value: true });
  server.maxConnections = limits.maxConnections;
  // Insertion order = age: the first entry is the connection that has waited longest for its headers.
  const pending = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
    if (pending.size > limits.maxPendingConnections) {
      const oldest = pending.values().next().value;
      if (oldest !== undefined) {
        pending.delete(oldest);
        oldest.destroy();
      }
    }
  });
  server.on('request', (req: IncomingMessage) => pending.delete(req.socket));
  // Node's own default would answer a malformed request line with a bare 400; keep it, but never echo.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const body = JSON.stringify({
      error: { code: status === 431 ? 'headers_too_large' : status === 408 ? 'timeout' : 'bad_request', message: text },
    });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  async function handle(req: BodiedRequest, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (opts.rateLimit !== undefined && !PROBE_PATHS.has(path)) {
      const key = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], opts.trustedProxies);
      const r = opts.rateLimit.take(key);
      if (!r.allowed) {
        // The body is not read; closing keeps a flooding client from pipelining more.
        res.once('finish', () => req.socket.destroySoon());
        sendJson(res, 429, 'rate_limited', 'too many requests from this client; retry later', {
          'Retry-After': String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))),
          Connection: 'close',
        });
        return;
      }
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
      refuseAndClose(req, res, 413, 'payload_too_large', `the request body must be at most ${limits.maxBodyBytes} bytes`);
      return;
    }
    if (opts.direct?.(req, res) === true) return;
    const read = await readBoundedBody(req, limits.maxBodyBytes);
    if (read.kind === 'aborted') return;
    if (read.kind === 'too_large') {
      refuseAndClose(req, res, 413, 'payload_too_large', `the request body must be at most ${limits.maxBodyBytes} bytes`);
      return;
    }
    // What the framework's parsers would leave: the raw bytes always, the parsed JSON for JSON bodies.
    req.rawBody = read.body;
    if (read.body.length > 0) {
      if (isJsonContentType(req.headers['content-type'])) {
        try {
          req.body = JSON.parse(read.body.toString('utf8')) as unknown;
        } catch {
          sendJson(res, 400, 'invalid_json', 'the request body is not valid JSON');
          return;
        }
      } else if ((req.headers['content-type'] ?? '').toLowerCase().startsWith('text/')) req.body = read.body.toString('utf8');
      else req.body = read.body;
    }
    listener(req, res);
  }

  return server;
}
