/**
 * Hostile input, privacy and access against the shared Kafka and MariaDB (own topics and database):
 * enrich and aggregate run in-process (kafkajs runners with the suite's own consumer groups, enrich's
 * HTTP handler on the Functions Framework) with their logs captured; the query function runs as a
 * child process. Every bad event is rejected with a reason, none crashes a function, good events
 * around them are counted exactly, hostile text is stored as data, no IP or user agent reaches MySQL
 * or the enriched topic, private data needs a token, and no secret reaches a log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Kafka, logLevel } from 'kafkajs';
import { QueryTypes } from 'sequelize';
import { createRawEvent, REJECT_REASONS, toHttpBinary, toKafkaMessage, type RawTraffic } from '../../events';
import { createAggregateHttpHandler } from '../../functions/aggregate/http';
import { startAggregateRunner } from '../../functions/aggregate/runner';
import { createAggregateStage, type AggregateStage } from '../../functions/aggregate/stage';
import { dimensionsOf } from '../../functions/enrich';
import { readEnrichConfig } from '../../functions/enrich/config';
import { handleEnrichRequest } from '../../functions/enrich/function';
import { createVisitorHasher } from '../../functions/enrich/identity';
import { createEnricherFromConfig, startEnrichRunner } from '../../functions/enrich/runner';
import { createGroundTruth } from '../../functions/generate/ground-truth';
import { createDatabase, type Database } from '../../functions/lib/db';
import { openGeoIp, type GeoIp } from '../../functions/lib/geoip';
import { createKafkaPublisher, type KafkaPublisher, type RunningConsumer } from '../../functions/lib/kafka';
import { createLogger } from '../../functions/lib/logger';
import { createSiteRegistry } from '../../functions/sites/registry';
import { describeWithServices } from '../services';
import { waitForTruth } from './harness';
import { createHostileCorpus, createValidHostileEvents, baseData, INJECTIONS } from './hostile-corpus';
import { freePort, ROOT, sleep } from './own-services';

const SECRET = 'hostile-suite-salt-secret-4b8d1f0e6a2c';
const SITE = 'hostile.example';
const PRIVATE = 'private.example';

interface Rec {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `done(records)` (bounded). */
async function readTopic(brokers: string[], topic: string, done: (r: Rec[]) => boolean, ms: number): Promise<Rec[]> {
  const kafka = new Kafka({ clientId: 'wtm-rel-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `wtm-rel-reader-${Date.now()}-${Math.random()}` });
  const out: Rec[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      out.push({ key: message.key?.toString() ?? null, value: message.value?.toString('utf8') ?? '', headers });
    },
  });
  const until = Date.now() + ms;
  while (!done(out) && Date.now() < until) await sleep(500);
  await consumer.disconnect();
  return out;
}

/** HTTP header values must be visible ASCII; anything else is percent-encoded (CloudEvents HTTP §3.1.3.2). */
const headerValue = (v: string) => (/^[\x20-\x7e]*$/.test(v) && !v.includes('%') ? v : encodeURIComponent(v));

