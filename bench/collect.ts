/**
 * collect's requests/s at 64 concurrent keep-alive clients, against a baseline in the same run: a plain
 * node:http server that reads the same bodies and answers 202. Every server runs in its own process
 * (the load generator is this one), on the local Kafka with a scratch topic prefix:
 *
 *   - collect as deployed: functions-framework on the esbuild bundle, kafkajs producer (acks = all);
 *   - collect's handler on a plain node:http server (how `npm start` serves /api/event), same producer;
 *   - the same without Kafka (a publisher that resolves at once): collect's own HTTP and parsing cost.
 *
 * collect answers 202 only once Kafka has acknowledged the event (acks = all), so with 64 clients its
 * rate is bounded by 64 / the broker's acknowledgement latency; the third figure separates that.
 *
 * The bodies are the real payloads of Plausible's tracker (../shared/plausible-events-api.md) with a
 * browser's user agent; the rate limit is off (one client address sends everything).
 *
 *   npx tsx bench/collect.ts                     5 s per server (BENCH_COLLECT_SECONDS)
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
import { figure, main, sleep, type Figure } from './figure';
import { benchEnv } from './harness';

const CONCURRENCY = 64;
const SECONDS = Number(process.env.BENCH_COLLECT_SECONDS ?? '5');
/** Warm-up before counting: connections, the JIT (zod's parsers are cold at first), the producer's first batches. */
const WARMUP_SECONDS = Number(process.env.BENCH_COLLECT_WARMUP_SECONDS ?? '3');
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

async function run(): Promise<Figure[]> {
  const { brokers } = benchEnv();
  const scratch = await createTestTopics(brokers, `wtm.bench.collect.${runId()}`, 4);
  const outdir = join(__dirname, '..', 'dist', `bench-collect-${runId()}`);
  const children: ChildProcess[] = [];
  const spawnServer = async (args: string[], env: Record<string, string>) => {
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await waitListening(child);
    return { port, child };
  };
  try {
    const baseline = await spawnServer(['-e', BASELINE_SERVER], {});
    const base = await load(baseline.port, SECONDS);
    baseline.child.kill();

    const bundle = buildFunctions(outdir);
    const ff = await startCollect(bundle, await freePort(), {
      KAFKA_BROKERS: brokers.join(','),
      WTM_TOPIC_PREFIX: scratch.prefix,
      WTM_COLLECT_RATE: '0',
    });
    const deployed = await load(ff.port, SECONDS);
    await ff.stop();
    const ffBuffered = await startCollect(bundle, await freePort(), {
      KAFKA_BROKERS: brokers.join(','),
      WTM_TOPIC_PREFIX: scratch.prefix,
      WTM_COLLECT_RATE: '0',
      WTM_COLLECT_ACK: 'buffered',
    });
    const buffered = await load(ffBuffered.port, SECONDS);
    await ffBuffered.stop();

    const plain = await spawnServer(['--import', 'tsx', __filename, '--serve-http'], { WTM_TOPIC_PREFIX: scratch.prefix });
    const onHttp = await load(plain.port, SECONDS);
    plain.child.kill();

    const noKafka = await spawnServer(['--import', 'tsx', __filename, '--serve-http', '--no-kafka'], { WTM_TOPIC_PREFIX: scratch.prefix });
    const withoutKafka = await load(noKafka.port, SECONDS);
    noKafka.child.kill();

    for (const [name, r] of [
      ['collect (functions-framework)', deployed],
      ['collect (functions-framework, buffered)', buffered],
      ['collect (node:http)', onHttp],
      ['collect (node:http, no Kafka)', withoutKafka],
    ] as const) {
      if (r.non202 > 0) throw new Error(`${name}: ${r.non202} answers were not 202`);
    }
    return [
      figure(
        'collect requests/s at 64 keep-alive clients, functions-framework bundle, WTM_COLLECT_ACK=kafka (baseline: plain node:http read + 202)',
        deployed.rps,
        'requests/s',
        base.rps,
        0,
      ),
      figure(
        'collect requests/s at 64 keep-alive clients, functions-framework bundle, WTM_COLLECT_ACK=buffered (baseline: plain node:http read + 202)',
        buffered.rps,
        'requests/s',
        base.rps,
        0,
      ),
      figure(
        'collect requests/s at 64 keep-alive clients, handler on node:http as in npm start (baseline: plain node:http read + 202)',
        onHttp.rps,
        'requests/s',
        base.rps,
        0,
      ),
      figure(
        'collect requests/s at 64 keep-alive clients, handler on node:http, no Kafka (baseline: plain node:http read + 202)',
        withoutKafka.rps,
        'requests/s',
        base.rps,
        0,
      ),
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    rmSync(outdir, { recursive: true, force: true });
    await scratch.drop();
  }
}

if (process.argv.includes('--serve-http')) void serveHttp(Number(process.env.PORT));
else main(run);
