/**
 * Shared pieces of the reliability suites: the runners as child processes, a function served by
 * the Functions Framework in-process, a seeded traffic feed that retries until Kafka has it, and
 * the wait for the stored counts to reach the truth.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { topicNames, type CloudEvent, type KafkaOutgoing, type RawTraffic } from '../../events';
import { createEntry } from '../../functions/index';
import type { GroundTruth } from '../../functions/generate/ground-truth';
import { inBatches, type SimulatedItem } from '../../functions/generate/simulator';
import type { Database } from '../../functions/lib/db';
import type { FunctionFactory } from '../../functions/lib/function';
import { createKafkaPublisher, type KafkaPublisher } from '../../functions/lib/kafka';
import { silentLogger } from '../../functions/lib/logger';
import { createRecordSender } from '../../functions/generate/record-sender';
import { compareWithTruth, formatMismatches } from '../pipeline/compare';
import { ROOT, sleep } from './own-services';

export const SALT_SECRET = 'reliability-suite-salt-secret-9f1c2e7a';

export interface RunnerProcess {
  name: 'enrich' | 'aggregate';
  child: ChildProcess;
  /** Every line it wrote (stdout and stderr), over all of its lives. */
  output: string[];
  alive(): boolean;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Resolves with how it ended (`signal` is 'SIGKILL' for a fault point that fired). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunnerEnv {
  brokers: readonly string[];
  databaseUrl: string;
  topicPrefix: string;
}

/**
 * `node --import tsx functions/<name>/main.ts` with the env its config.ts reads: ONE process, so a
 * SIGKILL kills the runner itself (the `tsx` CLI would fork a child that survives its parent's SIGKILL).
 */
export function startRunner(name: 'enrich' | 'aggregate', env: RunnerEnv, output: string[] = [], fault?: string): RunnerProcess {
  // `fault` (point:n) arms test/reliability/fault-arm.ts: the runner SIGKILLs itself at that point.
  const preload = fault === undefined ? [] : ['--import', join(ROOT, 'test/reliability/fault-arm.ts')];
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, join(ROOT, `functions/${name}/main.ts`)], {
    cwd: ROOT,
    env: {
      ...(fault === undefined ? {} : { WTM_FAULT_ARM: fault }),
      PATH: process.env.PATH,
      KAFKA_BROKERS: env.brokers.join(','),
      DATABASE_URL: env.databaseUrl,
      WTM_TOPIC_PREFIX: env.topicPrefix,
      WTM_SALT_SECRET: SALT_SECRET,
      WTM_AGGREGATE_FLUSH_SIZE: '500',
      // A SIGKILLed runner's partitions go to its successor after 8 s, not the default 30 s.
      WTM_KAFKA_SESSION_TIMEOUT_MS: '8000',
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (d: Buffer) =>
    output.push(
      ...d
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    );
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return {
    name,
    child,
    output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

let served = 0;

/** A function built by its factory, behind functions/index.ts's entry (/healthz, /readyz), on the Functions Framework. */
export async function serveFunction(
  factory: FunctionFactory,
  env: Record<string, string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const entry = createEntry(factory(env));
  const name = `reliability_${++served}`;
  ff.http(name, entry.handler);
  const server: Server = getTestServer(name);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await entry.shutdown();
    },
  };
}

/** Polls `GET url` until `want(status)`; returns every status seen (bounded by `ms`). */
export async function pollUntil(url: string, want: (status: number) => boolean, ms: number): Promise<number[]> {
  const seen: number[] = [];
  const until = Date.now() + ms;
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(60_000) }).then(
      (r) => r.status,
      () => 0,
    );
    seen.push(status);
    if (want(status)) return seen;
    if (Date.now() > until) throw new Error(`${url} never answered as wanted within ${ms} ms; saw ${seen.join(',')}`);
    await sleep(500);
  }
}

/**
 * Feeds simulated items into the raw topic at about `rate` per second; a batch that fails (broker
 * down) is sent again until Kafka has it — the same ids, so downstream must take it once — and only
 * then does the truth see it.
 */
export function createFeed(brokers: readonly string[], topicPrefix: string) {
  const topic = topicNames(topicPrefix).raw;
  const publisher: KafkaPublisher = createKafkaPublisher({ brokers, clientId: 'wtm-reliability-feed', logger: silentLogger });
  const sender = createRecordSender({ brokers, clientId: 'wtm-reliability-feed-raw', logger: silentLogger });
  let resends = 0;
  let stopped = false;
  const send = async (events: CloudEvent<RawTraffic>[], bad: KafkaOutgoing[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await Promise.all([publisher.publish(topic, events), bad.length > 0 ? sender.send(topic, bad) : undefined]);
        return;
      } catch {
        resends++;
        if (attempt > 200) throw new Error('the feed could not publish for 200 attempts');
        await sleep(1000);
      }
    }
  };
  return {
    async run(items: Iterable<SimulatedItem>, truth: GroundTruth, rate: number): Promise<number> {
      const started = Date.now();
      let sent = 0;
      for (const batch of inBatches(items, 100)) {
        if (stopped) break;
        const events = batch.flatMap((i) => (i.type === 'event' ? [i.event] : []));
        const bad = batch.flatMap((i) => (i.type === 'malformed' ? [i.record] : []));
        await send(events, bad);
        for (const i of batch) {
          if (i.type === 'event') truth.add(i.event);
          else truth.addMalformed(i);
        }
        sent += batch.length;
        const ahead = (sent / rate) * 1000 - (Date.now() - started);
        if (ahead > 0) await sleep(ahead);
      }
      return sent;
    },
    resends: () => resends,
    /** Ends `run` after the batch in flight (the truth holds exactly what was sent). */
    stop: () => void (stopped = true),
    async close() {
      await publisher.close();
      await sender.close();
    },
  };
}

/**
 * Waits until the stored figures equal the truth (test/pipeline/compare.ts: every counter exact in
 * every dimension, day and grain; unique visitors within its HLL tolerance); returns the remaining
 * mismatches, one line each, on timeout.
 */
export async function waitForTruth(db: Database, truth: GroundTruth, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  const expected = truth.toJSON();
  for (;;) {
    const mismatches = await compareWithTruth(db, expected);
    if (mismatches.length === 0) return [];
    if (Date.now() > until) return formatMismatches(mismatches).split('\n');
    await sleep(1000);
  }
}