describeWithServices('reliability: hostile input, privacy and access', ['kafka', 'mysql'], (services) => {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ name: 'reliability', level: 'debug', destination: sink });
  let geo: GeoIp;
  let db: Database;
  let publisher: KafkaPublisher;
  let stage: AggregateStage;
  const consumers: RunningConsumer[] = [];
  let enrichServer: Server;
  let enrichUrl: string;
  let aggregateServer: Server;
  let aggregateUrl: string;
  let query: ChildProcess;
  let queryUrl: string;
  const queryOutput: string[] = [];
  let token: string;
  const nowMs = Date.now();
  const corpus = createHostileCorpus(SITE, nowMs);
  const sent: RawTraffic[] = [];
  const truth = createGroundTruth({
    sites: [
      { hostname: SITE, timezone: 'Europe/Berlin' },
      { hostname: PRIVATE, timezone: 'UTC' },
    ],
    dimensionsOf: (raw) => dimensionsOf(raw, geo),
  });
  let goodSeq = 0;
  const goodEvent = (site = SITE) => {
    const data = baseData(site, nowMs, goodSeq);
    return createRawEvent({ id: `good-${++goodSeq}`, source: 'test/reliability/good', data });
  };

  beforeAll(async () => {
    const s = services();
    geo = await openGeoIp();
    db = createDatabase({ url: s.databaseUrl });
    await db.migrate();
    const registry = createSiteRegistry(db);
    await registry.add({ hostname: SITE, timezone: 'Europe/Berlin', isPublic: true });
    await registry.add({ hostname: PRIVATE, timezone: 'UTC', isPublic: false });
    token = await registry.createToken(PRIVATE, 'reliability');
    const config = readEnrichConfig(
      { KAFKA_BROKERS: s.brokers.join(','), DATABASE_URL: s.databaseUrl, WTM_SALT_SECRET: SECRET, WTM_TOPIC_PREFIX: s.topicPrefix },
      { needKafka: true },
    );
    publisher = createKafkaPublisher({ brokers: s.brokers, clientId: 'wtm-rel', logger });
    const { enricher, db: enrichDb } = await createEnricherFromConfig(config, { publisher, logger });
    stage = await createAggregateStage({
      db: s.databaseUrl,
      publisher,
      topics: s.topics,
      logger,
      writer: { maxBatch: 500, flushIntervalMs: 100 },
    });
    consumers.push(
      await startEnrichRunner({ brokers: s.brokers, enricher, topic: s.topics.raw, logger, groupId: `${s.topicPrefix}.enrich` }),
      await startAggregateRunner({
        brokers: s.brokers,
        topics: s.topics,
        aggregator: stage.aggregator,
        logger,
        groupId: `${s.topicPrefix}.aggregate`,
      }),
      { stop: () => enrichDb.close(), ready: async () => true },
    );
    ff.http('reliability_enrich', (req, res) => handleEnrichRequest(enricher, logger, req, res));
    enrichServer = getTestServer('reliability_enrich');
    await new Promise<void>((r) => enrichServer.listen(0, '127.0.0.1', () => r()));
    const addr = enrichServer.address();
    enrichUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/`;
    ff.http('reliability_aggregate', createAggregateHttpHandler({ aggregator: stage.aggregator, logger }));
    aggregateServer = getTestServer('reliability_aggregate');
    await new Promise<void>((r) => aggregateServer.listen(0, '127.0.0.1', () => r()));
    const aAddr = aggregateServer.address();
    aggregateUrl = `http://127.0.0.1:${typeof aAddr === 'object' && aAddr !== null ? aAddr.port : 0}/`;

    const port = await freePort();
    queryUrl = `http://127.0.0.1:${port}`;
    query = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'functions/query/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: s.databaseUrl, LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    query.stdout?.on('data', (d: Buffer) => queryOutput.push(d.toString()));
    query.stderr?.on('data', (d: Buffer) => queryOutput.push(d.toString()));
    for (let i = 0; ; i++) {
      const ok = await fetch(`${queryUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 120) throw new Error(`query did not start:\n${queryOutput.join('')}`);
      await sleep(250);
    }
  }, 180_000);

  afterAll(async () => {
    query?.kill('SIGTERM');
    await new Promise<void>((r) => enrichServer?.close(() => r()));
    await new Promise<void>((r) => aggregateServer?.close(() => r()));
    for (const c of consumers) await c.stop().catch(() => undefined);
    await stage?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }, 60_000);

  const produce = async (records: { key: string | null; value: Buffer; headers: Record<string, string> }[]) => {
    const kafka = new Kafka({ clientId: 'wtm-rel-raw', brokers: services().brokers, logLevel: logLevel.NOTHING });
    const p = kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    await p.send({ topic: services().topics.raw, acks: -1, messages: records });
    await p.disconnect();
  };

  it(`rejects each of ${corpus.length} hostile records on Kafka with a reason and counts the good ones around them`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    const records: { key: string | null; value: Buffer; headers: Record<string, string> }[] = [];
    corpus.forEach((c, i) => {
      const headers: Record<string, string> = {};
      if (c.contentType !== undefined) headers['content-type'] = c.contentType;
      for (const [k, v] of Object.entries(c.attrs)) headers[`ce_${k}`] = v;
      records.push({ key: `hostile-kafka-${i}`, value: c.body, headers });
      const g = goodEvent();
      sent.push(g.data);
      truth.add(g);
      records.push(toKafkaMessage(g));
    });
    for (const data of [...createValidHostileEvents(SITE, nowMs), ...salted()]) {
      const e = createRawEvent({ id: `valid-hostile-${++goodSeq}`, source: 'test/reliability/good', data });
      sent.push(data);
      truth.add(e);
      records.push(toKafkaMessage(e));
    }
    await produce(records);
    const rejected = await readTopic(
      services().brokers,
      services().topics.rejected,
      (r) => corpus.every((_, i) => r.some((x) => x.value.includes(`"key":"hostile-kafka-${i}"`))),
      120_000,
    );
    const problems: string[] = [];
    corpus.forEach((c, i) => {
      const rec = rejected.find((x) => x.value.includes(`"key":"hostile-kafka-${i}"`));
      if (rec === undefined) return problems.push(`${c.name}: not on the rejected topic`);
      const reason = (JSON.parse(rec.value) as { reason: string }).reason;
      if (!(REJECT_REASONS as readonly string[]).includes(reason)) problems.push(`${c.name}: reason ${reason}`);
      if (c.reason !== undefined && reason !== c.reason) problems.push(`${c.name}: rejected as ${reason}, expected ${c.reason}`);
    });
    expect(problems).toEqual([]);
    expect(await waitForTruth(db, truth, 120_000)).toEqual([]);
    expect(await consumers[0]!.ready()).toBe(true);
    expect(await consumers[1]!.ready()).toBe(true);
  }, 300_000);

  it('answers each hostile HTTP request with a rejection or a 4xx, never a 5xx, and counts the good ones', async () => {
    const statuses: string[] = [];
    for (const [i, c] of corpus.entries()) {
      const headers: Record<string, string> = { 'x-wtm-case': String(i) };
      if (c.contentType !== undefined) headers['content-type'] = c.contentType;
      for (const [k, v] of Object.entries(c.attrs)) headers[`ce-${k}`] = headerValue(v);
      const res = await fetch(enrichUrl, { method: 'POST', headers, body: new Uint8Array(c.body) });
      const body = (await res.json().catch(() => ({}))) as { status?: string; reason?: string };
      const ok = res.status === 200 && body.status === 'rejected' && (c.reason === undefined || body.reason === c.reason);
      if (!ok && !(res.status >= 400 && res.status < 500)) statuses.push(`${c.name}: ${res.status} ${JSON.stringify(body)}`);
      const g = goodEvent();
      const { headers: gh, body: gb } = toHttpBinary(g);
      const gr = await fetch(enrichUrl, { method: 'POST', headers: gh, body: gb });
      if (gr.status !== 202) statuses.push(`good after ${c.name}: ${gr.status}`);
      else {
        sent.push(g.data);
        truth.add(g);
      }
    }
    // HTTP-only hostility: methods, paths, a body of megabytes, structured mode gone wrong, header floods.
    const extra: [string, RequestInit & { path?: string }][] = [
      ['GET', { method: 'GET' }],
      ['DELETE', { method: 'DELETE' }],
      ['other path', { method: 'POST', path: 'admin', body: '{}' }],
      ['5 MB body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(5 * 1024 * 1024) }],
      ['structured, bad JSON', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"id":' }],
      ['structured, no attributes', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"data":{}}' }],
      [
        '200 extension headers',
        {
          method: 'POST',
          headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`ce-x${i}`, 'v'])),
          body: '{}',
        },
      ],
    ];
    for (const [name, { path, ...init }] of extra) {
      const res = await fetch(enrichUrl + (path ?? ''), init);
      const body = (await res.json().catch(() => ({}))) as { status?: string };
      if (!(res.status >= 400 && res.status < 500) && !(res.status === 200 && body.status === 'rejected'))
        statuses.push(`${name}: ${res.status}`);
    }
    expect(statuses).toEqual([]);
    expect(await waitForTruth(db, truth, 120_000)).toEqual([]);
    process.stderr.write(`reliability: ${corpus.length} hostile kinds on Kafka and HTTP, ${extra.length} HTTP-only kinds\n`);
  }, 300_000);

  it('counts the same CloudEvent once when posted many times, concurrently, to enrich and to aggregate', async () => {
    const g = goodEvent();
    const { headers, body } = toHttpBinary(g);
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(enrichUrl, { method: 'POST', headers, body })));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 202));
    sent.push(g.data);
    truth.add(g);
    expect(await waitForTruth(db, truth, 120_000)).toEqual([]);
    // The same enriched event, as Knative would redeliver it to aggregate, ten times at once.
    const enriched = await readTopic(services().brokers, services().topics.enriched, (r) => r.length > 0, 60_000);
    const rec = enriched[0]!;
    const ceHeaders: Record<string, string> = { 'content-type': rec.headers['content-type'] ?? 'application/json' };
    for (const [k, v] of Object.entries(rec.headers)) if (k.startsWith('ce_')) ceHeaders[`ce-${k.slice(3)}`] = headerValue(v);
    const stored = await Promise.all(
      Array.from({ length: 10 }, () => fetch(aggregateUrl, { method: 'POST', headers: ceHeaders, body: rec.value })),
    );
    expect(stored.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(await waitForTruth(db, truth, 30_000)).toEqual([]);
  }, 300_000);

  it('stores hostile text as data, verbatim, and keeps every table', async () => {
    const tables = await db.sequelize.query<Record<string, string>>('SHOW TABLES', { type: QueryTypes.SELECT });
    expect(tables.map((t) => Object.values(t)[0]).sort()).toEqual(
      // Storage v2 (migration 0003): facts and visits; processed_events stays for the upgrade window.
      expect.arrayContaining([
        'event_props',
        'events',
        'processed_events',
        'rollups',
        'site_tokens',
        'sites',
        'visitor_sketches',
        'visits',
      ]),
    );
    const names = await db.sequelize.query<{ value: string }>(
      "SELECT DISTINCT value FROM rollups WHERE dimension = 'event' AND grain = 'd'",
      { type: QueryTypes.SELECT },
    );
    for (const inj of INJECTIONS) expect(names.map((n) => n.value)).toContain(inj);
    const sites = await db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM sites', { type: QueryTypes.SELECT });
    expect(Number(sites[0]!.n)).toBe(2);
  });

  it('never writes a raw IP or user agent to MySQL or the enriched topic', async () => {
    const needles = [...new Set(sent.flatMap((d) => [d.ip, d.userAgent]))].filter((s) => s.length >= 7);
    expect(needles.length).toBeGreaterThan(50);
    const found: string[] = [];
    const tables = await db.sequelize.query<Record<string, string>>('SHOW TABLES', { type: QueryTypes.SELECT });
    for (const t of tables.map((x) => Object.values(x)[0]!)) {
      const rows = await db.sequelize.query<Record<string, unknown>>(`SELECT * FROM \`${t}\``, { type: QueryTypes.SELECT });
      const text = rows
        .map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))))
        .flat()
        .join('\n');
      for (const n of needles) if (text.includes(n)) found.push(`${t}: ${n}`);
    }
    const enriched = await readTopic(services().brokers, services().topics.enriched, (r) => r.length >= goodSeq, 60_000);
    expect(enriched.length).toBeGreaterThanOrEqual(goodSeq);
    for (const r of enriched) {
      const text = [r.key ?? '', r.value, ...Object.values(r.headers)].join('\n');
      for (const n of needles) if (text.includes(n)) found.push(`enriched: ${n}`);
    }
    expect(found).toEqual([]);
  }, 120_000);

  it('changes the visitor id when the daily salt rotates (same IP and user agent on two days)', async () => {
    const enriched = await readTopic(services().brokers, services().topics.enriched, (r) => r.length >= goodSeq, 60_000);
    const ids = enriched
      .map((r) => JSON.parse(r.value) as { path: string; visitorId: string })
      .filter((d) => d.path.startsWith('/salted/'))
      .map((d) => `${d.path} ${d.visitorId}`);
    const day1 = ids.find((x) => x.startsWith('/salted/day1 '))!.split(' ')[1];
    const day1b = ids.find((x) => x.startsWith('/salted/day1b '))!.split(' ')[1];
    const day2 = ids.find((x) => x.startsWith('/salted/day2 '))!.split(' ')[1];
    expect(day1).toBe(day1b);
    expect(day2).not.toBe(day1);
    // And rotating WTM_SALT_SECRET changes every id, on the same day.
    const input = { site: SITE, timeZone: 'Europe/Berlin', timeMs: nowMs, ip: '81.2.69.160', userAgent: 'Mozilla/5.0' };
    expect(createVisitorHasher(SECRET)(input)).not.toBe(createVisitorHasher(`${SECRET}-rotated`)(input));
  }, 120_000);

  it('answers hostile query parameters with a 4xx naming no value back, and private data only with a valid token', async () => {
    const q = (path: string, init: RequestInit = {}) => fetch(queryUrl + path, init);
    const hostile = [
      `/api/v1/stats/summary?site=${encodeURIComponent("' OR 1=1 --")}`,
      `/api/v1/stats/summary?site=${encodeURIComponent('<script>alert(1)</script>')}`,
      `/api/v1/stats/summary?site=${SITE}&period=${encodeURIComponent('../../etc/passwd')}`,
      `/api/v1/stats/summary?site=${SITE}&period=7d;DROP TABLE rollups`,
      `/api/v1/stats/breakdown?site=${SITE}&dimension=${encodeURIComponent('page; DROP TABLE rollups')}`,
      `/api/v1/stats/breakdown?site=${SITE}&dimension=page&limit=-1`,
      `/api/v1/stats/breakdown?site=${SITE}&dimension=page&limit=1e9`,
      `/api/v1/stats/breakdown?site=${SITE}&dimension=page&page=0`,
      `/api/v1/stats/timeseries?site=${SITE}&metrics=${encodeURIComponent('visitors,sleep(10)')}`,
      `/api/v1/stats/summary?site=${SITE}&from=2026-13-45&to=2026-01-01`,
      `/api/v1/stats/summary?site=${SITE}&from=1900-01-01&to=2100-01-01`,
      `/api/v1/stats/summary?site=${SITE}&token=${token}`,
      `/api/v1/stats/summary?site=${SITE}&site=${PRIVATE}`,
      `/api/v1/stats/summary?site=${SITE}&period=`,
      `/api/v1/stats/summary?site=${'a'.repeat(300)}.example`,
      `/api/v1/stats/summary?site=${SITE}%00.evil`,
      `/api/v1/stats/summary?site=${SITE}&${Array.from({ length: 17 }, (_, i) => `p${i}=1`).join('&')}`,
      `/api/v1/stats/summary?site=${SITE}&x=${'y'.repeat(5000)}`,
      `/api/v1/stats/realtime?site=${encodeURIComponent('ünïcödé.example')}`,
      '/api/v1/../../etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/api/v1/stats/%2e%2e/%2e%2e/sites',
    ];
    const problems: string[] = [];
    for (const path of hostile) {
      const res = await q(path);
      const text = await res.text();
      if (res.status < 400 || res.status >= 500) problems.push(`${path.slice(0, 80)}: ${res.status}`);
      if (text.includes('DROP') || text.includes('<script>') || text.includes(token)) problems.push(`${path.slice(0, 80)}: echoed`);
    }
    const post = await q(`/api/v1/stats/summary?site=${SITE}`, { method: 'POST', body: '{}' });
    if (post.status !== 405) problems.push(`POST: ${post.status}`);
    expect(problems).toEqual([]);

    const summary = `/api/v1/stats/summary?site=${PRIVATE}&period=7d`;
    expect((await q(summary)).status).toBe(401);
    expect((await q(summary, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(403);
    expect((await q(summary, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(403);
    // Not a token's shape (spaces, quotes): a malformed header, 401 as without one.
    expect((await q(summary, { headers: { authorization: "Bearer ' OR '1'='1" } })).status).toBe(401);
    expect((await q(summary, { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
    expect((await q(summary, { headers: { authorization: `Bearer ${createHash('sha256').update(token).digest('hex')}` } })).status).toBe(
      403,
    );
    const opened = await q(summary, { headers: { authorization: `Bearer ${token}` } });
    expect(opened.status).toBe(200);
    const pub = (await (await q('/api/v1/sites')).json()) as { sites: { site: string }[] };
    expect(pub.sites.map((s) => s.site)).toEqual([SITE]);
    const withToken = (await (await q('/api/v1/sites', { headers: { authorization: `Bearer ${token}` } })).json()) as {
      sites: { site: string }[];
    };
    expect(withToken.sites.map((s) => s.site).sort()).toEqual([SITE, PRIVATE]);
    expect(query.exitCode).toBeNull();
  }, 120_000);

  it('stores tokens only hashed and logs neither tokens nor the salt secret', async () => {
    const rows = await db.sequelize.query<Record<string, unknown>>('SELECT * FROM site_tokens', { type: QueryTypes.SELECT });
    // Ours, plus the one the API comparison (test/pipeline/compare.ts) creates for private sites.
    const ours = rows.filter((r) => r.label === 'reliability');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    for (const r of rows) expect(String(r.token_hash)).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
    await sleep(500); // let the child flush its last lines
    const all = [...logs, ...queryOutput].join('');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(token);
    expect(all).not.toContain(SECRET);
  });

  /** Same IP and user agent: twice on one site-local day, once on the next. */
  function salted(): RawTraffic[] {
    const base = baseData(SITE, nowMs, 30_000);
    const day = 86_400_000;
    const t0 = Math.floor((nowMs - 3 * day) / day) * day + 12 * 3_600_000; // noon UTC = afternoon in Berlin
    return [
      { ...base, url: `https://${SITE}/salted/day1`, timestamp: new Date(t0).toISOString(), sessionId: 'salted-1' },
      { ...base, url: `https://${SITE}/salted/day1b`, timestamp: new Date(t0 + 60_000).toISOString(), sessionId: 'salted-1' },
      { ...base, url: `https://${SITE}/salted/day2`, timestamp: new Date(t0 + day).toISOString(), sessionId: 'salted-2' },
    ];
  }
});
