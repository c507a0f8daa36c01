/**
 * A sustained load on the collect endpoint of `npm start` (one process: in-process bus, SQLite) on
 * loopback, with Debian's `wrk` (`apt-get install wrk`; `.ci/run` installs it for the bench) or, when
 * wrk is missing, a Node load loop with the same shape. Every request is a distinct Plausible-style
 * pageview of one registered site from a random visitor (X-Forwarded-For, trusted from loopback). wrk
 * is a closed loop: it sends as fast as answers come, and the in-process bus's bound
 * (functions/lib/bus.ts) slows the answers to what the pipeline stores. Afterwards the stats API must count exactly the accepted events;
 * the product's resident memory is sampled every second.
 *
 *   npx tsx bench/collect-load.ts                           60 s, 64 connections, 2 wrk threads
 *   BENCH_COLLECT_SECONDS=10 npx tsx bench/collect-load.ts  a short run
 *   BENCH_COLLECT_TOOL=node …                               the Node loop even when wrk is there
 *
 * Figures (one JSON line each, bench/figure.ts): accepted events/s, 5xx responses, lost events
 * (answered 202 but not counted), events counted beyond the answers read (the requests in flight when
 * the load tool stopped: at most one per connection), RSS at start, peak, and at the end; p99 latency
 * when wrk measured it.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, main, rate, sleep, type Figure } from './figure';

const ROOT = join(__dirname, '..');
const execFileAsync = promisify(execFile);
const SITE = 'load.example';
const SECONDS = Number(process.env.BENCH_COLLECT_SECONDS ?? '60');
const CONNECTIONS = Number(process.env.BENCH_COLLECT_CONNECTIONS ?? '64');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

function hasWrk(): boolean {
  if (process.env.BENCH_COLLECT_TOOL === 'node') return false;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'pipe' });
    return true;
  } catch (e) {
    // `wrk --version` prints its banner and exits 1.
    return typeof e === 'object' && e !== null && 'status' in e && (e as { status: number }).status === 1;
  }
}

interface LoadResult {
  tool: string;
  requests: number;
  byStatus: Record<string, number>;
  errors: number;
  p99Ms: number | null;
}

/** wrk with a Lua script: distinct page per request, statuses counted in `response`, JSON from `done`. */
async function runWrk(url: string, seconds: number, dir: string): Promise<LoadResult> {
  const script = join(dir, 'collect.lua');
  writeFileSync(
    script,
    `
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
end
function request()
  counter = counter + 1
  local body = '{"n":"pageview","u":"https://${SITE}/p/' .. id .. '-' .. counter .. '","d":"${SITE}","r":null}'
  -- many visitors, as real traffic has (npm start trusts X-Forwarded-For from 127.0.0.1 here)
  local ip = "81." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("POST", "/api/event", { ["Content-Type"] = "text/plain", ["User-Agent"] = "${UA}", ["X-Forwarded-For"] = ip }, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[tostring(k)] = (merged[tostring(k)] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, '"' .. k .. '":' .. v) end
  local e = summary.errors
  io.write("WRK_JSON {\\"requests\\":" .. summary.requests .. ",\\"errors\\":" .. (e.connect + e.read + e.write + e.timeout) ..
    ",\\"p99us\\":" .. latency:percentile(99) .. ",\\"status\\":{" .. table.concat(parts, ",") .. "}}\\n")
end
`,
  );
  // Asynchronous, so the memory sampler keeps running during the load.
  const { stdout: out } = await execFileAsync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (line === undefined) throw new Error(`wrk printed no result:\n${out}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length)) as {
    requests: number;
    errors: number;
    p99us: number;
    status: Record<string, number>;
  };
  return { tool: 'wrk', requests: r.requests, byStatus: r.status, errors: r.errors, p99Ms: r.p99us / 1000 };
}

/** The same load from Node: CONNECTIONS keep-alive loops for `seconds`. */
async function runNodeLoop(port: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  const one = (n: string) =>
    new Promise<void>((resolveOne) => {
      const body = JSON.stringify({ n: 'pageview', u: `https://${SITE}/p/${n}`, d: SITE, r: null });
      const ip = `81.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/event',
          agent,
          headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, 'X-Forwarded-For': ip },
        },
        (res) => {
          byStatus[String(res.statusCode)] = (byStatus[String(res.statusCode)] ?? 0) + 1;
          res.resume();
          res.on('end', () => resolveOne());
        },
      );
      req.on('error', () => {
        errors++;
        resolveOne();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      for (let i = 0; Date.now() < until; i++) {
        requests++;
        await one(`${c}-${i}`);
      }
    }),
  );
  agent.destroy();
  return { tool: 'node', requests, byStatus, errors, p99Ms: null };
}

/** Today's pageviews of the site through the stats API; -1 when it does not answer (busy draining). */
async function pageviewsToday(base: string): Promise<number> {
  try {
    // A new connection each time: a kept-alive one may have been closed by the server meanwhile.
    const r = await fetch(`${base}api/v1/stats/summary?site=${SITE}&period=today`, { headers: { Connection: 'close' } });
    if (r.status !== 200) return -1;
    const body = (await r.json()) as { metrics: { pageviews: number } };
    return body.metrics.pageviews;
  } catch {
    return -1;
  }
}

async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-collect-load-'));
  // `node` directly (not npm): its pid is the product's, for the memory samples.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'functions/start/main.ts', '--port', '0', '--data', dir, '--no-simulate', '--site', `${SITE}@UTC`, '--no-status'],
    // Loopback is the "proxy": each request's X-Forwarded-For is its visitor.
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', WTM_TRUSTED_PROXIES: '127.0.0.1/32' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const started = Date.now();
    let base: string | undefined;
    while (base === undefined) {
      base = /dashboard (http:\/\/\S+)/.exec(out)?.[1];
      if (child.exitCode !== null || Date.now() - started > 120_000) throw new Error(`npm start did not come up:\n${out}`);
      await sleep(200);
    }
    const port = Number(new URL(base).port);
    // Warm up, then the baseline memory.
    for (let i = 0; i < 200; i++) {
      await fetch(`${base}api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': UA },
        body: JSON.stringify({ n: 'pageview', u: `https://${SITE}/warmup/${i}`, d: SITE }),
      });
    }
    const warm = 200;
    await sleep(2000);
    const pid = child.pid!;
    const rssStart = rssMb(pid);
    let rssPeak = rssStart;
    // RSS at each quarter of the load: flat after the first quarter = stable, rising = a leak or an unbounded queue.
    const quarters: number[] = [];
    const loadStarted = Date.now();
    const samples = setInterval(() => {
      const rss = rssMb(pid);
      rssPeak = Math.max(rssPeak, rss);
      if (quarters.length < 4 && Date.now() - loadStarted >= ((quarters.length + 1) * SECONDS * 1000) / 4 - 500) quarters.push(rss);
    }, 1000);
    const t0 = Date.now();
    const load = hasWrk() ? await runWrk(`http://127.0.0.1:${port}`, SECONDS, dir) : await runNodeLoop(port, SECONDS);
    const loadSeconds = (Date.now() - t0) / 1000;
    const accepted = (load.byStatus['202'] ?? 0) + warm;
    const fiveXx = Object.entries(load.byStatus)
      .filter(([s]) => s.startsWith('5'))
      .reduce((n, [, v]) => n + v, 0);
    // Drain: the stats API must reach exactly the accepted count (and stay there).
    let counted = await pageviewsToday(base);
    const drainStart = Date.now();
    while (counted < accepted && Date.now() - drainStart < 600_000) {
      await sleep(1000);
      counted = await pageviewsToday(base);
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    await sleep(3000);
    counted = await pageviewsToday(base);
    clearInterval(samples);
    const rssEnd = rssMb(pid);
    process.stderr.write(
      `collect-load: ${load.tool}, ${CONNECTIONS} connections, ${loadSeconds.toFixed(0)} s: ${load.requests} requests ${JSON.stringify(load.byStatus)}, ` +
        `${load.errors} socket errors; accepted ${accepted} (incl. ${warm} warm-up), counted ${counted} after ${drainSeconds.toFixed(0)} s of drain; ` +
        `RSS ${rssStart.toFixed(0)} → quarters ${quarters.map((q) => q.toFixed(0)).join('/')} → peak ${rssPeak.toFixed(0)} → end ${rssEnd.toFixed(0)} MB${load.p99Ms === null ? '' : `; p99 ${load.p99Ms.toFixed(1)} ms`}\n`,
    );
    const figures: Figure[] = [
      rate(`collect load (${load.tool}, npm start, loopback): accepted events/s`, (accepted - warm) / loadSeconds, null),
      figure('collect load: 5xx responses', fiveXx, 'responses', null, 0),
      // wrk stops with one request in flight per connection: sent and counted by the server, answer unread.
      figure('collect load: accepted events not counted (lost)', Math.max(0, accepted - counted), 'events', null, 0),
      figure(
        'collect load: counted beyond the answers read (in flight at the stop, <= connections)',
        Math.max(0, counted - accepted),
        'events',
        null,
        0,
      ),
      figure('collect load: RSS at start', rssStart, 'MB', null, 0),
      figure('collect load: RSS peak', rssPeak, 'MB', rssStart, 0),
      ...quarters.map((q, i) => figure(`collect load: RSS after ${(i + 1) * 25} % of the load`, q, 'MB', rssStart, 0)),
      figure('collect load: RSS at end', rssEnd, 'MB', rssStart, 0),
    ];
    if (load.p99Ms !== null) figures.push(figure('collect load: p99 latency', load.p99Ms, 'ms', null, 1));
    return figures;
  } catch (e) {
    process.stderr.write(`--- npm start output ---\n${out.slice(-4000)}\ncause: ${String((e as { cause?: unknown }).cause)}\n`);
    throw e;
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main(run);
