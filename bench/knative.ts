/**
 * Knative path throughput: events/s through the enrich and aggregate HTTP functions (their
 * `createFunction`, as the Functions Framework entry builds them from env) served by node:http on
 * loopback, one binary-mode CloudEvent per POST (CloudEvents HTTP binding §3.1), BENCH_HTTP_CONCURRENCY
 * (default 32) requests in flight, as Knative's queue-proxy would send them. Enrich publishes to the
 * local Kafka; aggregate stores in MariaDB with the manifest's flush settings (2000 events / 250 ms; group commit).
 * Baseline in the same run: a plain node:http handler that reads the same bodies and JSON.parses them.
 *
 *   npx tsx bench/knative.ts        BENCH_HTTP_EVENTS=5000 BENCH_HTTP_CONCURRENCY=32
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from '@google-cloud/functions-framework';
import { toHttpBinary, type CloudEvent } from '../events';
import { createFunction as createAggregateFunction } from '../functions/aggregate/function';
import { createFunction as createEnrichFunction } from '../functions/enrich/function';
import { DEMO_SITES } from '../functions/generate/sites';
import { main, rate, type Figure } from './figure';
import { benchEnv, createScratch, enrichInProcess, seededWorkload } from './harness';

type Handle = (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The few Express members the functions use (status, set, json; method, path, headers, rawBody). */
function expressLike(handle: (req: Request, res: Response) => Promise<void>): Handle {
  return async (req, body, res) => {
    const request = { method: req.method, path: (req.url ?? '/').split('?')[0], headers: req.headers, rawBody: body, body };
    const response = {
      status(code: number) {
        res.statusCode = code;
        return response;
      },
      set(name: string, value: string) {
        res.setHeader(name, value);
        return response;
      },
      json(v: unknown) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(v));
        return response;
      },
    };
    await handle(request as unknown as Request, response as unknown as Response);
  };
}

const plainJson: Handle = async (_req, body, res) => {
  JSON.parse(body.toString('utf8'));
  res.setHeader('content-type', 'application/json');
  res.end('{"status":"ok"}');
};

/** Serves `handle`, posts every request with `concurrency` in flight, returns requests/s (every answer must be 2xx). */
async function drive(
  handle: Handle,
  requests: readonly { headers: Record<string, string>; body: string }[],
  concurrency: number,
): Promise<number> {
  const server = createServer((req, res) => {
    void readBody(req)
      .then((b) => handle(req, b, res))
      .catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (r: { headers: Record<string, string>; body: string }) =>
    new Promise<void>((resolve, reject) => {
      const headers = { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(r.body);
    });
  try {
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) await post(requests[next++]!);
      }),
    );
    return requests.length / ((performance.now() - t) / 1000);
  } finally {
    agent.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const n = Number(env.BENCH_HTTP_EVENTS ?? 5000);
  const concurrency = Number(env.BENCH_HTTP_CONCURRENCY ?? 32);
  const be = benchEnv(env);
  const raw = await seededWorkload(n, DEMO_SITES, 21);
  const s = await createScratch(be, DEMO_SITES);
  const fnEnv = {
    KAFKA_BROKERS: be.brokers.join(','),
    DATABASE_URL: s.databaseUrl,
    WTM_TOPIC_PREFIX: s.prefix,
    WTM_SALT_SECRET: 'bench-secret-0123456789abcdef',
    LOG_LEVEL: 'error',
    // the flush settings of knative/base/aggregate.yaml
    WTM_AGGREGATE_FLUSH_SIZE: '2000',
    WTM_AGGREGATE_FLUSH_MS: '250',
  };
  const figures: Figure[] = [];
  try {
    const enriched: CloudEvent<unknown>[] = await enrichInProcess(s, raw);
    const rawRequests = raw.map((e) => toHttpBinary(e));
    const enrichedRequests = enriched.map((e) => toHttpBinary(e));
    const warm = (xs: typeof rawRequests) => xs.slice(0, Math.min(200, xs.length));

    const enrichFn = await createEnrichFunction(fnEnv);
    await drive(expressLike(enrichFn.handle), warm(rawRequests), concurrency); // connects the producer, fills caches
    const plainRaw = await drive(plainJson, rawRequests, concurrency);
    const enrichRate = await drive(expressLike(enrichFn.handle), rawRequests, concurrency);
    await enrichFn.close();
    figures.push(rate(`knative.baseline.plain_http_json.c${concurrency}`, plainRaw, null));
    figures.push(rate(`knative.enrich.http_binary.c${concurrency}`, enrichRate, plainRaw));

    // aggregate: the requested concurrency, then knative/base/aggregate.yaml's containerConcurrency (200),
    // each on a fresh slice of events so no answer is a cheap duplicate
    const aggConcurrency = [concurrency, 200];
    const slice = Math.floor(enrichedRequests.length / aggConcurrency.length);
    const aggFn = await createAggregateFunction(fnEnv);
    for (const [i, c] of aggConcurrency.entries()) {
      const part = enrichedRequests.slice(i * slice, (i + 1) * slice);
      const plainEnriched = await drive(plainJson, part, c);
      const aggRate = await drive(expressLike(aggFn.handle), part, c);
      figures.push(rate(`knative.aggregate.http_binary.c${c}`, aggRate, plainEnriched));
    }
    await aggFn.close();
  } finally {
    await s.drop();
  }
  return figures;
}

if (require.main === module) main(() => run());
