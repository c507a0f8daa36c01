/**
 * The HTTP surface on the embedded SQLite database (a real one, in memory): validation table, error
 * shape, CORS, ETag/304, cache headers, methods, static files and zero-filled buckets.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '../lib/db';
import { DAY_MS, bucketOf, toLocalMs } from '../lib/time';
import { createQueryHandler, type PlainResponse, type QueryHandler } from './handler';
import { parseCorsOrigins } from './http-policy';
import { resolvePeriod } from './period';
import { expectedBreakdown, makeVisits, seedSite, seedToken, type Visit } from './testing/seed';

const NOW = Date.parse('2026-03-10T20:17:30Z');
let db: Database;
let handler: QueryHandler;
let webRoot: string;
let recent: Visit[];

beforeAll(async () => {
  db = createDatabase({ url: 'sqlite::memory:' });
  await db.migrate();
  const today = bucketOf(toLocalMs(NOW, 'Asia/Kolkata'), 'd');
  // Only days 3 and 5 of the last week have traffic: the other buckets must come back as zeros.
  const visits = [...makeVisits('pub.example', today - 4 * DAY_MS, 1, 5, 1), ...makeVisits('pub.example', today - 2 * DAY_MS, 1, 5, 2)];
  await seedSite(db, { hostname: 'pub.example', timezone: 'Asia/Kolkata', isPublic: true, visits });
  const priv = await seedSite(db, { hostname: 'priv.example', timezone: 'UTC', isPublic: false, visits: [] });
  await seedToken(db, priv.id, 'secret-token-123');
  recent = makeVisits('facts.example', today - DAY_MS, 2, 12, 7);
  await seedSite(db, { hostname: 'facts.example', timezone: 'Asia/Kolkata', isPublic: true, visits: recent });
  webRoot = mkdtempSync(join(tmpdir(), 'wtm-web-'));
  mkdirSync(join(webRoot, 'demo'));
  writeFileSync(join(webRoot, 'demo', 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(webRoot, 'demo', 'embed.html'), '<!doctype html><title>embed</title>');
  writeFileSync(join(webRoot, 'secret.txt'), 'outside');
  symlinkSync(join(webRoot, 'secret.txt'), join(webRoot, 'demo', 'link.txt'));
  handler = createQueryHandler({
    db,
    now: () => NOW,
    webRoot,
    cors: parseCorsOrigins('https://blog.example.com, *'),
  });
});
afterAll(() => db.close());

const call = (url: string, headers: Record<string, string> = {}, method = 'GET') => handler.handle({ method, url, headers });
const body = (r: PlainResponse) => JSON.parse(String(r.body)) as { error?: { code: string; message: string } } & Record<string, unknown>;
const S = '/api/v1/stats/summary?site=pub.example';

describe('validation', () => {
  // [url, status, code, parameter named in the message]
  const table: [string, number, string, string][] = [
    ['/api/v1/stats/summary', 400, 'invalid_parameter', 'site'],
    ['/api/v1/stats/summary?site=', 400, 'invalid_parameter', 'site'],
    ["/api/v1/stats/summary?site=pub.example'%20OR%201=1--", 400, 'invalid_parameter', 'site'],
    ['/api/v1/stats/summary?site=pub.example%3B%20DROP%20TABLE%20rollups', 400, 'invalid_parameter', 'site'],
    ['/api/v1/stats/summary?site=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 400, 'invalid_parameter', 'site'],
    ['/api/v1/stats/summary?site=../../etc/passwd', 400, 'invalid_parameter', 'site'],
    [`/api/v1/stats/summary?site=${'a'.repeat(300)}.com`, 400, 'invalid_parameter', 'site'],
    [`${S}&site=other.example`, 400, 'invalid_parameter', 'site'],
    [`${S}&period=1y`, 400, 'invalid_parameter', 'period'],
    [`${S}&period=7d&period=30d`, 400, 'invalid_parameter', 'period'],
    [`${S}&period=7d&from=2026-01-01&to=2026-01-02`, 400, 'invalid_parameter', 'period'],
    [`${S}&from=2026-01-01`, 400, 'invalid_parameter', 'to'],
    [`${S}&to=2026-01-01`, 400, 'invalid_parameter', 'from'],
    [`${S}&from=2026-02-30&to=2026-03-01`, 400, 'invalid_parameter', 'from'],
    [`${S}&from=2026-03-05&to=2026-03-01`, 400, 'invalid_parameter', 'from'],
    [`${S}&from=2024-01-01&to=2025-06-01`, 400, 'invalid_parameter', 'to'],
    [`${S}&from=99999-01-01&to=99999-01-02`, 400, 'invalid_parameter', 'from'],
    [`${S}&from=2026-01-01T00:00:00Z&to=2026-01-02`, 400, 'invalid_parameter', 'from'],
    [`${S}&foo=bar`, 400, 'invalid_parameter', 'foo'],
    [`${S}&__proto__=x`, 400, 'invalid_parameter', '__proto__'],
    [`${S}&${'x'.repeat(40)}=1`, 400, 'invalid_parameter', 'query'],
    [`${S}&period=${'7'.repeat(300)}d`, 400, 'invalid_parameter', 'period'],
    ['/api/v1/stats/timeseries?site=pub.example&metrics=visitors,sleep(5)', 400, 'invalid_parameter', 'metrics'],
    ['/api/v1/stats/timeseries?site=pub.example&metrics=visitors,visitors', 400, 'invalid_parameter', 'metrics'],
    ['/api/v1/stats/timeseries?site=pub.example&metrics=', 400, 'invalid_parameter', 'metrics'],
    ['/api/v1/stats/timeseries?site=pub.example&interval=week', 400, 'invalid_parameter', 'interval'],
    ['/api/v1/stats/timeseries?site=pub.example&interval=minute', 400, 'invalid_parameter', 'interval'],
    ['/api/v1/stats/timeseries?site=pub.example&period=90d&interval=hour', 400, 'invalid_parameter', 'interval'],
    ['/api/v1/stats/timeseries?site=pub.example&period=24h&interval=day', 400, 'invalid_parameter', 'interval'],
    ['/api/v1/stats/breakdown?site=pub.example', 400, 'invalid_parameter', 'dimension'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=value_key', 400, 'invalid_parameter', 'dimension'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page%20DESC', 400, 'invalid_parameter', 'dimension'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&limit=0', 400, 'invalid_parameter', 'limit'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&limit=1001', 400, 'invalid_parameter', 'limit'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&limit=-1', 400, 'invalid_parameter', 'limit'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&limit=1e3', 400, 'invalid_parameter', 'limit'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&page=99999999999999999999', 400, 'invalid_parameter', 'page'],
    ['/api/v1/stats/breakdown?site=pub.example&dimension=page&page=1.5', 400, 'invalid_parameter', 'page'],
    ['/api/v1/stats/realtime?site=pub.example&period=7d', 400, 'invalid_parameter', 'period'],
    ['/api/v1/sites?site=pub.example', 400, 'invalid_parameter', 'site'],
    [`${S}&x=${'y'.repeat(5000)}`, 414, 'uri_too_long', 'URL'],
    ['/api/v1/stats/nope', 404, 'not_found', 'route'],
    ['/api/v2/stats/summary', 404, 'not_found', 'route'],
    ['/../../etc/passwd', 404, 'not_found', 'route'],
  ];
  // Titles show long URLs shortened; the full URL is the last argument.
  const labelled = table.map(([url, ...rest]) => [url.length > 100 ? `${url.slice(0, 100)}…` : url, ...rest, url] as const);
  it.each(labelled)('%s → %i %s naming %s', async (_label, status, code, param, url) => {
    const r = await call(url);
    expect(r.status).toBe(status);
    expect(r.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(r.headers['Cache-Control']).toBe('no-store');
    const b = body(r);
    expect(Object.keys(b)).toEqual(['error']);
    expect(b.error?.code).toBe(code);
    expect(b.error?.message).toContain(param);
    // Nothing leaks: no stack, no SQL, no echo of the hostile value.
    expect(String(r.body)).not.toMatch(/\n\s+at |SELECT|rollups|sqlite|DROP|script|passwd|sleep|yyyyyyyy|aaaaaaaa|77777777/i);
  });

  it('lower-cases the hostname', async () => {
    expect((await call('/api/v1/stats/summary?site=PUB.Example')).status).toBe(200);
  });
});

describe('methods and routes', () => {
  it('answers 405 with Allow for other methods', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await call(S, {}, method);
      expect([r.status, body(r).error?.code, r.headers.Allow]).toEqual([405, 'method_not_allowed', 'GET, HEAD, OPTIONS']);
    }
  });
  it('answers HEAD like GET without a body', async () => {
    const [get, head] = [await call(S), await call(S, {}, 'HEAD')];
    expect([head.status, head.body, head.headers.ETag]).toEqual([200, '', get.headers.ETag]);
  });
  it('serves the OpenAPI document', async () => {
    const r = await call('/api/v1/openapi.json');
    expect([r.status, body(r).openapi]).toEqual([200, '3.1.0']);
  });
});

describe('access', () => {
  const P = '/api/v1/stats/summary?site=priv.example';
  it('401 without a token, 403 with a wrong one, 200 with the right one; never logs or echoes the token', async () => {
    expect((await call(P)).status).toBe(401);
    expect((await call(P)).headers['WWW-Authenticate']).toBe('Bearer realm="wtm"');
    const wrong = await call(P, { authorization: 'Bearer secret-token-124' });
    expect(wrong.status).toBe(403);
    expect(String(wrong.body)).not.toContain('secret');
    expect((await call(P, { authorization: 'Bearer secret-token-123' })).status).toBe(200);
  });
  it('answers an unknown site the same as a private one', async () => {
    for (const h of [{}, { authorization: 'Bearer whatever' }] as Record<string, string>[]) {
      const [a, b] = [await call(P, h), await call('/api/v1/stats/summary?site=unknown.example', h)];
      expect([b.status, b.body, b.headers['WWW-Authenticate']]).toEqual([a.status, a.body, a.headers['WWW-Authenticate']]);
    }
  });
});

describe('CORS', () => {
  it('lets an allowlisted origin read private data and send a token', async () => {
    const r = await call('/api/v1/stats/summary?site=priv.example', {
      origin: 'https://blog.example.com',
      authorization: 'Bearer secret-token-123',
    });
    expect(r.headers['Access-Control-Allow-Origin']).toBe('https://blog.example.com');
    const pre = await call(
      '/api/v1/stats/summary',
      { origin: 'https://blog.example.com', 'access-control-request-headers': 'authorization' },
      'OPTIONS',
    );
    expect([pre.status, pre.headers['Access-Control-Allow-Headers']]).toEqual([204, 'Authorization, If-None-Match']);
  });
  it('gives other origins `*` for public data only, and never the Authorization header', async () => {
    const o = { origin: 'https://elsewhere.example' };
    expect((await call(S, o)).headers['Access-Control-Allow-Origin']).toBe('*');
    const priv = await call('/api/v1/stats/summary?site=priv.example', { ...o, authorization: 'Bearer secret-token-123' });
    expect(priv.status).toBe(200);
    expect(priv.headers['Access-Control-Allow-Origin']).toBeUndefined();
    const pre = await call(S, o, 'OPTIONS');
    expect(pre.headers['Access-Control-Allow-Headers']).not.toMatch(/authorization/i);
  });
  it('sends no CORS headers without an allowlist', async () => {
    const strict = createQueryHandler({ db, now: () => NOW });
    const r = await strict.handle({ method: 'GET', url: S, headers: { origin: 'https://elsewhere.example' } });
    expect(r.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

describe('caching', () => {
  it('answers 304 to a matching If-None-Match and 200 otherwise', async () => {
    const first = await call(S);
    expect(first.headers.ETag).toMatch(/^W\/"/);
    expect((await call(S, { 'if-none-match': first.headers.ETag! })).status).toBe(304);
    expect((await call(S, { 'if-none-match': `"x", ${first.headers.ETag!.slice(2)}` })).status).toBe(304);
    expect((await call(S, { 'if-none-match': 'W/"other"' })).status).toBe(200);
  });
  it.each([
    [`${S}&period=today`, 60],
    [`${S}&period=24h`, 60],
    [`${S}&period=30d`, 120],
    [`${S}&from=2026-01-01&to=2026-01-31`, 3600],
    ['/api/v1/stats/realtime?site=pub.example', 10],
  ])('%s may be cached %i s', async (url, seconds) => {
    expect((await call(url)).headers['Cache-Control']).toBe(`private, max-age=${seconds}`);
  });
});

describe('timeseries shaping', () => {
  it('returns every day of 7d, zeros where nothing happened', async () => {
    const r = body(await call('/api/v1/stats/timeseries?site=pub.example&period=7d&metrics=pageviews,bounce_rate'));
    const buckets = r.buckets as Record<string, unknown>[];
    expect(buckets.map((b) => b.t)).toEqual(['05', '06', '07', '08', '09', '10', '11'].map((d) => `2026-03-${d}T00:00:00`));
    const empty = buckets.filter((_, i) => i !== 2 && i !== 4);
    expect(empty.every((b) => b.pageviews === 0 && b.bounce_rate === 0)).toBe(true);
    expect(buckets[2]!.pageviews).toBeGreaterThan(0);
    expect(Object.keys(buckets[0]!)).toEqual(['t', 'pageviews', 'bounce_rate']);
  });
});

describe('24h breakdowns from the facts (SQLite)', () => {
  it.each(['page', 'source', 'country', 'exit_page', 'event'] as const)('%s equals the seeded visits exactly', async (dimension) => {
    const p = resolvePeriod({ period: '24h' }, NOW, 'Asia/Kolkata').current;
    const expected = expectedBreakdown(recent, dimension, p.from, p.to);
    const r = body(await call(`/api/v1/stats/breakdown?site=facts.example&period=24h&dimension=${dimension}&limit=1000`));
    const results = r.results as Record<string, number | string | null>[];
    expect(results.length).toBe(expected.size);
    expect(results.length).toBeGreaterThan(0);
    for (const x of results) {
      const e = expected.get(x.value === '(none)' ? '' : String(x.value))!;
      const main = dimension === 'event' ? e.events : e.pageviews;
      expect([x.value, x.visitors, dimension === 'event' ? x.events : x.pageviews]).toEqual([x.value, e.visitors.size, main]);
    }
    const visitors = results.map((x) => Number(x.visitors));
    expect([...visitors].sort((a, b) => b - a)).toEqual(visitors);
  });
});

describe('month rows (SQLite)', () => {
  it('12mo breakdowns answer the same from month rows as from day rows', async () => {
    const today = bucketOf(toLocalMs(NOW, 'Asia/Kolkata'), 'd');
    await seedSite(db, {
      hostname: 'months.example',
      timezone: 'Asia/Kolkata',
      isPublic: true,
      visits: makeVisits('months.example', today - 70 * DAY_MS, 71, 3, 9),
    });
    const fromDays = createQueryHandler({ db, now: () => NOW, monthRollups: false });
    for (const dimension of ['page', 'country', 'event']) {
      const url = `/api/v1/stats/breakdown?site=months.example&period=12mo&dimension=${dimension}&limit=1000`;
      const truth = String((await fromDays.handle({ method: 'GET', url, headers: {} })).body);
      expect(String((await call(url)).body)).toBe(truth);
      await handler.settled();
      expect(String((await call(url)).body)).toBe(truth);
    }
    const [rows] = await db.sequelize.query("SELECT COUNT(*) AS n FROM rollups WHERE grain IN ('c', 'w') AND dimension = 'page'");
    expect(Number((rows as { n: unknown }[])[0]!.n)).toBeGreaterThan(0);
  });
});

describe('static files', () => {
  it.each([
    ['/', 200, 'text/html; charset=utf-8'],
    ['/embed.html', 200, 'text/html; charset=utf-8'],
    ['/wtm.js', 404, 'application/json; charset=utf-8'],
    ['/link.txt', 404, 'application/json; charset=utf-8'],
    ['/..%2Fsecret.txt', 404, 'application/json; charset=utf-8'],
    ['/demo/../secret.txt', 404, 'application/json; charset=utf-8'],
    ['/%2e%2e/secret.txt', 404, 'application/json; charset=utf-8'],
  ])('%s → %i %s', async (url, status, type) => {
    const r = await call(url);
    expect([r.status, r.headers['Content-Type']]).toEqual([status, type]);
    expect(String(r.body)).not.toContain('outside');
  });
  it('says how to build the bundle when it is missing', async () => {
    expect(body(await call('/wtm.min.js')).error?.message).toContain('npm run build');
  });
});
