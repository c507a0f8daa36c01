/**
 * collect's requests/s at 64 concurrent keep-alive clients, against a baseline in the same run: a plain
 * node:http server that reads the same bodies and answers 202. Every server runs in its own process
 * (the load generator is this one), on the local Kafka with a scratch topic prefix:
 *
 *   - collect as deployed: the image's command (`node dist/functions/index.js`, the bounded server, which
 *     hands /api/event to collect's handler past the framework's Express app), kafkajs producer (acks = all);
 *   - the functions-framework CLI on the same bundle (Express in front of every request), both ack modes;
 *   - collect's handler on a plain node:http server (how `npm start` serves /api/event), same producer;
 *   - the same without Kafka (a publisher that resolves at once): collect's own HTTP and parsing cost.
 *
 * collect answers 202 only once Kafka has acknowledged the event (acks = all); concurrent requests share
 * one produce request (lib/kafka.ts coalesces them), so the rate is bounded by the CPU both share.
 * The servers stay up for the whole run; each of BENCH_COLLECT_ROUNDS rounds times the baseline and then
 * every server, and a figure is the median of its per-round ratios (the machine is shared and noisy).
 *
 * The bodies are the real payloads of Plausible's tracker (../shared/plausible-events-api.md) with a
 * browser's user agent; the rate limit is off (one client address sends everything).
 *
 *   npx tsx bench/collect.ts                     4 s per server and round (BENCH_COLLECT_SECONDS), 3 rounds
 *   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/collect.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { topicNames } from '../events';
import { readCollectLimits } from '../functions/collect/config';
import { createCollectHandler } from '../functions/collect/http';
import { createKafkaPublisher } from '../functions/lib/kafka';
import { silentLogger } from '../functions/lib/logger';
import { buildFunctions, startCollect } from '../test/collect/harness';
import { createTestTopics, freePort, runId } from '../test/services';
import { figure, main, median, sleep, type Figure } from './figure';
import { benchEnv } from './harness';

const CONCURRENCY = 64;
const SECONDS = Number(process.env.BENCH_COLLECT_SECONDS ?? '4');
/** Rounds of baseline-then-subjects; each figure is the median of its rounds' ratios. */
const ROUNDS = Number(process.env.BENCH_COLLECT_ROUNDS ?? '3');
/** Warm-up before counting: connections, the JIT (zod's parsers are cold at first), the producer's first batches. */
const WARMUP_SECONDS = Number(process.env.BENCH_COLLECT_WARMUP_SECONDS ?? '2');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const BODIES = [
  '{"n":"pageview","v":36,"u":"https://blog.example/app/home","d":"blog.example","r":null}',
  '{"n":"engagement","sd":100,"d":"blog.example","u":"https://blog.example/app/home","e":524,"v":36}',
  '{"n":"pageview","v":36,"u":"https://blog.example/app/pricing","d":"blog.example","r":"https://www.google.com/"}',
  '{"n":"signup","v":36,"u":"https://blog.example/app/pricing","d":"blog.example","r":null,"p":{"tier":"pro"}}',
  '{"n":"Outbound Link: Click","v":36,"u":"https://blog.example/app/pricing","d":"blog.example","r":null,"p":{"url":"https://example.org/elsewhere"}}',
].map((b) => Buffer.from(b));

