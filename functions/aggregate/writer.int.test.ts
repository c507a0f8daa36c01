/**
 * The writer against real databases: MariaDB/MySQL (per-suite database) and SQLite (a temp file).
 * A few thousand hand-built events, shuffled, cut into random batches, delivered twice, through two
 * writers at once (two connection pools), must leave exactly the rollups, sessions and visitor sets
 * that the oracle computes straight from the events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { describeWithServices } from '../../test/services';
import { createDatabase, type Database } from '../lib/db';
import { createMigrator } from '../lib/db/migrate';
import { silentLogger } from '../lib/logger';
import { createSiteRegistry } from '../sites/registry';
import type { SiteInfo } from '../sites/types';
import { buildEvents, FIXTURE_SITES, oracle, prng, randomBatches, shuffle, type OracleCounters } from './fixtures';
import { deserialiseHll } from './hll';
import { eventKey } from './rollup';
import { createWriter, type ResolvedEvent } from './writer';

const COUNTERS = ['pageviews', 'visits', 'bounces', 'duration_ms', 'events', 'bot_events'] as const;

jest.setTimeout(300_000);

function writerSuite(url: () => string) {
  const events = buildEvents({ seed: 7, sessions: 1200 });
  const want = oracle(events, (e) => eventKey(e.attributes));
  let dbs: Database[] = [];

  afterAll(async () => {
    for (const d of dbs) await d.close();
  });

  it('stores exactly what the events say, with duplicates, any order, two writers at once', async () => {
    dbs = [createDatabase({ url: url() }), createDatabase({ url: url() })];
    const [a, b] = dbs as [Database, Database];
    await a.migrate();
    const registry = createSiteRegistry(a);
    const sites = new Map<string, SiteInfo>();
    for (const s of FIXTURE_SITES) sites.set(s.hostname, await registry.add({ ...s, isPublic: true }));

    const random = prng(99);
    const resolved: ResolvedEvent[] = events.map((event) => ({ event, site: sites.get(event.data.site)! }));
    const deliveries = randomBatches(shuffle([...resolved, ...resolved], random), random, 400);
    const writers = [
      createWriter({ db: a, logger: silentLogger, maxBatch: 700, flushIntervalMs: 20, retryDelayMs: 20, attempts: 20, pruneIntervalMs: 0 }),
      createWriter({ db: b, logger: silentLogger, maxBatch: 500, flushIntervalMs: 5, retryDelayMs: 20, attempts: 20, pruneIntervalMs: 0 }),
    ];
    await Promise.all(deliveries.map((batch, i) => writers[i % 2]!.add(batch)));
    await Promise.all(writers.map((w) => w.close()));
    process.stderr.write(`writer stats: ${JSON.stringify(writers.map((w) => w.stats()))}\n`);
    const stats = writers.map((w) => w.stats());
    expect(stats[0]!.written + stats[1]!.written).toBe(events.length);
    expect(stats[0]!.duplicates + stats[1]!.duplicates).toBe(events.length);

    const hostname = new Map([...sites.values()].map((s) => [s.id, s.hostname]));
    const rows = await a.sequelize.query<Record<string, string | number>>(
      `SELECT site_id, grain, dimension, bucket, value, ${COUNTERS.join(',')} FROM rollups`,
      { type: QueryTypes.SELECT },
    );
    const got = new Map<string, OracleCounters>();
    for (const r of rows) {
      const c: OracleCounters = {
        pageviews: Number(r.pageviews),
        visits: Number(r.visits),
        bounces: Number(r.bounces),
        durationMs: Number(r.duration_ms),
        events: Number(r.events),
        botEvents: Number(r.bot_events),
      };
      if (Object.values(c).every((n) => n === 0)) continue; // a visit that moved leaves a zero row behind
      got.set(`${hostname.get(Number(r.site_id))}|${r.grain}|${r.dimension}|${Number(r.bucket)}|${r.value}`, c);
    }
    const sorted = <V>(m: Map<string, V>) => [...m].sort(([x], [y]) => (x < y ? -1 : 1));
    expect(sorted(got)).toEqual(sorted(want.rollups));

    const sessions = await a.sequelize.query<Record<string, string | number>>(
      'SELECT site_id, session_id, started_at, ended_at, pageviews, events, entry_page, exit_page FROM sessions',
      { type: QueryTypes.SELECT },
    );
    expect(sessions.length).toBe(want.sessions.size);
    for (const s of sessions) {
      expect({
        startedAt: Number(s.started_at),
        endedAt: Number(s.ended_at),
        pageviews: Number(s.pageviews),
        events: Number(s.events),
        entryPage: s.entry_page,
        exitPage: s.exit_page,
      }).toEqual(want.sessions.get(`${hostname.get(Number(s.site_id))}/${s.session_id}`));
    }

    const sketches = await a.sequelize.query<{
      site_id: number;
      grain: string;
      dimension: string;
      bucket: number;
      value: string;
      sketch: Buffer;
    }>('SELECT site_id, grain, dimension, bucket, value, sketch FROM visitor_sketches', { type: QueryTypes.SELECT });
    expect(sketches.length).toBeGreaterThanOrEqual(want.visitors.size);
    let exact = 0;
    for (const s of sketches) {
      const k = `${hostname.get(Number(s.site_id))}|${s.grain}|${s.dimension}|${Number(s.bucket)}|${s.value}`;
      const count = Math.round(deserialiseHll(s.sketch).count());
      const expected = want.visitors.get(k)?.size ?? 0;
      // totals, pages and events are per event, so exact (sparse sketches are exact at these sizes);
      // session dimensions are add-only and may keep a visitor whose visit moved (rollup.ts)
      if (['', 'page', 'event'].includes(s.dimension)) {
        expect([k, count]).toEqual([k, expected]);
        exact++;
      } else expect(count).toBeGreaterThanOrEqual(expected);
    }
    expect(exact).toBeGreaterThan(100);
  });

  it('prunes what is past retention and nothing else', async () => {
    const [a] = dbs as [Database];
    const far = Date.now() + 9 * 86_400_000; // processed_at is the processing time; the events are months older
    const writer = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0, pruneLimit: 1_000_000, now: () => far });
    const count = async (sql: string) => Number((await a.sequelize.query<{ n: number }>(sql, { type: QueryTypes.SELECT }))[0]!.n);
    const dayRows = await count("SELECT COUNT(*) AS n FROM rollups WHERE grain = 'd'");
    const r = await writer.prune();
    await writer.close();
    expect(r.processedEvents).toBe(events.length);
    expect(r.sessions).toBe(want.sessions.size);
    expect(r.minuteRollups).toBeGreaterThan(0);
    expect(await count("SELECT COUNT(*) AS n FROM rollups WHERE grain = 'm'")).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM processed_events')).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM rollups WHERE grain = 'd'")).toBe(dayRows);
  });
}

describeWithServices('aggregate writer on MySQL/MariaDB', ['mysql'], (get) => {
  writerSuite(() => get().databaseUrl);
});

describe('aggregate writer on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writerSuite(() => `sqlite:${join(dir, 'wtm.sqlite')}`);
});

describeWithServices('migrations on MySQL/MariaDB', ['mysql'], (get) => {
  it('creates the schema through umzug migrations (not sync()) and rolls it back', async () => {
    const db = createDatabase({ url: get().databaseUrl });
    const tables = async () =>
      (await db.sequelize.getQueryInterface().showAllTables()).map((t) => (typeof t === 'string' ? t : String(t))).sort();
    try {
      await db.migrate();
      expect(await tables()).toEqual([
        'SequelizeMeta',
        'processed_events',
        'rollups',
        'sessions',
        'site_tokens',
        'sites',
        'visitor_sketches',
      ]);
      const columns = await db.sequelize.getQueryInterface().describeTable('sessions');
      expect(Object.keys(columns)).toEqual(expect.arrayContaining(['session_key', 'entry_event_id', 'exit_event_id']));
      const migrator = createMigrator(db.sequelize);
      expect((await migrator.executed()).map((m) => m.name)).toEqual(['0001-initial', '0002-session-entry-exit-ids']);
      await migrator.down({ to: 0 });
      expect(await tables()).toEqual(['SequelizeMeta']);
      expect(await migrator.executed()).toEqual([]);
      await migrator.up();
      expect(await tables()).toContain('rollups');
    } finally {
      await db.close();
    }
  });
});
