/**
 * Hostile requests against the image's bounded server (`node functions/index.ts`, FUNCTION_TARGET=query,
 * the SQLite default so no shared service is touched), on loopback only, bounded in count and time:
 * a 100 MB body (declared, and chunked), oversized headers, malformed JSON, 10,000 slow connections,
 * and a per-client flood. The process stays responsive (`/healthz` answers meanwhile) and its resident
 * memory grows by at most a few tens of MB. Figures are printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../services';
import { ROOT, sleep } from './own-services';

const MB = 1024 * 1024;
/**
 * "A few tens of MB". Node itself spends about 5 KB per open connection (socket, parser, young-generation
 * growth: a bare node:http server measured +50 MB for 10,000 idle sockets), so that is the floor here.
 */
const MAX_GROWTH_MB = 64;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

interface Served {
  child: ChildProcess;
  port: number;
  out: () => string;
  stop(): Promise<void>;
}

async function serve(env: Record<string, string>, target: 'query' | 'collect' = 'query'): Promise<Served> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'wtm-bounded-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      FUNCTION_TARGET: target,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(data, 'wtm.sqlite')}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the server did not become ready:\n${out}`);
    await sleep(200);
  }
  return {
    child,
    port,
    out: () => out,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A Knative sink that takes every event (collect publishes to K_SINK instead of Kafka here). */
async function startSink(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, received: () => received, close: () => new Promise((r) => server.close(() => r())) };
}

/** `GET /healthz`: its status and how long it took (ms). */
async function probe(port: number): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    () => 0,
  );
  return { status, ms: Math.round(performance.now() - t) };
}

/** Streams `total` bytes (chunked, or with a declared length) until done or the server answers/closes. */
function upload(port: number, path: string, total: number, declared: boolean): Promise<{ status: number; sent: number; error?: string }> {
  return new Promise((resolveUpload) => {
    let sent = 0;
    let status = 0;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (declared) headers['Content-Length'] = String(total);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.once('end', () => finish());
    });
    let finished = false;
    const finish = (error?: string) => {
      if (finished) return;
      finished = true;
      req.destroy();
      resolveUpload({ status, sent, error });
    };
    req.on('error', (e) => finish(e.message));
    const chunk = Buffer.alloc(MB, 0x20);
    // With a declared length the answer comes before any body byte is read: give it a moment to
    // arrive, or the client only sees the reset of a socket it is still writing to.
    if (declared) req.flushHeaders();
    const pump = () => {
      while (sent < total && !finished) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!finished) req.end();
    };
    if (declared) setTimeout(pump, 300);
    else pump();
  });
}

/** The two public targets, each with the path its hostile requests go to. */
const PUBLIC = [
  { target: 'query', path: '/api/v1/sites' },
  { target: 'collect', path: '/api/event' },
] as const;