/** The baseline: reads the body, answers 202 "ok" — what any ingest must do at least. */
const BASELINE_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(202, { 'Content-Type': 'text/plain; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
    res.end('ok');
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\\n'));
`;

function waitListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** 64 keep-alive clients, each sending the next body as soon as its previous answer came. */
async function load(port: number, seconds: number): Promise<{ rps: number; non202: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  let non202 = 0;
  let stop = false;
  let counting = false;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = BODIES[i % BODIES.length]!;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/event',
          agent,
          headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, 'Content-Length': String(body.length) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (counting) {
              done++;
              if (res.statusCode !== 202) non202++;
            }
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (w: number) => {
    for (let i = w; !stop; i += CONCURRENCY) await one(i);
  };
  const workers = Array.from({ length: CONCURRENCY }, (_, w) => worker(w));
  await sleep(WARMUP_SECONDS * 1000);
  counting = true;
  const started = performance.now();
  await sleep(seconds * 1000);
  counting = false;
  const elapsed = (performance.now() - started) / 1000;
  const rps = done / elapsed;
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  return { rps, non202 };
}

/** `--serve-http <port>`: collect's handler on a plain node:http server (npm start's way). */
async function serveHttp(port: number): Promise<void> {
  const { brokers } = benchEnv();
  const topics = topicNames(process.env.WTM_TOPIC_PREFIX ?? 'wtm');
  const withoutKafka = process.argv.includes('--no-kafka');
  const publisher = withoutKafka
    ? undefined
    : createKafkaPublisher({ brokers, clientId: 'bench-collect', logger: silentLogger, compression: 'none' });
  const collect = createCollectHandler({
    limits: readCollectLimits({ WTM_COLLECT_RATE: '0' }),
    logger: silentLogger,
    publish: async (events) => publisher?.publish(topics.raw, events),
  });
  createServer((req, res) => void collect.handle(req, res)).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
}

/** The servers timed against the baseline, in the order each round loads them. */
const SUBJECTS = [
  'the image (node dist/functions/index.js: bounded server, /api/event direct), WTM_COLLECT_ACK=kafka',
  'functions-framework CLI on the bundle (Express), WTM_COLLECT_ACK=kafka',
  'functions-framework CLI on the bundle (Express), WTM_COLLECT_ACK=buffered',
  'handler on node:http as in npm start',
  'handler on node:http, no Kafka',
] as const;

async function run(): Promise<Figure[]> {
  const { brokers } = benchEnv();
  const scratch = await createTestTopics(brokers, `wtm.bench.collect.${runId()}`, 4);
  const outdir = join(__dirname, '..', 'dist', `bench-collect-${runId()}`);
  const children: ChildProcess[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  const spawnServer = async (args: string[], env: Record<string, string>) => {
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await waitListening(child);
    return port;
  };
  const kafkaEnv = { KAFKA_BROKERS: brokers.join(','), WTM_TOPIC_PREFIX: scratch.prefix, WTM_COLLECT_RATE: '0' };
  try {
    // Every server starts once and stays up; each round loads the baseline and then each of them in
    // turn, so a slow moment of the shared machine hits a round's baseline and its subjects alike.
    const baseline = await spawnServer(['-e', BASELINE_SERVER], {});
    const bundle = buildFunctions(outdir);
    const started = [
      await startCollect(bundle, await freePort(), kafkaEnv, 'image'),
      await startCollect(bundle, await freePort(), kafkaEnv),
      await startCollect(bundle, await freePort(), { ...kafkaEnv, WTM_COLLECT_ACK: 'buffered' }),
    ];
    for (const s of started) stops.push(() => s.stop());
    const ports = [
      ...started.map((s) => s.port),
      await spawnServer(['--import', 'tsx', __filename, '--serve-http'], { WTM_TOPIC_PREFIX: scratch.prefix }),
      await spawnServer(['--import', 'tsx', __filename, '--serve-http', '--no-kafka'], { WTM_TOPIC_PREFIX: scratch.prefix }),
    ];
    const base: number[] = [];
    const rates: number[][] = SUBJECTS.map(() => []);
    const ratios: number[][] = SUBJECTS.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const b = await load(baseline, SECONDS);
      base.push(b.rps);
      for (const [i, port] of ports.entries()) {
        const r = await load(port, SECONDS);
        if (r.non202 > 0) throw new Error(`${SUBJECTS[i]}: ${r.non202} answers were not 202`);
        rates[i]!.push(r.rps);
        ratios[i]!.push(r.rps / b.rps);
      }
    }
    return SUBJECTS.map((name, i) => ({
      ...figure(
        `collect requests/s at 64 keep-alive clients, ${name} (baseline: plain node:http read + 202; median of ${ROUNDS} interleaved rounds)`,
        median(rates[i]!),
        'requests/s',
        median(base),
        0,
      ),
      ratio: Math.round(median(ratios[i]!) * 1000) / 1000,
    }));
  } finally {
    await Promise.all(stops.map((stop) => stop()));
    for (const c of children) if (c.exitCode === null) c.kill();
    rmSync(outdir, { recursive: true, force: true });
    await scratch.drop();
  }
}

if (process.argv.includes('--serve-http')) void serveHttp(Number(process.env.PORT));
else main(run);
