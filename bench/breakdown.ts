/**
 * Where the pipeline's time goes, stage by stage, without Kafka in the way: the same seeded events
 * (BENCH_BREAKDOWN_EVENTS, default 20,000) go through
 *   - enrich's core in process (Kafka record → decode + zod → steps → enriched event → Kafka record), with
 *     the named steps timed one by one by re-running them alone: UA parse, isbot, GeoIP, visitor hash;
 *   - aggregate's JavaScript alone: decoding each enriched record (Kafka record → CloudEvent → FactEvent), then
 *     the flushes (flushes of DEFAULT_FLUSH_SIZE) on the in-memory store, no statement encoded or waited for;
 *   - the aggregate stage on MariaDB (aggregator → writer, flushes of 5000), every SQL statement timed by
 *     table and kind (events: dedupe read, visitor-day read, insert; visits read/write; event_props; rollup
 *     upserts; total sketches read/write) plus the commit.
 * Baselines: enrich against JSON.parse + JSON.stringify of the same records; aggregate's JavaScript against
 * JSON.parse of the same enriched values; the aggregate stage against one
 * plain multi-row INSERT of the same events into a one-row-per-event table, both in the same run.
 *
 *   npx tsx bench/breakdown.ts
 */
import { createHmac } from 'node:crypto';
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import type { Sequelize } from 'sequelize';
import { decodeEnriched, fromKafkaMessage, toKafkaMessage, topicNames, type CloudEvent, type KafkaOutgoing } from '../events';
import { DEFAULT_FLUSH_SIZE } from '../functions/aggregate/config';
import { flushEvents } from '../functions/aggregate/flush';
import { createMemoryStatements, createMemoryTables } from '../functions/aggregate/memory-store';
import { toFactEvent } from '../functions/aggregate/writer';
import { createAggregateStage } from '../functions/aggregate/stage';
import { createEnricher } from '../functions/enrich/core';
import { DEMO_SITES } from '../functions/generate/sites';
import { inboundFromKafka, type Publisher } from '../functions/lib/bus';
import { createDatabase } from '../functions/lib/db';
import { openGeoIp } from '../functions/lib/geoip';
import { silentLogger } from '../functions/lib/logger';
import { createCachedSiteLookup, createSiteRegistry } from '../functions/sites/registry';
import { figure, main, rate, type Figure } from './figure';
import { benchEnv, createScratch, seededWorkload } from './harness';

/** The statement kinds of the writer's flush, recognised by their text. */
function kindOf(sql: string): string {
  const s = sql.trimStart().slice(0, 400).toUpperCase();
  if (s.startsWith('START TRANSACTION') || s.startsWith('SET ')) return 'begin';
  if (s.startsWith('COMMIT')) return 'commit';
  if (s.startsWith('ROLLBACK')) return 'rollback';
  const table = /(?:FROM|INTO|UPDATE)\s+`?(\w+)`?/.exec(s)?.[1]?.toLowerCase() ?? 'other';
  const verb = s.startsWith('SELECT') ? 'read' : 'write';
  return `${table}.${verb}`;
}

