/**
 * The kafkajs runners as deployed: each stage in its own Node process, started with its `main.ts`
 * exactly as README "Without Knative" runs it (`node --import tsx functions/<stage>/main.ts`, config from
 * the environment), so enrich and aggregate do not share one main thread as they do in the bench's
 * in-process passes. Progress is read from the processes' own logs (pino JSON lines on stdout): the
 * consumers' "joined group", and the aggregate writer's "flushed" lines (debug) with the events of each
 * committed flush.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Scratch } from './harness';

const ROOT = join(__dirname, '..');

export interface RunnerProcess {
  pid: number;
  /** True once its consumer joined its group. */
  joined(): boolean;
  /** Events in the aggregate writer's committed flushes (written + duplicates); 0 for enrich. */
  stored(): number;
  /** SIGTERM (the runner flushes and commits), then waits for the exit. */
  stop(): Promise<void>;
}

export function startRunnerProcess(
  stage: 'enrich' | 'aggregate',
  brokers: readonly string[],
  s: Scratch,
  env: Readonly<Record<string, string>> = {},
): RunnerProcess {
  // BENCH_RUNNER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof': a CPU profile per runner, written when it exits on SIGTERM
  const nodeArgs = (process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'functions', stage, 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: brokers.join(','),
      DATABASE_URL: s.databaseUrl,
      WTM_TOPIC_PREFIX: s.prefix,
      WTM_SALT_SECRET: 'bench-secret-0123456789abcdef',
      // the writer's "flushed" lines are debug; "joined group" is info
      LOG_LEVEL: stage === 'aggregate' ? 'debug' : 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let joined = false;
  let stored = 0;
  const problems: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: { msg?: string; level?: number; written?: number; duplicates?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg === 'joined group') joined = true;
    else if (entry.msg === 'flushed') stored += (entry.written ?? 0) + (entry.duplicates ?? 0);
    if ((entry.level ?? 0) >= 40 && problems.length < 20) problems.push(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (problems.length < 20) problems.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== 0 && code !== null) console.error(`bench: ${stage} runner exited with ${code}:\n${problems.join('\n')}`);
  });
  if (child.pid === undefined) throw new Error(`bench: could not start the ${stage} runner`);
  return {
    pid: child.pid,
    joined: () => {
      if (child.exitCode !== null) throw new Error(`bench: ${stage} runner exited (${child.exitCode}):\n${problems.join('\n')}`);
      return joined;
    },
    stored: () => stored,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
