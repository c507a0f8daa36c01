/**
 * Runs collect the way its container does (functions-framework on the esbuild bundle) against the
 * real Kafka, and reads back what reached the raw topic.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRaw, fromKafkaMessage, type CloudEvent, type RawTraffic } from '../../events';

export const ROOT = resolve(__dirname, '..', '..');

export interface RunningCollect {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export function buildFunctions(outdir: string): string {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-functions.mjs'), '--outdir', outdir], { cwd: ROOT, stdio: 'pipe' });
  return join(outdir, 'index.js');
}

/**
 * `framework`: `functions-framework --target=collect --source=<bundle>` (the framework's own server, Express
 * for every request); `image`: `node <bundle>`, the container's command (the bounded server, which hands
 * /api/event to collect directly).
 */
export type CollectServer = 'framework' | 'image';

export async function startCollect(
  bundle: string,
  port: number,
  env: Record<string, string>,
  server: CollectServer = 'framework',
): Promise<RunningCollect> {
  const out: string[] = [];
  const args =
    server === 'image' ? [bundle] : [join(ROOT, 'node_modules/.bin/functions-framework'), '--target=collect', `--source=${bundle}`];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), FUNCTION_TARGET: 'collect', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collect exited with ${child.exitCode}:\n${out.join('')}`);
    const ready = await fetch(`${url}/readyz`).catch(() => undefined);
    if (ready?.status === 200) break;
    if (Date.now() > until) throw new Error(`collect not ready within 60 s:\n${out.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    child,
    output: () => out.join(''),
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r(child.exitCode);
        child.once('exit', (code) => r(code));
        child.kill('SIGTERM');
      }),
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with full control: raw body bytes, any headers, the local address to connect from. */
export function send(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; localAddress?: string; agent?: false },
): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/api/event',
        headers: opts.headers ?? {},
        agent: false,
        ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Every raw event in the topic (from the beginning), read until `quietMs` pass without a new one. */
export async function readRawTopic(
  brokers: string[],
  topic: string,
  expectAtLeast: number,
  quietMs = 3_000,
  maxMs = 60_000,
): Promise<CloudEvent<RawTraffic>[]> {
  const kafka = new Kafka({ clientId: 'collect-test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `collect-test-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  const events: CloudEvent<RawTraffic>[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      events.push(decodeRaw(fromKafkaMessage({ key: message.key, value: message.value, headers: message.headers ?? {} })));
      last = Date.now();
    },
  });
  const started = Date.now();
  while (Date.now() - started < maxMs && (events.length < expectAtLeast || Date.now() - last < quietMs)) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await consumer.disconnect();
  return events;
}