/** Times every query of a Sequelize instance by kind (wall time of the awaited call). */
function instrument(sequelize: Sequelize): Map<string, { ms: number; n: number }> {
  const times = new Map<string, { ms: number; n: number }>();
  const original = sequelize.query.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  const timed = async (...args: unknown[]): Promise<unknown> => {
    const sql = typeof args[0] === 'string' ? args[0] : '';
    const t = performance.now();
    try {
      return await original(...args);
    } finally {
      const k = kindOf(sql);
      const e = times.get(k) ?? { ms: 0, n: 0 };
      e.ms += performance.now() - t;
      e.n++;
      times.set(k, e);
    }
  };
  Object.assign(sequelize, { query: timed });
  // The flush's multi-row writes run as prepared statements on the transaction's mysql2 connection
  // (lib/db/prepared.ts), past sequelize.query: time each connection's `execute` too.
  const manager = sequelize.connectionManager as unknown as { getConnection: (...a: unknown[]) => Promise<Record<string, unknown>> };
  const getConnection = manager.getConnection.bind(manager);
  const wrapped = new WeakSet<object>();
  manager.getConnection = async (...a: unknown[]) => {
    const c = await getConnection(...a);
    if (typeof c.execute === 'function' && !wrapped.has(c)) {
      wrapped.add(c);
      const execute = (c.execute as (...x: unknown[]) => unknown).bind(c);
      c.execute = (sql: string, values: unknown, cb: (err: unknown, r: unknown) => void) => {
        const t = performance.now();
        return execute(sql, values, (err: unknown, r: unknown) => {
          const k = kindOf(sql);
          const e = times.get(k) ?? { ms: 0, n: 0 };
          e.ms += performance.now() - t;
          e.n++;
          times.set(k, e);
          cb(err, r);
        });
      };
    }
    return c;
  };
  return times;
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const n = Number(env.BENCH_BREAKDOWN_EVENTS ?? 20_000);
  const events = await seededWorkload(n);
  const records: KafkaOutgoing[] = events.map((e) => toKafkaMessage(e));
  const figures: Figure[] = [];
  const s = await createScratch(benchEnv(env), DEMO_SITES);
  const db = createDatabase({ url: s.databaseUrl });
  try {
    // --- enrich core, in process
    const enriched: CloudEvent<unknown>[] = [];
    const publisher: Publisher = {
      publish: async (topic, evs) => {
        if (topic.endsWith('enriched')) enriched.push(...evs);
      },
      close: async () => undefined,
    };
    const geo = await openGeoIp();
    const enricher = createEnricher({
      sites: createCachedSiteLookup(createSiteRegistry(db), { ttlMs: 60_000 }),
      geo,
      saltSecret: 'bench-secret-0123456789abcdef',
      now: () => new Date(),
      publisher,
      topics: topicNames(s.prefix),
      logger: silentLogger,
    });
    const inbound = records.map((r, i) => inboundFromKafka({ ...r, key: r.key === null ? null : Buffer.from(r.key) }, `bench@${i}`));
    let t = performance.now();
    for (let i = 0; i < inbound.length; i += 500) await enricher.process(inbound.slice(i, i + 500));
    const enrichOut = enriched.map((e) => toKafkaMessage(e));
    const enrichRate = n / ((performance.now() - t) / 1000);

    t = performance.now();
    for (const r of records) JSON.stringify(JSON.parse(r.value.toString('utf8')));
    const jsonRate = n / ((performance.now() - t) / 1000);
    figures.push(rate('breakdown.enrich.core_in_process', enrichRate, jsonRate));
    figures.push(rate('breakdown.enrich.baseline_json_parse_stringify', jsonRate, null));

    // Each step alone over the same inputs: its share of the per-event budget.
    const perEventUs = 1e6 / enrichRate;
    const data = events.map((e) => e.data);
    const step = (name: string, f: (d: (typeof data)[number]) => unknown) => {
      const t0 = performance.now();
      for (const d of data) f(d);
      const us = ((performance.now() - t0) * 1000) / n;
      figures.push(figure(`breakdown.enrich.step.${name}`, us, 'µs/event', perEventUs, 2));
    };
    step('decode_kafka_record_and_zod', () => undefined);
    figures.pop();
    const t1 = performance.now();
    for (const i of inbound) i.decode();
    figures.push(figure('breakdown.enrich.step.decode_record', ((performance.now() - t1) * 1000) / n, 'µs/event', perEventUs, 2));
    step('isbot', (d) => isbot(d.userAgent));
    step('ua_parse_uncached', (d) => new UAParser(d.userAgent).getResult());
    step('geoip_country', (d) => geo.country(d.ip));
    step('hmac_sha256_x2', (d) =>
      createHmac('sha256', createHmac('sha256', 'x').update(d.timestamp.slice(0, 10)).digest())
        .update(`${d.site}\n${d.ip}\n${d.userAgent}`)
        .digest('hex'),
    );
    step('url_parse', (d) => new URL(d.url));

    // --- aggregate's JavaScript alone: decoding each record, then the flushes on the in-memory store
    // (memory-store.ts), so no statement is encoded or waited for; baseline: JSON.parse of the same values
    const siteOf = new Map((await createSiteRegistry(db).list()).map((site) => [site.hostname, site]));
    const kafkaIn = enrichOut.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])),
    }));
    t = performance.now();
    for (const r of kafkaIn) JSON.parse(r.value.toString('utf8'));
    const parseUs = ((performance.now() - t) * 1000) / kafkaIn.length;
    t = performance.now();
    const facts = kafkaIn.map((r) => {
      const event = decodeEnriched(fromKafkaMessage(r));
      return toFactEvent({ event, site: siteOf.get(event.data.site)! });
    });
    const decodeUs = ((performance.now() - t) * 1000) / facts.length;
    const memory = createMemoryStatements(createMemoryTables());
    t = performance.now();
    for (let i = 0; i < facts.length; i += DEFAULT_FLUSH_SIZE)
      await flushEvents(memory, facts.slice(i, i + DEFAULT_FLUSH_SIZE), { legacyDedupe: false, skipStoredCheck: true });
    const flushUs = ((performance.now() - t) * 1000) / facts.length;
    figures.push(figure('breakdown.aggregate.js.decode', decodeUs, 'µs/event', parseUs, 2));
    figures.push(figure('breakdown.aggregate.js.flush_in_memory', flushUs, 'µs/event', parseUs, 2));

    // --- aggregate: the stage on MariaDB, every statement timed
    const times = instrument(db.sequelize);
    const stage = await createAggregateStage({
      db,
      topics: topicNames(s.prefix),
      logger: silentLogger,
      writer: { maxBatch: 5000, pruneIntervalMs: 0 },
    });
    const aggIn = enrichOut.map((r, i) => inboundFromKafka({ ...r, key: r.key === null ? null : Buffer.from(r.key) }, `bench@${i}`));
    times.clear();
    t = performance.now();
    for (let i = 0; i < aggIn.length; i += 5000) await stage.aggregator.handle(aggIn.slice(i, i + 5000));
    const aggMs = performance.now() - t;
    const flushes = stage.writer.stats().flushes;
    figures.push(rate('breakdown.aggregate.stage_on_mariadb', n / (aggMs / 1000), null));
    let sqlMs = 0;
    for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
      sqlMs += v.ms;
      figures.push(figure(`breakdown.aggregate.sql.${k}`, v.ms / flushes, 'ms/flush', aggMs / flushes, 1));
      figures.push(figure(`breakdown.aggregate.sql.${k}.statements`, v.n / flushes, 'per flush', null, 1));
    }
    figures.push(figure('breakdown.aggregate.outside_sql', (aggMs - sqlMs) / flushes, 'ms/flush', aggMs / flushes, 1));

    // baseline: the same events as plain rows, one multi-row INSERT per 500
    await db.sequelize.query(
      'CREATE TABLE bench_plain (event_key CHAR(32) PRIMARY KEY, site VARCHAR(255), ts BIGINT, visitor_id CHAR(16), prev_visitor_id CHAR(16), path VARCHAR(512))',
    );
    t = performance.now();
    for (let i = 0; i < enriched.length; i += 5000) {
      const part = enriched.slice(i, i + 5000) as CloudEvent<{
        site: string;
        timestamp: string;
        visitorId: string;
        prevVisitorId: string;
        path: string;
      }>[];
      await db.sequelize.transaction(async (tx) => {
        for (let j = 0; j < part.length; j += 500) {
          const rows = part.slice(j, j + 500);
          await db.sequelize.query(`INSERT INTO bench_plain VALUES ${rows.map(() => '(?,?,?,?,?,?)').join(',')}`, {
            transaction: tx,
            replacements: rows.flatMap((e) => [
              e.attributes.id.slice(0, 32),
              e.data.site,
              Date.parse(e.data.timestamp),
              e.data.visitorId,
              e.data.prevVisitorId,
              e.data.path,
            ]),
          });
        }
      });
    }
    const plainRate = n / ((performance.now() - t) / 1000);
    figures.push(rate('breakdown.aggregate.baseline_plain_insert', plainRate, null));
    figures[figures.findIndex((f) => f.name === 'breakdown.aggregate.stage_on_mariadb')] = rate(
      'breakdown.aggregate.stage_on_mariadb',
      n / (aggMs / 1000),
      plainRate,
    );
    await stage.close();
  } finally {
    await db.close();
    await s.drop();
  }
  return figures;
}

if (require.main === module) main(() => run());
