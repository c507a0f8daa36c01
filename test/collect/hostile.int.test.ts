/**
 * Hostile requests against the real collect function as its container runs it (`node <bundle>`: the
 * bounded server, which hands /api/event to collect past the framework's Express app) with the real Kafka: each kind gets its documented status (functions/collect/http.ts),
 * nothing crashes, and the good events sent around them all arrive exactly once in the raw topic.
 *
 * The test connects from 127.0.0.1, which is configured as a trusted proxy, so each request names
 * its client in X-Forwarded-For (each case its own, so the rate limit hits only the flood). The
 * forged-header cases connect from 127.0.0.2, which is not trusted.
 */
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithServices, freePort, runId } from '../services';
import { buildFunctions, readRawTopic, ROOT, send, startCollect, type Answer, type RunningCollect } from './harness';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const SITE = 'hostile.example';
const MAX_BODY = 16_384;
const BURST = 10;

let clientSeq = 0;
/** A fresh client address per request (its own token bucket). */
const nextClient = () => `203.0.113.${(++clientSeq % 250) + 1}`;
let markSeq = 0;

interface Case {
  name: string;
  status: number;
  /** Sends the request; returns the answer (or undefined when the connection was refused outright). */
  run(port: number, mark: string): Promise<Answer | undefined>;
  /** True: this case's event must be in the raw topic (accepted). */
  arrives?: boolean;
  check?(a: Answer): void;
}

const event = (mark: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ n: 'pageview', u: `https://${SITE}/page?m=${mark}`, d: SITE, r: null, ...extra });
const headers = (extra: Record<string, string> = {}) => ({
  'Content-Type': 'text/plain',
  'User-Agent': UA,
  'X-Forwarded-For': `198.51.100.${(++clientSeq % 250) + 1}`,
  ...extra,
});
const post = (port: number, body: string | Buffer, extra: Record<string, string> = {}) => send(port, { headers: headers(extra), body });

/** Writes raw bytes on a socket and returns what came back (status line parsed), or undefined on reset. */
function rawExchange(port: number, bytes: string, waitMs = 2_000): Promise<Answer | undefined> {
  return new Promise((resolveAnswer) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolveAnswer(m === null ? undefined : { status: Number(m[1]), headers: {}, body: data });
    };
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
    setTimeout(done, waitMs);
  });
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

