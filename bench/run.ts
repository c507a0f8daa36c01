/**
 * `npm run bench`: runs every benchmark in its own process (so one's heap, sockets and JIT state never
 * colour the next), collects the JSON figure lines they print into bench/results/latest.json and
 * regenerates the results table in BENCHMARKS.md (between its BEGIN/END markers).
 *
 *   npm run bench                       all, sizes below (about 14 minutes on 2 shared cores)
 *   npm run bench -- pipeline web       only these
 *   BENCH_EVENTS=1000000 npm run bench -- pipeline     the issue's 1 M-event pipeline run
 *
 * Freshness runs at half the end-to-end rate that the pipeline bench measured in the same run.
 * BENCH_RESULTS=<name> writes bench/results/<name>.json and the BENCHMARKS.md block of that name instead
 * of `latest` (e.g. the 1 M-event pipeline run, which does not fit the full run's time box).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './figure';

const ROOT = join(__dirname, '..');
const BENCHES = ['pipeline', 'floor', 'breakdown', 'knative', 'freshness', 'query', 'web'] as const;
type Bench = (typeof BENCHES)[number];

/** Sizes of a full run; each can be overridden from the environment. */
const DEFAULTS: Record<string, string> = {
  BENCH_EVENTS: '100000',
  BENCH_STAGED_EVENTS: '100000',
  BENCH_COMPARE_EVENTS: '20000',
  BENCH_FLOOR_ROUNDS: '3',
  BENCH_BREAKDOWN_EVENTS: '20000',
  BENCH_HTTP_EVENTS: '3000',
  BENCH_FRESHNESS_SECONDS: '30',
  BENCH_NAIVE_ROWS: '250000',
  BENCH_LOADS: '10',
  BENCH_WEB_LOADS: '10',
};

function isFigure(v: unknown): v is Figure {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.value === 'number' && typeof f.unit === 'string' && 'baseline' in f && 'ratio' in f;
}

function runBench(name: Bench, env: NodeJS.ProcessEnv): Promise<{ figures: Figure[]; seconds: number; ok: boolean }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--max-old-space-size=6144', '--import', 'tsx', join(__dirname, `${name}.ts`)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('close', (code) => {
      const figures: Figure[] = [];
      for (const line of out.split('\n')) {
        try {
          const v: unknown = JSON.parse(line);
          if (isFigure(v)) {
            figures.push(v);
            process.stdout.write(`${line}\n`);
          }
        } catch {
          // not a figure line (a log line of a library): ignored
        }
      }
      resolve({ figures, seconds: Math.round((Date.now() - started) / 1000), ok: code === 0 });
    });
  });
}

const fmt = (x: number | null) => (x === null ? '' : Number.isInteger(x) ? x.toLocaleString('en-US') : String(x));

function table(figures: readonly (Figure & { bench: string })[]): string {
  const rows = figures.map((f) => `| ${f.bench} | \`${f.name}\` | ${fmt(f.value)} | ${f.unit} | ${fmt(f.baseline)} | ${fmt(f.ratio)} |`);
  return ['| bench | figure | value | unit | baseline | ratio |', '| --- | --- | ---: | --- | ---: | ---: |', ...rows].join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length === 0 ? [...BENCHES] : BENCHES.filter((b) => wanted.includes(b));
  const env: NodeJS.ProcessEnv = { ...DEFAULTS, ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const all: (Figure & { bench: string })[] = [];
  const runs: { bench: string; seconds: number; ok: boolean }[] = [];
  const started = Date.now();
  for (const b of selected) {
    process.stderr.write(`▶ bench/${b}.ts\n`);
    const r = await runBench(b, env);
    runs.push({ bench: b, seconds: r.seconds, ok: r.ok });
    all.push(...r.figures.map((f) => ({ ...f, bench: b })));
    if (b === 'pipeline' && env.BENCH_FRESHNESS_RATE === undefined) {
      const e2e = r.figures.find((f) => f.name === 'pipeline.end_to_end');
      if (e2e !== undefined) env.BENCH_FRESHNESS_RATE = String(Math.max(1, Math.round(e2e.value / 2)));
    }
    process.stderr.write(`  ${r.ok ? 'done' : 'FAILED'} in ${r.seconds} s\n`);
  }
  const machine = {
    date: new Date().toISOString(),
    nproc: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    command: `${process.env.BENCH_EVENTS === undefined ? '' : `BENCH_EVENTS=${process.env.BENCH_EVENTS} `}npm run bench${wanted.length > 0 ? ` -- ${wanted.join(' ')}` : ''}`,
    sizes: Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, env[k]])),
    freshnessRate: env.BENCH_FRESHNESS_RATE,
    totalSeconds: Math.round((Date.now() - started) / 1000),
    runs,
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const results = /^[a-z0-9-]+$/.test(env.BENCH_RESULTS ?? '') ? (env.BENCH_RESULTS ?? 'latest') : 'latest';
  writeFileSync(join(__dirname, 'results', `${results}.json`), `${JSON.stringify({ machine, figures: all }, null, 2)}\n`);

  const mdPath = join(ROOT, 'BENCHMARKS.md');
  const md = readFileSync(mdPath, 'utf8');
  const block = [
    `<!-- BEGIN RESULTS ${results} (generated by \`npm run bench\`; do not edit by hand) -->`,
    '',
    `Machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}; ${machine.date}.`,
    `Command: \`${machine.command}\` with ${Object.entries(machine.sizes)
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ' ',
      )}${machine.freshnessRate === undefined ? '' : ` BENCH_FRESHNESS_RATE=${machine.freshnessRate}`}; ${machine.totalSeconds} s in all (${runs
      .map((r) => `${r.bench} ${r.seconds} s${r.ok ? '' : ' FAILED'}`)
      .join(', ')}).`,
    '',
    table(all),
    '',
    `<!-- END RESULTS ${results} -->`,
  ].join('\n');
  const marker = new RegExp(`<!-- BEGIN RESULTS ${results} [\\s\\S]*?<!-- END RESULTS ${results} -->`);
  writeFileSync(mdPath, marker.test(md) ? md.replace(marker, block) : `${md.trimEnd()}\n\n${block}\n`);
  process.stderr.write(`figures in bench/results/${results}.json, table in BENCHMARKS.md (${machine.totalSeconds} s)\n`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

void main();