describe.each(PUBLIC)('bounded HTTP server of the image: $target (loopback, own process)', ({ target, path }) => {
  let s: Served;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
    // No rate limit here: every hostile request below comes from 127.0.0.1. Slow connections are cut after 5 s.
    s = await serve(
      {
        WTM_RATE_LIMIT_PER_SECOND: '0',
        WTM_COLLECT_RATE: '0',
        WTM_HTTP_HEADERS_TIMEOUT_MS: '5000',
        WTM_HTTP_REQUEST_TIMEOUT_MS: '10000',
        K_SINK: sink.url,
      },
      target,
    );
    // Warm up (JIT, the SQLite schema, the first queries) before measuring memory.
    for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${s.port}/api/v1/sites`).then((r) => r.arrayBuffer());
  }, 90_000);
  afterAll(async () => {
    await s?.stop();
    await sink?.close();
  });

  it('refuses a 100 MB body, declared or chunked, without buffering it', async () => {
    const before = rssMb(s.child.pid!);
    const declared = await upload(s.port, path, 100 * MB, true);
    const chunked = await upload(s.port, path, 100 * MB, false);
    const after = rssMb(s.child.pid!);
    const health = await probe(s.port);
    process.stderr.write(
      `bounded-http ${target}: 100 MB declared -> ${declared.status || declared.error} after ${declared.sent / MB} MB sent; ` +
        `chunked -> ${chunked.status || chunked.error} after ${chunked.sent / MB} MB sent; RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MB\n`,
    );
    // A declared length is refused before anything is read; a chunked body once it passes the bound.
    expect(declared.status).toBe(413);
    expect([413, 0]).toContain(chunked.status);
    expect(chunked.sent).toBeLessThan(100 * MB);
    expect(after - before).toBeLessThan(MAX_GROWTH_MB);
    expect(health.status).toBe(200);
  }, 120_000);

  it('answers oversized headers 431, malformed JSON with its own 400 JSON error', async () => {
    const big = await fetch(`http://127.0.0.1:${s.port}${path}`, { headers: { 'X-Big': 'a'.repeat(64 * 1024) } }).then(
      (r) => r.status,
      () => 0,
    );
    expect([431, 0]).toContain(big);
    const bad = await fetch(`http://127.0.0.1:${s.port}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"site": "example.com",',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    expect((await probe(s.port)).status).toBe(200);
  });

  it('10,000 slow connections: stays responsive, memory bounded, and they are cut after the headers timeout', async () => {
    const N = 10_000;
    const pid = s.child.pid!;
    const before = rssMb(pid);
    const sockets: Socket[] = [];
    let closedByServer = 0;
    const started = Date.now();
    // Slowloris: a request line and one header, then a byte every second, never the blank line.
    for (let i = 0; i < N; i += 250) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(N, i + 250); j++) {
        batch.push(
          new Promise((resolveConnect) => {
            const sock = connect({ host: '127.0.0.1', port: s.port }, () => {
              sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
              resolveConnect();
            });
            sock.on('error', () => resolveConnect());
            sock.on('close', () => closedByServer++);
            sock.resume();
            sockets.push(sock);
          }),
        );
      }
      await Promise.all(batch);
    }
    const opened = Date.now() - started;
    const drip = setInterval(() => sockets.forEach((x) => x.writable && x.write('a')), 1000);
    const probes: { status: number; ms: number }[] = [];
    let peak = rssMb(pid);
    try {
      for (let i = 0; i < 5; i++) {
        probes.push(await probe(s.port));
        peak = Math.max(peak, rssMb(pid));
        await sleep(500);
      }
      // headersTimeout 5 s, checked every 1.25 s: every slow connection is gone well within 30 s.
      const until = Date.now() + 30_000;
      while (closedByServer < N && Date.now() < until) {
        peak = Math.max(peak, rssMb(pid));
        await sleep(500);
      }
    } finally {
      clearInterval(drip);
      sockets.forEach((x) => x.destroy());
    }
    const after = await probe(s.port);
    process.stderr.write(
      `bounded-http ${target}: ${N} slow connections opened in ${opened} ms; /healthz meanwhile ${probes.map((p) => `${p.status}/${p.ms}ms`).join(' ')}; ` +
        `closed by the server: ${closedByServer}; RSS ${before.toFixed(1)} -> peak ${peak.toFixed(1)} MB\n`,
    );
    expect(probes.every((p) => p.status === 200 && p.ms < 3000)).toBe(true);
    expect(closedByServer).toBe(N);
    expect(peak - before).toBeLessThan(MAX_GROWTH_MB);
    expect(after.status).toBe(200);
  }, 180_000);

  // collect only: query publishes nothing (registered for collect alone, so no run reports a skipped test)
  if (target === 'collect')
    it('after all that, a real event is still taken and published', async () => {
      const before = sink.received();
      const r = await fetch(`http://127.0.0.1:${s.port}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36' },
        body: JSON.stringify({ n: 'pageview', u: 'https://shop.example/after-the-storm', d: 'shop.example' }),
      });
      expect(r.status).toBe(202);
      expect(sink.received()).toBe(before + 1);
    });
});

describe('per-client rate limit of the image (loopback, own process)', () => {
  it('answers 429 with Retry-After past the burst, never on /healthz, and other clients are not affected', async () => {
    const s = await serve({ WTM_RATE_LIMIT_PER_SECOND: '2', WTM_RATE_LIMIT_BURST: '5' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 12; i++) {
        const r = await fetch(`http://127.0.0.1:${s.port}/api/v1/sites`);
        statuses.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get('retry-after');
          expect(await r.json()).toMatchObject({ error: { code: 'rate_limited' } });
        } else await r.arrayBuffer();
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(5);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await probe(s.port)).status).toBe(200);
      // Another client address (::1 is not 127.0.0.1) has its own bucket — when the host has IPv6 loopback.
      const other = await fetch(`http://[::1]:${s.port}/api/v1/sites`).then(
        (r) => r.status,
        () => undefined,
      );
      if (other !== undefined) expect(other).toBe(200);
      await sleep(1100);
      expect((await fetch(`http://127.0.0.1:${s.port}/api/v1/sites`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  }, 90_000);
});