const CASES: Case[] = [
  // --- size
  {
    name: 'a declared Content-Length over the limit (nothing else sent)',
    status: 413,
    run: (port) =>
      rawExchange(port, `POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 104857600\r\n\r\n`),
  },
  {
    // A raw socket: the answer must come while the body is still streaming (8 MiB offered).
    name: 'a chunked body that streams past the limit',
    status: 413,
    run: (port) =>
      new Promise((resolveAnswer) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        let sent = 0;
        const finish = (a: Answer | undefined) => {
          socket.destroy();
          resolveAnswer(a);
        };
        socket.on('data', (d: Buffer) => {
          data += d.toString();
          const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
          if (m !== null) finish({ status: Number(m[1]), headers: {}, body: data });
        });
        socket.on('error', () => finish(undefined));
        socket.write(
          `POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nUser-Agent: ${UA}\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        const chunk = `10000\r\n${' '.repeat(65_536)}\r\n`;
        const pump = () => {
          while (sent < 8 * 1024 * 1024 && !socket.destroyed) {
            sent += 65_536;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
      }),
  },
  { name: 'a body one byte over the limit', status: 413, run: (port) => post(port, ' '.repeat(MAX_BODY + 1)) },
  // --- shape
  { name: 'a deeply nested array', status: 400, run: (port) => post(port, deep(5_000)) },
  {
    name: 'deeply nested props',
    status: 400,
    run: (port, m) => post(port, event(m, { n: 'x', p: JSON.parse(`{"a":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`) as unknown })),
  },
  { name: 'an empty body', status: 400, run: (port) => post(port, '') },
  { name: 'not JSON', status: 400, run: (port) => post(port, 'n=pageview&u=https://x') },
  { name: 'truncated JSON', status: 400, run: (port, m) => post(port, event(m).slice(0, 20)) },
  { name: 'invalid UTF-8', status: 400, run: (port) => post(port, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])) },
  { name: 'a JSON array of events', status: 400, run: (port, m) => post(port, `[${event(m)}]`) },
  { name: 'a JSON string', status: 400, run: (port) => post(port, '"pageview"') },
  { name: 'no event name', status: 400, run: (port, m) => post(port, JSON.stringify({ u: `https://${SITE}/?m=${m}`, d: SITE })) },
  { name: 'no domain', status: 400, run: (port, m) => post(port, JSON.stringify({ n: 'pageview', u: `https://${SITE}/?m=${m}` })) },
  { name: 'a domain that is not a hostname', status: 400, run: (port, m) => post(port, event(m, { d: 'Evil Site;DROP TABLE' })) },
  {
    name: 'eleven domains',
    status: 400,
    run: (port, m) => post(port, event(m, { d: Array.from({ length: 11 }, (_, i) => `s${i}.example`).join(',') })),
  },
  { name: 'a relative url', status: 400, run: (port) => post(port, JSON.stringify({ n: 'pageview', u: '/home', d: SITE })) },
  {
    name: 'a javascript: url',
    status: 400,
    run: (port) => post(port, JSON.stringify({ n: 'pageview', u: 'javascript:alert(1)', d: SITE })),
  },
  {
    name: 'control characters in the url',
    status: 400,
    run: (port, m) => post(port, event(m, { u: `https://${SITE}/\u0000\u001b[31m?m=${m}` })),
  },
  { name: 'control characters in the name', status: 400, run: (port, m) => post(port, event(m, { n: 'sign\u0007up' })) },
  {
    name: 'a url over 2,048 characters',
    status: 400,
    run: (port, m) => post(port, event(m, { u: `https://${SITE}/${'a'.repeat(3000)}?m=${m}` })),
  },
  { name: 'an event name over 64 characters', status: 400, run: (port, m) => post(port, event(m, { n: 'x'.repeat(100) })) },
  {
    name: '31 props',
    status: 400,
    run: (port, m) => post(port, event(m, { n: 'x', p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) })),
  },
  {
    name: 'a prop value over 2,000 characters',
    status: 400,
    run: (port, m) => post(port, event(m, { n: 'x', p: { k: 'v'.repeat(2500) } })),
  },
  {
    name: 'a __proto__ prop',
    status: 400,
    run: (port, m) => post(port, event(m, { n: 'x' }).replace('"r":null', '"r":null,"p":{"__proto__":{"polluted":1}}')),
  },
  {
    name: 'a revenue that is not money',
    status: 400,
    run: (port, m) => post(port, event(m, { n: 'buy', $: { amount: '1e9999', currency: 'EURO' } })),
  },
  // --- content types and encodings
  {
    name: 'a form content type',
    status: 415,
    run: (port, m) => post(port, event(m), { 'Content-Type': 'application/x-www-form-urlencoded' }),
  },
  {
    name: 'a multipart content type',
    status: 415,
    run: (port, m) => post(port, event(m), { 'Content-Type': 'multipart/form-data; boundary=x' }),
  },
  {
    name: 'a charset other than UTF-8',
    status: 415,
    run: (port, m) => post(port, event(m), { 'Content-Type': 'text/plain; charset=iso-8859-1' }),
  },
  {
    name: 'a gzip-encoded body (no decompression: no zip bombs)',
    status: 415,
    run: (port, m) => post(port, event(m), { 'Content-Encoding': 'gzip' }),
  },
  // --- routes and methods
  {
    name: 'GET /api/event',
    status: 405,
    run: (port) => send(port, { method: 'GET', headers: {} }),
    check: (a) => expect(a.headers.allow).toBe('POST, OPTIONS'),
  },
  { name: 'PUT /api/event', status: 405, run: (port, m) => send(port, { method: 'PUT', headers: headers(), body: event(m) }) },
  { name: 'POST to another path', status: 404, run: (port, m) => send(port, { path: '/api/events', headers: headers(), body: event(m) }) },
  {
    name: 'a CORS preflight from any origin',
    status: 204,
    run: (port) =>
      send(port, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://anything.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      }),
    check: (a) => {
      expect(a.headers['access-control-allow-origin']).toBe('*');
      expect(String(a.headers['access-control-allow-methods'])).toContain('POST');
      expect(String(a.headers['access-control-allow-headers']).toLowerCase()).toContain('content-type');
    },
  },
  // --- identity
  {
    name: 'no user agent: accepted, marked dropped, never published',
    status: 202,
    run: (port, m) => send(port, { headers: { 'Content-Type': 'text/plain', 'X-Forwarded-For': nextClient() }, body: event(m) }),
    check: (a) => expect(a.headers['x-plausible-dropped']).toBe('1'),
  },
  {
    name: 'a forged X-Forwarded-For from an untrusted peer is ignored',
    status: 202,
    arrives: true,
    run: (port, m) => send(port, { localAddress: '127.0.0.2', headers: { ...headers(), 'X-Forwarded-For': '6.6.6.6' }, body: event(m) }),
  },
  {
    name: 'a bot user agent: accepted and published (enrich counts and drops it)',
    status: 202,
    arrives: true,
    run: (port, m) => post(port, event(m), { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' }),
    check: (a) => expect(a.headers['x-plausible-dropped']).toBeUndefined(),
  },
  {
    name: 'an unknown site: accepted and published (enrich rejects it with a reason)',
    status: 202,
    arrives: true,
    run: (port, m) => post(port, event(m, { d: 'not-registered.example' })),
  },
  // --- the wire
  {
    name: 'a body that arrives too slowly',
    status: 408,
    run: (port) =>
      rawExchange(
        port,
        `POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nUser-Agent: ${UA}\r\nContent-Length: 100\r\n\r\n{"n":`,
        4_000,
      ),
  },
  {
    name: 'a client that goes away mid-body (no answer possible; the server survives)',
    status: 0,
    run: (port) =>
      new Promise((resolveAnswer) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\n{"n":"pagev`);
          setTimeout(() => {
            socket.destroy();
            resolveAnswer({ status: 0, headers: {}, body: '' });
          }, 100);
        });
      }),
  },
  { name: 'a request line that is not HTTP', status: 400, run: (port) => rawExchange(port, 'GARBAGE\r\n\r\n') },
  {
    name: 'headers over 16 KiB',
    status: 431,
    run: (port) => rawExchange(port, `POST /api/event HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
  },
];

describeWithServices('collect under hostile requests (the image: bounded server, /api/event direct; real Kafka)', ['kafka'], (services) => {
  const outdir = join(ROOT, 'dist', `collect-test-${runId()}`);
  let collect: RunningCollect;
  /** marker → what the event must look like in the topic */
  const expected = new Map<string, { ip?: string }>();
  const answers: { name: string; want: number; got: number | undefined }[] = [];

  beforeAll(async () => {
    const bundle = buildFunctions(outdir);
    const s = services();
    collect = await startCollect(
      bundle,
      await freePort(),
      {
        KAFKA_BROKERS: s.brokers.join(','),
        WTM_TOPIC_PREFIX: s.topicPrefix,
        WTM_TRUSTED_PROXIES: '127.0.0.1/32',
        WTM_COLLECT_RATE: '1',
        WTM_COLLECT_BURST: String(BURST),
        WTM_COLLECT_MAX_BODY_BYTES: String(MAX_BODY),
        WTM_COLLECT_BODY_TIMEOUT_MS: '1500',
      },
      'image',
    );
  }, 120_000);

  afterAll(async () => {
    await collect?.stop();
    rmSync(outdir, { recursive: true, force: true });
  });

  const good = async () => {
    const mark = `good-${++markSeq}`;
    const client = nextClient();
    const a = await send(collect.port, { headers: { ...headers(), 'X-Forwarded-For': `6.6.6.6, ${client}` }, body: event(mark) });
    expect(a.status).toBe(202);
    expected.set(mark, { ip: client });
  };

  it(`answers ${CASES.length} kinds of hostile request with their documented status`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    await good();
    for (const c of CASES) {
      const mark = `case-${++markSeq}`;
      // a case that hangs is a failure of that case, reported by name
      const a = await Promise.race([
        c.run(collect.port, mark),
        new Promise<Answer>((r) => setTimeout(() => r({ status: -1, headers: {}, body: 'no answer within 10 s' }), 10_000).unref()),
      ]);
      answers.push({ name: c.name, want: c.status, got: a?.status });
      if (a !== undefined && a.status === c.status) {
        c.check?.(a);
        if (a.status >= 400)
          expect(
            a.headers['content-type'] === undefined || String(a.headers['content-type']).includes('json') || a.body.startsWith('HTTP'),
          ).toBe(true);
      }
      if (c.arrives === true) expected.set(mark, c.name.includes('untrusted') ? { ip: '127.0.0.2' } : {});
      expect(collect.child.exitCode).toBeNull();
      await good();
    }
    expect(answers.filter((a) => a.got !== a.want)).toEqual([]);
  }, 300_000);

  it('floods over the rate limit get 429 with Retry-After; the requests within the burst are accepted', async () => {
    const flooder = '192.0.2.77';
    const results: Answer[] = [];
    for (let i = 0; i < BURST * 3; i++) {
      const mark = `flood-${++markSeq}`;
      const a = await send(collect.port, { headers: { ...headers(), 'X-Forwarded-For': flooder }, body: event(mark) });
      results.push(a);
      if (a.status === 202) expected.set(mark, { ip: flooder });
    }
    const accepted = results.filter((r) => r.status === 202).length;
    // BURST at once, plus at most a token or two refilled (1/s) while the flood runs
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    expect(accepted).toBeLessThanOrEqual(BURST + 3);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBe(results.length - accepted);
    for (const r of limited) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'rate_limited' } });
    }
    // another client is not affected
    await good();
  }, 60_000);

  it('is still healthy, and every good event arrived exactly once in the raw topic (nothing else did)', async () => {
    expect((await fetch(`${collect.url}/healthz`)).status).toBe(200);
    const events = await readRawTopic(services().brokers, services().topics.raw, expected.size);
    const marks = events.map((e) => new URL(e.data.url).searchParams.get('m') ?? `(no mark: ${e.data.url})`);
    const counts = new Map<string, number>();
    for (const m of marks) counts.set(m, (counts.get(m) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const e of events) {
      const want = expected.get(new URL(e.data.url).searchParams.get('m') ?? '');
      if (want?.ip !== undefined) expect(`${e.data.url} ${e.data.ip}`).toBe(`${e.data.url} ${want.ip}`);
      expect(e.attributes.source).toBe('/wtm/tracker');
    }
    expect(new Set(events.map((e) => e.attributes.id)).size).toBe(events.length);
    expect(collect.child.exitCode).toBeNull();
  }, 120_000);
});
